"""The knowledge base's writes: publishing in bulk, a topic's key, a topic's entries saved together."""

from datetime import timedelta

import pytest
from django.utils import timezone

from faq import services
from faq.exceptions import FaqEditRefused, TopicChanged, TopicKeyTaken
from faq.models import FaqEntry, FaqPhrasing
from tests.factories import FaqEntryFactory

pytestmark = pytest.mark.django_db


def test_set_published_changes_only_the_entries_in_the_other_state_and_counts_them():
    draft = FaqEntryFactory(published=False)
    already = FaqEntryFactory(published=True)
    FaqEntry.objects.update(updated_at=timezone.now() - timedelta(days=1))
    untouched = FaqEntry.objects.get(pk=already.pk).updated_at
    assert services.set_published(entries=FaqEntry.objects.all(), published=True) == 1
    assert FaqEntry.objects.get(pk=draft.pk).updated_at > untouched
    assert FaqEntry.objects.get(pk=already.pk).updated_at == untouched


def test_replace_phrasings_keeps_the_ones_that_stay_and_touches_the_entry():
    entry = FaqEntryFactory()
    kept = FaqPhrasing.objects.create(entry=entry, text="where is my parcel")
    FaqPhrasing.objects.create(entry=entry, text="old wording")
    FaqEntry.objects.update(updated_at=timezone.now() - timedelta(days=1))
    before = FaqEntry.objects.get(pk=entry.pk).updated_at
    services.replace_phrasings(entry=entry, texts=["where is my parcel", " my  parcel is late ", "", "my parcel is late"])
    assert list(entry.phrasings.values_list("id", "text")) == [
        (kept.pk, "where is my parcel"), (entry.phrasings.last().pk, "my parcel is late")]
    assert FaqEntry.objects.get(pk=entry.pk).updated_at > before


def test_add_phrasings_adds_only_what_the_entry_lacks_as_save_would_store_it_and_touches_the_entry():
    entry = FaqEntryFactory()
    FaqPhrasing.objects.create(entry=entry, text="where is my parcel")
    FaqEntry.objects.update(updated_at=timezone.now() - timedelta(days=1))
    before = FaqEntry.objects.get(pk=entry.pk).updated_at
    long = "x" * 400
    added = services.add_phrasings(entry=entry, texts=["where  is my parcel ", "parcel late", "", "parcel late", long])
    assert added == 2
    assert list(entry.phrasings.values_list("text", flat=True)) == ["where is my parcel", "parcel late", long[:300]]
    assert FaqEntry.objects.get(pk=entry.pk).updated_at > before
    assert services.add_phrasings(entry=entry, texts=[long, "parcel late"]) == 0


def test_set_topic_key_refuses_a_key_another_entry_of_the_language_has():
    FaqEntryFactory(key="returns")
    entry = FaqEntryFactory()
    with pytest.raises(TopicKeyTaken):
        services.set_topic_key(entry=entry, key="returns")
    assert entry.key == "" and FaqEntry.objects.get(pk=entry.pk).key == ""


@pytest.mark.parametrize("key", ["", "two words", "é-accent", "x" * 81])
def test_set_topic_key_refuses_what_is_no_slug(key):
    entry = FaqEntryFactory()
    with pytest.raises(FaqEditRefused):
        services.set_topic_key(entry=entry, key=key)
    assert FaqEntry.objects.get(pk=entry.pk).key == ""


def test_save_topic_updates_one_language_and_creates_the_other_with_the_key():
    english = FaqEntryFactory(key="gift-wrap", published=False)
    saved = services.save_topic(key="gift-wrap", edits=[
        services.TopicEdit(language="en", question="Gift wrap?", answer="Yes.", category="shipping", published=True,
                           entry_id=english.pk),
        services.TopicEdit(language="fr", question="Emballage ?", answer="Oui.", category="shipping",
                           published=False, phrasings=("emballer un cadeau",)),
    ])
    assert [(entry.language, created) for entry, created in saved] == [("en", False), ("fr", True)]
    french = FaqEntry.objects.get(key="gift-wrap", language="fr")
    assert not french.published and list(french.phrasings.values_list("text", flat=True)) == ["emballer un cadeau"]
    assert FaqEntry.objects.get(pk=english.pk).published


def test_save_topic_saves_nothing_when_an_edited_entry_was_deleted_meanwhile():
    english = FaqEntryFactory(key="gift-wrap", question="Gift wrap?")
    french = FaqEntryFactory(key="gift-wrap", language="fr")
    french_id = french.pk
    french.delete()
    with pytest.raises(TopicChanged):
        services.save_topic(key="gift-wrap", edits=[
            services.TopicEdit(language="en", question="Changed?", answer="Yes.", category="shipping",
                               published=True, entry_id=english.pk),
            services.TopicEdit(language="fr", question="Emballage ?", answer="Oui.", category="shipping",
                               published=True, entry_id=french_id),
        ])
    assert FaqEntry.objects.get(pk=english.pk).question == "Gift wrap?"
    assert not FaqEntry.objects.filter(language="fr").exists()
