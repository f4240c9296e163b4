"""operations.warmup: what a serving process builds before it listens, so that its first customer does not pay."""

import logging

import anthropic.types
import pydantic
import pytest

from assistant import guardrails, wordlists
from faq import search
from helpdesk import money
from operations import warmup
from tests.factories import FaqEntryFactory


@pytest.fixture
def cold(monkeypatch):
    """A process that has built nothing yet."""
    wordlists.insults.cache_clear()
    wordlists.threats.cache_clear()
    guardrails._protected_index.cache_clear()
    money.locale_of.cache_clear()
    monkeypatch.setattr(search, "_index", None)


@pytest.mark.django_db
def test_warm_up_compiles_the_word_lists_and_the_output_guard(cold):
    warmup.warm_up()
    assert wordlists.insults.cache_info().currsize == 1
    assert wordlists.threats.cache_info().currsize == 1
    assert guardrails._protected_index.cache_info().currsize == 1


@pytest.mark.django_db
def test_warm_up_loads_the_locale_data_of_every_language_served(cold, settings):
    warmup.warm_up()
    assert money.locale_of.cache_info().currsize == len(settings.LANGUAGES)


@pytest.mark.django_db
def test_warm_up_builds_the_faq_index_from_the_database(cold):
    faq_entry = FaqEntryFactory()
    warmup.warm_up()
    assert search._index is not None
    assert faq_entry.pk in search._index.by_id


@pytest.mark.django_db
def test_warm_up_loads_the_sentence_model_and_the_faq_vectors(cold, monkeypatch):
    from faq import meaning

    monkeypatch.setattr(meaning, "_encoder", None)
    faq_entry = FaqEntryFactory()
    warmup.warm_up()
    assert meaning._encoder is not None
    assert search._index.languages[faq_entry.language].meaning.position == {faq_entry.pk: 0}


@pytest.mark.django_db
def test_with_claude_the_sdk_response_types_are_complete_after_warm_up(cold, settings):
    settings.ANTHROPIC_API_KEY = "test-key"
    warmup.warm_up()
    models = [getattr(anthropic.types, name) for name in dir(anthropic.types)]
    incomplete = [model.__name__ for model in models if isinstance(model, type)
                  and issubclass(model, pydantic.BaseModel) and not model.__pydantic_complete__]
    assert incomplete == []


@pytest.mark.django_db
def test_a_part_that_fails_is_logged_and_the_others_are_still_built(cold, monkeypatch, caplog):
    def unreachable():
        raise ConnectionError("database not reachable yet")

    monkeypatch.setitem(warmup.PARTS, "FAQ index", unreachable)
    with caplog.at_level(logging.INFO, logger="operations.warmup"):
        spent = warmup.warm_up()
    assert spent["FAQ index"] is None
    assert spent["word lists"] is not None
    assert wordlists.insults.cache_info().currsize == 1
    assert "FAQ index not prepared" in caplog.text
