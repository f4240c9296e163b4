"""An FAQ entry's admin: its state set by the button that saves it, the list's status and actions, phrasings
edited beside it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from faq.models import FaqEntry, FaqPhrasing
from faq.search import rank, search_faq
from tests.factories import FaqEntryFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:faq_faqentry_changelist"


def change_url(entry):
    return reverse("admin:faq_faqentry_change", args=[entry.pk])


def form_data(entry=None, *, phrasings=(), **fields):
    data = {"question": "Do you offer gift wrapping?", "answer": "Yes, at checkout.", "category": "shipping",
            "language": "en", "key": "gift-wrap"}
    if entry is not None:
        data.update(question=entry.question, answer=entry.answer, category=entry.category,
                    language=entry.language, key=entry.key)
    data.update(fields)
    existing = list(entry.phrasings.all()) if entry is not None else []
    data.update({"phrasings-TOTAL_FORMS": str(len(existing) + len(phrasings)),
                 "phrasings-INITIAL_FORMS": str(len(existing)), "phrasings-MIN_NUM_FORMS": "0",
                 "phrasings-MAX_NUM_FORMS": "1000"})
    for number, phrasing in enumerate(existing):
        data.update({f"phrasings-{number}-id": str(phrasing.pk), f"phrasings-{number}-entry": str(entry.pk),
                     f"phrasings-{number}-text": phrasing.text})
    for number, text in enumerate(phrasings, len(existing)):
        data[f"phrasings-{number}-text"] = text
    return data


def test_publish_publishes_a_draft_and_comes_back_to_it_saying_so(admin_client, gift_wrap):
    response = admin_client.post(change_url(gift_wrap), {**form_data(gift_wrap), "_publish": "Publish"}, follow=True)
    gift_wrap.refresh_from_db()
    assert gift_wrap.published
    assert response.redirect_chain[-1][0] == change_url(gift_wrap)
    assert "is published: the assistant can answer with it" in response.content.decode()


def test_save_as_draft_takes_a_published_entry_away_from_the_assistant(admin_client, delivery):
    response = admin_client.post(change_url(delivery), {**form_data(delivery), "_save_draft": "Save as draft"},
                                 follow=True)
    delivery.refresh_from_db()
    assert not delivery.published
    assert "saved as a draft: customers and the assistant don" in response.content.decode()
    assert search_faq("How long does delivery take?") == []


def test_a_new_entry_saved_as_draft_is_a_draft_and_opens_its_own_page(admin_client):
    response = admin_client.post(reverse("admin:faq_faqentry_add"), {**form_data(), "_save_draft": "Save as draft"})
    entry = FaqEntry.objects.get()
    assert not entry.published
    assert response.url == change_url(entry)


def test_a_draft_says_so_at_the_top_of_its_page_and_enter_keeps_it_a_draft(admin_client, gift_wrap):
    page = admin_client.get(change_url(gift_wrap)).content.decode()
    assert "Draft: customers and the assistant don't see it." in page
    assert page.index('name="_save_draft"') < page.index('name="_publish"')  # Enter keeps it a draft
    assert 'name="_save"' not in page


def test_a_published_entry_keeps_its_state_first_in_the_buttons(admin_client, delivery):
    page = admin_client.get(change_url(delivery)).content.decode()
    assert "Draft: customers" not in page
    assert page.index('name="_publish"') < page.index('name="_save_draft"')


def test_a_plain_save_keeps_the_state_the_entry_was_in(admin_client, gift_wrap):
    admin_client.post(change_url(gift_wrap), {**form_data(gift_wrap, answer="Yes, 3 dollars."), "_save": "Save"})
    gift_wrap.refresh_from_db()
    assert gift_wrap.answer == "Yes, 3 dollars." and not gift_wrap.published


def test_phrasings_are_edited_beside_the_entry_and_found_by_search(admin_client, gift_wrap):
    admin_client.post(change_url(gift_wrap), {
        **form_data(gift_wrap, phrasings=["can   you wrap my present", ""]), "_publish": "Publish"})
    assert list(gift_wrap.phrasings.values_list("text", flat=True)) == ["can you wrap my present"]
    assert [hit.id for hit in search_faq("wrap my present")] == [gift_wrap.pk]


def test_the_phrasings_inline_says_what_phrasings_are_for(admin_client, gift_wrap):
    page = admin_client.get(change_url(gift_wrap)).content.decode()
    assert "How customers ask this" in page and "The assistant finds this entry when a question matches" in page


def test_a_key_another_entry_of_the_language_has_is_a_form_error_that_says_why(admin_client, delivery, gift_wrap):
    response = admin_client.post(change_url(gift_wrap), {**form_data(gift_wrap, key="shipping-times"),
                                                         "_save_draft": "Save as draft"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["key"] and "already a English entry with the key “shipping-times”" in errors["key"][0]
    gift_wrap.refresh_from_db()
    assert gift_wrap.key == "gift-wrap"


def test_the_list_shows_each_entrys_status_and_filters_the_drafts(admin_client, delivery, gift_wrap):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert 'faq-status-draft">Draft<' in page and 'faq-status-published">Published<' in page
    drafts = admin_client.get(reverse(CHANGELIST), {"status": "draft"}).context["cl"].result_list
    assert list(drafts) == [gift_wrap]


def test_publish_selected_publishes_and_sets_updated_at_so_search_finds_them(admin_client, gift_wrap):
    FaqEntry.objects.filter(pk=gift_wrap.pk).update(updated_at=timezone.now() - timedelta(days=3))
    before = FaqEntry.objects.get(pk=gift_wrap.pk).updated_at
    assert search_faq("Do you offer gift wrapping?") == []
    response = admin_client.post(reverse(CHANGELIST), {"action": "publish_selected", "_selected_action": [gift_wrap.pk]},
                                 follow=True)
    gift_wrap.refresh_from_db()
    assert gift_wrap.published and gift_wrap.updated_at > before
    assert "1 entry published" in response.content.decode()
    assert [hit.id for hit in search_faq("Do you offer gift wrapping?")] == [gift_wrap.pk]


def test_move_to_drafts_hides_them_from_the_assistant_and_sets_updated_at(admin_client, delivery):
    FaqEntry.objects.update(updated_at=timezone.now() - timedelta(days=3))
    before = FaqEntry.objects.get(pk=delivery.pk).updated_at
    admin_client.post(reverse(CHANGELIST), {"action": "move_to_drafts", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert not delivery.published and delivery.updated_at > before
    assert delivery.pk not in [hit.id for hit in search_faq("How long does delivery take?")]
    assert delivery.pk in [hit.id for hit in rank("How long does delivery take?", include_drafts=True)]


def test_someone_who_may_only_read_entries_gets_no_save_buttons_and_cannot_publish(viewer_client, gift_wrap):
    page = viewer_client.get(change_url(gift_wrap)).content.decode()
    assert 'name="_publish"' not in page and 'name="_save_draft"' not in page
    assert viewer_client.post(change_url(gift_wrap), {**form_data(gift_wrap), "_publish": "Publish"}).status_code == 403
    viewer_client.post(reverse(CHANGELIST), {"action": "publish_selected", "_selected_action": [gift_wrap.pk]})
    gift_wrap.refresh_from_db()
    assert not gift_wrap.published


def test_the_list_offers_no_status_actions_to_someone_who_may_only_read(viewer_client, gift_wrap):
    page = viewer_client.get(reverse(CHANGELIST)).content.decode()
    assert "publish_selected" not in page and "move_to_drafts" not in page


def test_an_entry_is_found_in_the_list_by_one_of_its_phrasings(admin_client, gift_wrap):
    FaqEntryFactory(question="Another question?")
    FaqPhrasing.objects.create(entry=gift_wrap, text="present packaging")
    found = admin_client.get(reverse(CHANGELIST), {"q": "packaging"}).context["cl"].result_list
    assert list(found) == [gift_wrap]


def test_whoever_may_change_an_entry_edits_its_phrasings_without_permissions_of_their_own(editor_client, gift_wrap):
    response = editor_client.post(change_url(gift_wrap), {
        **form_data(gift_wrap, phrasings=["can you wrap my present"]), "_save_draft": "Save as draft"})
    assert response.status_code == 302
    assert list(gift_wrap.phrasings.values_list("text", flat=True)) == ["can you wrap my present"]


def test_saving_comes_back_to_the_entry_with_the_lists_filters_kept(admin_client, gift_wrap):
    filters = "_changelist_filters=status%3Ddraft"
    response = admin_client.post(f"{change_url(gift_wrap)}?{filters}",
                                 {**form_data(gift_wrap), "_save_draft": "Save as draft"})
    assert response.url == f"{change_url(gift_wrap)}?{filters}"
