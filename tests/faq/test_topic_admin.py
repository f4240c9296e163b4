"""A topic's English and French entries side by side in the admin, saved together; the missing translations said
on the list and the entry's page; a key given to an entry that has none."""

import pytest
from django.urls import reverse

from faq.models import FaqEntry, FaqPhrasing
from tests.factories import FaqEntryFactory
from tests.faq.conftest import staff_with

pytestmark = pytest.mark.django_db


def topic_url(key):
    return reverse("admin:faq_faqentry_topic", args=[key])


def column(language, shown=None, *, question, answer="An answer.", category="shipping", status="published",
           phrasings=""):
    """One language's column as posted; `shown` is the entry the page showed in it (None: the column was empty)."""
    return {f"{language}-question": question, f"{language}-answer": answer, f"{language}-category": category,
            f"{language}-status": status, f"{language}-phrasings": phrasings,
            f"{language}-shown_entry": str(shown.pk) if shown else ""}


def test_the_topic_page_shows_both_languages_in_their_columns(admin_client, delivery):
    page = admin_client.get(topic_url("shipping-times")).content.decode()
    english, french = page.index('id="faq-topic-en"'), page.index('id="faq-topic-fr"')
    assert english < page.index("How long does delivery take?") < french < page.index("Quels sont les délais")


def test_one_post_edits_both_languages_and_their_phrasings(admin_client, delivery):
    french = FaqEntry.objects.get(key="shipping-times", language="fr")
    FaqPhrasing.objects.create(entry=french, text="colis en retard")
    response = admin_client.post(topic_url("shipping-times"), {
        **column("en", delivery, question="How long does shipping take?", phrasings="when will my order arrive\n\n"),
        **column("fr", french, question="Quel est le délai de livraison ?", status="draft",
                 phrasings="quand arrive ma commande\nquand arrive ma commande"),
    })
    assert response.status_code == 302 and response.url == topic_url("shipping-times")
    delivery.refresh_from_db()
    french.refresh_from_db()
    assert delivery.question == "How long does shipping take?" and delivery.published
    assert french.question == "Quel est le délai de livraison ?" and not french.published
    assert list(delivery.phrasings.values_list("text", flat=True)) == ["when will my order arrive"]
    assert list(french.phrasings.values_list("text", flat=True)) == ["quand arrive ma commande"]


def test_a_missing_language_says_so_and_its_empty_column_creates_it_with_the_topics_key(admin_client, gift_wrap):
    page = admin_client.get(topic_url("gift-wrap")).content.decode()
    assert "No French entry yet" in page
    admin_client.post(topic_url("gift-wrap"), {
        **column("en", gift_wrap, question=gift_wrap.question, answer=gift_wrap.answer, status="draft"),
        **column("fr", question="Proposez-vous l'emballage cadeau ?", answer="Oui, au paiement.",
                 phrasings="emballer mon cadeau"),
    })
    french = FaqEntry.objects.get(key="gift-wrap", language="fr")
    assert french.question == "Proposez-vous l'emballage cadeau ?" and french.published
    assert list(french.phrasings.values_list("text", flat=True)) == ["emballer mon cadeau"]


def test_a_missing_language_left_empty_creates_nothing(admin_client, gift_wrap):
    data = {**column("en", gift_wrap, question="Do you gift wrap?", answer=gift_wrap.answer, status="draft"),
            "fr-question": "", "fr-answer": "", "fr-category": "shipping", "fr-status": "draft", "fr-phrasings": ""}
    assert admin_client.post(topic_url("gift-wrap"), data).status_code == 302
    assert not FaqEntry.objects.filter(language="fr").exists()
    gift_wrap.refresh_from_db()
    assert gift_wrap.question == "Do you gift wrap?"


def test_an_error_in_one_column_is_shown_in_that_column_and_nothing_is_saved(admin_client, delivery):
    response = admin_client.post(topic_url("shipping-times"), {
        **column("en", delivery, question="Changed, but not saved?"),
        **column("fr", FaqEntry.objects.get(language="fr"), question="", phrasings="x" * 301),
    })
    assert response.status_code == 200
    columns = {column["code"]: column["form"] for column in response.context["columns"]}
    assert not columns["en"].errors
    assert set(columns["fr"].errors) == {"question", "phrasings"}
    assert "line 1 is longer" in columns["fr"].errors["phrasings"][0]
    page = response.content.decode()
    assert page.index('id="faq-topic-fr"') < page.index("errorlist")
    delivery.refresh_from_db()
    assert delivery.question == "How long does delivery take?"


def test_a_translation_added_by_someone_else_meanwhile_is_not_overwritten(admin_client, gift_wrap):
    page = admin_client.get(topic_url("gift-wrap"))
    assert page.context["columns"][1]["entry"] is None
    FaqEntryFactory(key="gift-wrap", language="fr", question="Emballage cadeau ?")
    response = admin_client.post(topic_url("gift-wrap"), {
        **column("en", gift_wrap, question="Changed?", answer=gift_wrap.answer, status="draft"),
        **column("fr", question="Proposez-vous l'emballage cadeau ?", answer="Oui."),
    }, follow=True)
    assert "was added or deleted by someone else since you opened the page" in response.content.decode()
    assert FaqEntry.objects.get(key="gift-wrap", language="fr").question == "Emballage cadeau ?"
    gift_wrap.refresh_from_db()
    assert gift_wrap.question == "Do you offer gift wrapping?"


def test_an_unknown_topic_is_not_found(admin_client):
    assert admin_client.get(topic_url("no-such-topic")).status_code == 404


def test_someone_who_may_change_but_not_add_entries_cannot_create_the_missing_language(editor_client, gift_wrap):
    page = editor_client.get(topic_url("gift-wrap")).content.decode()
    assert "No French entry yet" in page and "permission to add entries" in page and 'name="fr-question"' not in page
    editor_client.post(topic_url("gift-wrap"), {
        **column("en", gift_wrap, question="Changed by the editor?", answer=gift_wrap.answer, status="draft"),
        **column("fr", question="Proposez-vous l'emballage cadeau ?", answer="Oui."),
    })
    assert not FaqEntry.objects.filter(language="fr").exists()
    assert FaqEntry.objects.get(pk=gift_wrap.pk).question == "Changed by the editor?"


def test_someone_who_may_only_read_sees_the_topic_but_cannot_save_it(viewer_client, delivery):
    response = viewer_client.get(topic_url("shipping-times"))
    assert response.status_code == 200 and "disabled" in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    assert viewer_client.post(topic_url("shipping-times"), column("en", question="Changed?")).status_code == 403
    assert FaqEntry.objects.get(pk=delivery.pk).question == "How long does delivery take?"


def test_staff_without_faq_permissions_cannot_open_a_topic(client, delivery):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(username="no-faq"))
    assert client.get(topic_url("shipping-times")).status_code == 403


def test_the_topic_post_needs_the_csrf_token(delivery):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.post(topic_url("shipping-times"), column("en", question="Changed?")).status_code == 403
    assert FaqEntry.objects.get(pk=delivery.pk).question == "How long does delivery take?"


def test_saving_the_topic_is_recorded_in_each_entrys_history(admin_client, gift_wrap):
    from django.contrib.admin.models import LogEntry

    admin_client.post(topic_url("gift-wrap"), {
        **column("en", gift_wrap, question="Do you gift wrap?", answer=gift_wrap.answer, status="draft"),
        **column("fr", question="Emballage cadeau ?", answer="Oui."),
    })
    french = FaqEntry.objects.get(key="gift-wrap", language="fr")
    assert LogEntry.objects.filter(object_id=str(gift_wrap.pk), action_flag=2).exists()
    assert LogEntry.objects.filter(object_id=str(french.pk), action_flag=1).exists()


# --- missing translations on the list and the entry's page ---------------------------------------------------
def test_the_entrys_page_warns_of_the_missing_translation_and_links_the_side_by_side_page(admin_client, gift_wrap):
    page = admin_client.get(reverse("admin:faq_faqentry_change", args=[gift_wrap.pk])).content.decode()
    assert "French translation missing" in page
    assert "Edit English and French side by side" in page and topic_url("gift-wrap") in page


def test_a_complete_topic_has_no_warning_but_the_side_by_side_link(admin_client, delivery):
    page = admin_client.get(reverse("admin:faq_faqentry_change", args=[delivery.pk])).content.decode()
    assert "translation missing" not in page and topic_url("shipping-times") in page


def test_the_list_says_which_translation_is_missing_and_filters_them(admin_client, delivery, gift_wrap):
    lonely_french = FaqEntryFactory(key="cadeau", language="fr", question="Carte cadeau ?")
    no_key = FaqEntryFactory(question="Do you sell refurbished laptops?")
    changelist = reverse("admin:faq_faqentry_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "French translation missing" in page and "English translation missing" in page
    missing = set(admin_client.get(changelist, {"missing": "any"}).context["cl"].result_list)
    assert missing == {gift_wrap, lonely_french, no_key}
    assert set(admin_client.get(changelist, {"missing": "fr"}).context["cl"].result_list) == {gift_wrap, no_key}
    assert set(admin_client.get(changelist, {"missing": "en"}).context["cl"].result_list) == {lonely_french}


# --- an entry without a key ----------------------------------------------------------------------------------
def test_an_entry_without_a_key_is_offered_one_and_told_why(admin_client):
    entry = FaqEntryFactory(question="Do you sell refurbished laptops?")
    page = admin_client.get(reverse("admin:faq_faqentry_change", args=[entry.pk])).content.decode()
    assert "This entry has no topic key" in page and "side by side needs one" in page
    assert 'value="do-you-sell-refurbished-laptops"' in page
    assert "Edit English and French side by side" not in page


def test_setting_a_key_ties_the_entry_to_the_other_languages_entry(admin_client, delivery):
    french = FaqEntry.objects.get(language="fr")
    french.key = ""
    french.save()
    response = admin_client.post(reverse("admin:faq_faqentry_set_key", args=[french.pk]), {"key": "shipping-times"},
                                 follow=True)
    french.refresh_from_db()
    assert french.key == "shipping-times"
    assert "French translation missing" not in response.content.decode()


def test_a_key_that_is_no_slug_or_is_taken_is_refused_with_the_reason(admin_client, delivery):
    entry = FaqEntryFactory(question="Another question?")
    url = reverse("admin:faq_faqentry_set_key", args=[entry.pk])
    page = admin_client.post(url, {"key": "not a slug"}, follow=True).content.decode()
    assert "letters, digits, hyphens" in page
    page = admin_client.post(url, {"key": "shipping-times"}, follow=True).content.decode()
    assert "already has the key “shipping-times”" in page
    entry.refresh_from_db()
    assert entry.key == ""


def test_setting_a_key_is_a_post_for_someone_who_may_change_entries(admin_client):
    entry = FaqEntryFactory(question="Another question?")
    url = reverse("admin:faq_faqentry_set_key", args=[entry.pk])
    assert admin_client.get(url).status_code == 405
    admin_client.force_login(staff_with("view_faqentry", username="reader"))
    assert admin_client.post(url, {"key": "a-key"}).status_code == 403
    entry.refresh_from_db()
    assert entry.key == ""
