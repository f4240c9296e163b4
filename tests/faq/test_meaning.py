"""The sentence model (faq.meaning): its numpy forward pass puts paraphrases together, batches change nothing, and
the knowledge base's vectors are kept in the database so that a fresh process does not encode them again."""

import sys

import numpy as np
import pytest
from django.db import DatabaseError

from faq import meaning
from faq.models import TextMeaning


def cosine(a: str, b: str) -> float:
    first, second = meaning.encoder().encode([a, b])
    return float(first @ second)


def test_a_paraphrase_is_nearer_than_a_question_about_something_else():
    assert cosine("Can I get a refund?", "how do I get my money back") > 0.5
    assert cosine("Can I get a refund?", "what is the weather like tomorrow") < 0.2


def test_vectors_have_unit_length_and_do_not_depend_on_the_other_texts_of_a_batch():
    texts = ["hi", "My headphones will not pair with my phone, I tried everything twice already.", "où est mon colis ?"]
    together = meaning.encoder().encode(texts)
    alone = np.stack([meaning.encoder().encode([text])[0] for text in texts])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)  # the padding of the shorter ones is masked out


def test_the_model_is_read_from_its_files_without_running_its_package():
    meaning.encoder()
    assert meaning.MODEL_PACKAGE not in sys.modules
    assert (meaning.model_directory() / "model.safetensors").is_file()


@pytest.fixture
def empty_cache(monkeypatch):
    monkeypatch.setattr(meaning, "_cache", type(meaning._cache)())
    encoded = []
    original = meaning.SentenceEncoder.encode
    monkeypatch.setattr(meaning.SentenceEncoder, "encode",
                        lambda self, texts: encoded.extend(texts) or original(self, texts))
    return encoded


@pytest.mark.django_db
def test_a_knowledge_base_text_is_encoded_once_then_read_back_from_the_database(empty_cache, monkeypatch):
    first = meaning.vectors(["How long does delivery take?", "Where is my parcel?"])
    assert sorted(empty_cache) == ["How long does delivery take?", "Where is my parcel?"]
    assert TextMeaning.objects.count() == 2
    monkeypatch.setattr(meaning, "_cache", type(meaning._cache)())  # another process
    again = meaning.vectors(["Where is my parcel?", "How long does delivery take?"])
    assert len(empty_cache) == 2  # nothing encoded again
    assert np.array_equal(again, first[::-1])


@pytest.mark.django_db
def test_a_database_that_cannot_be_read_or_written_still_gives_the_vectors(empty_cache, monkeypatch):
    def fail(*_args, **_kwargs):
        raise DatabaseError("no such table: faq_text_meaning")

    monkeypatch.setattr(meaning, "_from_database", fail)
    monkeypatch.setattr(meaning, "_to_database", fail)
    found = meaning.vectors(["How long does delivery take?"])
    assert found.shape == (1, 384) and empty_cache == ["How long does delivery take?"]
    assert TextMeaning.objects.count() == 0


def test_a_customers_question_is_kept_in_the_process_only_and_the_oldest_goes_first(empty_cache, monkeypatch):
    monkeypatch.setattr(meaning, "_questions", type(meaning._questions)())
    monkeypatch.setattr(meaning, "QUESTION_CACHE_SIZE", 2)
    for question in ["where is my order", "refund please", "where is my order", "hello there"]:
        meaning.vector(question)
    assert empty_cache == ["where is my order", "refund please", "hello there"]
    assert list(meaning._questions) == ["where is my order", "hello there"]


def test_the_weights_are_mapped_from_the_file_read_only_not_copied():
    weights = meaning.read_safetensors(meaning.model_directory() / "model.safetensors")
    embeddings = weights["embeddings.word_embeddings.weight"]
    assert embeddings.shape == (30522, 384) and embeddings.dtype == np.float32
    assert not embeddings.flags.writeable and isinstance(embeddings.base, np.memmap)


@pytest.fixture
def no_model(monkeypatch):
    from faq import search

    monkeypatch.setattr(meaning, "MODEL_PACKAGE", "no_such_model_package")
    meaning.available.cache_clear()
    search._words_alone.cache_clear()
    yield
    monkeypatch.undo()
    meaning.available.cache_clear()


@pytest.mark.django_db
def test_without_the_model_search_reads_words_alone_and_says_so_once(no_model, caplog):
    from faq.search import rank, search_faq
    from tests.factories import FaqEntryFactory

    entry = FaqEntryFactory(question="How long does delivery take?", answer="Three to five business days.")
    hits = rank("how long does delivery take", limit=1)
    assert hits[0].id == entry.pk and hits[0].meaning is None and hits[0].score == hits[0].words
    assert [hit.id for hit in search_faq("how long does delivery take")] == [entry.pk]
    assert caplog.text.count("FAQ search reads words alone") == 1


def test_the_system_check_warns_when_the_model_is_missing(no_model):
    from django.core.checks.registry import registry

    from faq.checks import sentence_model_installed

    assert sentence_model_installed in registry.get_checks()
    warnings = sentence_model_installed()
    assert [w.id for w in warnings] == ["faq.W001"] and "requirements-models.txt" in warnings[0].hint


def test_the_system_check_is_quiet_when_the_model_is_installed():
    from faq.checks import sentence_model_installed

    assert sentence_model_installed() == []
