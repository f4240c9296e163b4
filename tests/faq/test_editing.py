"""What the admin's FAQ pages decide: the state a save button asks for, missing translations, a suggested key."""

import pytest

from faq import editing
from faq.models import FaqEntry
from tests.factories import FaqEntryFactory


@pytest.mark.parametrize(("data", "current", "expected"), [
    ({"_publish": "Publish"}, False, True), ({"_save_draft": "Save as draft"}, True, False),
    ({"_save": "Save"}, True, True), ({"_save": "Save"}, False, False)])
def test_the_button_pressed_decides_the_state_after_saving(data, current, expected):
    assert editing.published_after_save(data, current=current) is expected


@pytest.mark.django_db
def test_missing_languages_reads_the_annotations_or_the_table_alike():
    english = FaqEntryFactory(key="returns")
    FaqEntryFactory(key="delivery")
    FaqEntryFactory(key="delivery", language="fr")
    annotated = {entry.key: entry for entry in editing.with_translation_flags(FaqEntry.objects.filter(language="en"))}
    assert editing.missing_languages(annotated["returns"]) == editing.missing_languages(english) == ["fr"]
    assert editing.missing_languages(annotated["delivery"]) == []


@pytest.mark.django_db
def test_an_entry_without_a_key_misses_every_other_language():
    assert editing.missing_languages(FaqEntryFactory(key="", language="fr")) == ["en"]


@pytest.mark.django_db
def test_the_suggested_key_is_the_question_as_a_slug_numbered_when_taken():
    FaqEntryFactory(key="do-you-gift-wrap")
    entry = FaqEntryFactory(question="Do you gift wrap?")
    assert editing.suggested_key(entry) == "do-you-gift-wrap-2"
    french = FaqEntryFactory(language="fr", question="Où est mon colis ? " + "très " * 30)
    key = editing.suggested_key(french)
    assert key.startswith("ou-est-mon-colis-tres") and len(key) <= 60


def test_a_previewed_question_is_cut_and_its_whitespace_collapsed():
    assert editing.clean_query("  where\n\tis   it ") == "where is it"
    assert len(editing.clean_query("a" * 5000)) == editing.MAX_PREVIEW_QUERY
    assert editing.clean_query(None) == ""
