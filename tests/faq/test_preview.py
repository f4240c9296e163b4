""""How the assistant would answer this" on an entry's page: the ranked entries for a question in the entry's
language, drafts included, this entry highlighted, the relevance bar, and what the assistant would say."""

import pytest
from django.urls import reverse

from faq import editing
from faq.search import relevance_bar
from tests.factories import FaqEntryFactory

pytestmark = pytest.mark.django_db

NO_ANSWER = "The assistant would say it has no answer and offer a ticket."


def preview_url(entry):
    return reverse("admin:faq_faqentry_preview", args=[entry.pk])


@pytest.fixture
def returns(db):
    return FaqEntryFactory(key="returns", category="returns", question="How do I return an item?",
                           answer="Start the return from your orders page within 30 days.")


def test_an_entry_whose_question_is_asked_is_first_above_the_bar_and_is_the_answer(admin_client, delivery, returns):
    data = admin_client.get(preview_url(delivery), {"q": "How long does delivery take?"}).json()
    first = data["results"][0]
    assert first["id"] == delivery.pk and first["this"] and first["answers"]
    assert first["score"] >= data["bar"] == relevance_bar()
    assert data["answer"]["id"] == delivery.pk
    assert data["sentence"] == "The assistant would answer with: How long does delivery take?"


def test_the_html_highlights_this_entry_under_the_answers_heading(admin_client, delivery, returns):
    html = admin_client.get(preview_url(delivery), {"q": "How long does delivery take?"}).json()["html"]
    above, below = html.split('class="faq-preview-below"')
    assert 'faq-preview-this' in above and "This entry" in above and "How long does delivery take?" in above
    assert "Would not answer: below the bar" in below


def test_a_question_nothing_answers_says_the_assistant_would_offer_a_ticket(admin_client, delivery, returns):
    data = admin_client.get(preview_url(delivery), {"q": "Is the store open on Sundays?"}).json()
    assert data["answer"] is None and data["sentence"] == NO_ANSWER
    assert all(not row["answers"] for row in data["results"])
    assert NO_ANSWER in data["html"]


def test_a_draft_that_answers_says_it_would_once_published(admin_client, gift_wrap):
    data = admin_client.get(preview_url(gift_wrap), {"q": "Do you offer gift wrapping?"}).json()
    assert data["results"][0]["this"] and not data["results"][0]["published"]
    assert data["answer"] == {"id": gift_wrap.pk, "question": gift_wrap.question, "language": "en",
                              "once_published": True}
    assert data["sentence"] == "Once this draft is published, the assistant would answer with: Do you offer gift wrapping?"
    assert "faq-tag-draft" in data["html"]


def test_a_draft_that_answers_nothing_says_so_even_once_published(admin_client, gift_wrap):
    data = admin_client.get(preview_url(gift_wrap), {"q": "Is the store open on Sundays?"}).json()
    assert data["sentence"] == ("The assistant would say it has no answer and offer a ticket, even once this draft "
                                "is published.")


def test_another_draft_above_the_bar_is_never_the_answer(admin_client, delivery):
    other_draft = FaqEntryFactory(question="Do you offer gift wrapping?", answer="Yes.", published=False)
    data = admin_client.get(preview_url(delivery), {"q": "Do you offer gift wrapping?"}).json()
    assert data["results"][0]["id"] == other_draft.pk and data["results"][0]["answers"]
    assert data["answer"] is None and data["sentence"] == NO_ANSWER


def test_a_published_entry_ranked_before_a_draft_stays_the_answer_once_the_draft_is_published(admin_client, gift_wrap):
    published = FaqEntryFactory(question="Do you offer gift wrapping for birthdays?", answer="Yes, with a card.")
    FaqEntryFactory(question="Unrelated shipping question?")
    data = admin_client.get(preview_url(gift_wrap), {"q": "Do you offer gift wrapping for birthdays?"}).json()
    assert data["results"][0]["id"] == published.pk and gift_wrap.pk in [row["id"] for row in data["results"]]
    assert data["answer"]["id"] == published.pk and not data["answer"]["once_published"]


def test_an_empty_question_shows_no_results_and_asks_for_one(admin_client, delivery):
    data = admin_client.get(preview_url(delivery), {"q": "   "}).json()
    assert data["query"] == "" and data["results"] == [] and data["answer"] is None
    assert data["sentence"] == "Type a question as a customer would ask it."


def test_a_long_question_is_cut_to_the_longest_an_entry_may_ask(admin_client, delivery):
    data = admin_client.get(preview_url(delivery), {"q": "delivery " * 200}).json()
    assert len(data["query"]) <= editing.MAX_PREVIEW_QUERY
    assert data["results"][0]["id"] == delivery.pk


@pytest.mark.parametrize("question", ["📦 delivery?? 🚚", "配送にはどのくらいかかりますか", "مدة التوصيل", "d\u0301elivery\u200b take",
                                      "\x00\x1f<script>alert(1)</script>", "\ud7ff\ufffd"])
def test_any_unicode_question_is_previewed(admin_client, delivery, question):
    response = admin_client.get(preview_url(delivery), {"q": question})
    assert response.status_code == 200
    assert "<script>alert" not in response.json()["html"]


def test_this_entry_ranked_below_the_shown_rows_is_still_shown_with_its_position(delivery):
    for number in range(editing.PREVIEW_ROWS + 2):
        FaqEntryFactory(question=f"Is standard shipping free, case {number}?", answer="Standard shipping is free.")
    preview = editing.preview_answer(entry=delivery, query="Is standard shipping free?")
    assert len(preview.rows) == editing.PREVIEW_ROWS and not any(row.is_this for row in preview.rows)
    assert preview.this_row is not None and preview.this_row.position > editing.PREVIEW_ROWS
    assert preview.this_found


def test_an_entry_that_shares_no_word_with_the_question_says_only_its_meaning_brings_it_up(admin_client, delivery,
                                                                                          returns):
    data = admin_client.get(preview_url(delivery), {"q": "How do I return an item?"}).json()
    this = next(row for row in data["results"] if row["this"])
    assert this["words"] == 0 and this["meaning"] > 0 and this["score"] < data["bar"]
    assert "only their meaning is near" in data["html"]


def test_an_entry_that_shares_a_word_with_the_question_does_not_say_so(admin_client, delivery):
    html = admin_client.get(preview_url(delivery), {"q": "How long does delivery take?"}).json()["html"]
    assert "None of this question" not in html and "faq-preview-parts" in html


def test_the_preview_reads_the_entrys_language_only(admin_client, delivery):
    french = delivery.__class__.objects.get(key="shipping-times", language="fr")
    data = admin_client.get(preview_url(french), {"q": "délais de livraison"}).json()
    assert {row["language"] for row in data["results"]} == {"fr"} and data["results"][0]["this"]


def test_the_change_page_previews_its_own_question_without_script(admin_client, delivery):
    page = admin_client.get(reverse("admin:faq_faqentry_change", args=[delivery.pk])).content.decode()
    assert "How the assistant would answer this" in page
    assert 'value="How long does delivery take?"' in page and "faq-preview-this" in page
    assert "The assistant would answer with: How long does delivery take?" in page


def test_the_change_page_previews_the_question_of_its_get_form(admin_client, delivery):
    page = admin_client.get(reverse("admin:faq_faqentry_change", args=[delivery.pk]),
                            {"preview": "Is the store open on Sundays?"}).content.decode()
    assert 'value="Is the store open on Sundays?"' in page and NO_ANSWER in page


def test_the_preview_is_for_staff_who_may_read_the_entries(client, viewer_client, delivery):
    assert viewer_client.get(preview_url(delivery), {"q": "delivery"}).status_code == 200
    client.logout()
    assert client.get(preview_url(delivery), {"q": "delivery"}).status_code == 302  # to the admin's login
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(username="no-faq"))
    assert client.get(preview_url(delivery), {"q": "delivery"}).status_code == 403


def test_the_preview_of_an_unknown_entry_is_not_found(admin_client):
    assert admin_client.get(reverse("admin:faq_faqentry_preview", args=[999]), {"q": "x"}).status_code == 404
