"""The "Questions without an answer" page in the admin: who sees it, what a group shows, and its three actions."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from faq import gaps
from faq.models import FaqEntry, FaqPhrasing, UnansweredQuestion
from faq.search import FaqHit, relevance_bar, search_faq
from tests.factories import FaqEntryFactory, UserFactory

pytestmark = pytest.mark.django_db

State = UnansweredQuestion.State
PAGE = "admin:faq_unansweredquestion_changelist"


def staff(username, *codenames):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="faq", codename__in=codenames))
    return user


def client_for(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def editor():
    """A FAQ editor: sees the content gaps and writes entries."""
    return client_for(staff("editor", "view_unansweredquestion", "view_faqentry", "add_faqentry", "change_faqentry"))


@pytest.fixture
def viewer():
    return client_for(staff("viewer", "view_unansweredquestion"))


@pytest.fixture
def vouchers():
    return FaqEntryFactory(question="Can I buy a voucher?", category="payment",
                           answer="Yes: vouchers from $10 to $200, sent by email.")


def ask(question, language="en", source="search", days=0, nearest=None):
    row = gaps.record_unanswered(question, language=language, source=source, nearest=nearest)
    UnansweredQuestion.objects.filter(pk=row.pk).update(asked_at=timezone.now() - timedelta(days=days))
    return row


def hit(entry, score):
    return FaqHit(entry.pk, entry.question, entry.answer, entry.category, entry.language, score)


def notices(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- who sees it -----------------------------------------------------------------------------------------------------
def test_the_admin_index_and_the_faq_page_list_it_for_who_may_see_it(viewer):
    url = reverse(PAGE)
    for page in (reverse("admin:index"), reverse("admin:app_list", args=["faq"])):
        content = viewer.get(page).content.decode()
        assert "Questions without an answer" in content and f'href="{url}"' in content
    assert viewer.get(url).status_code == 200


def test_staff_without_the_permission_neither_see_it_listed_nor_open_it():
    client = client_for(staff("agent", "view_faqentry"))
    assert "Questions without an answer" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse(PAGE)).status_code == 403


# --- what a group shows ----------------------------------------------------------------------------------------------
def test_each_group_shows_its_question_count_language_last_asked_sources_examples_and_nearest_entry(editor, vouchers):
    ask("Do you sell gift cards?", days=2, nearest=hit(vouchers, 0.31))
    ask("Do you sell gift cards?", days=1, nearest=hit(vouchers, 0.31))
    ask("gift card balance", source="ticket", nearest=hit(vouchers, 0.27))
    response = editor.get(reverse(PAGE))
    group = response.context["cards"][0]["group"]
    assert (group.representative.text, group.count, group.language) == ("Do you sell gift cards?", 3, "en")
    page = response.content.decode()
    for shown in ("1 group, 3 questions", '<span class="gap-count"', ">3<", ">EN<", "Last asked", "now", "No good article <b>2</b>",
                  "Follow-up ticket <b>1</b>", "2 ways it was asked", "gift card balance", "Can I buy a voucher?",
                  f"score 0.31, below the bar of {relevance_bar():.2f}", "Write a new entry", "Add as a phrasing of…", "Ignore"):
        assert shown in page, shown


def test_the_page_filters_by_language_source_and_state(editor, vouchers):
    ask("gift card", source="ticket")
    ask("carte cadeau", language="fr")
    answered = ask("engraving option")
    gaps.add_as_phrasing([answered.pk], vouchers, UserFactory(username="ada", first_name="Ada", last_name="Admin"))

    def shown(**query):
        return [card["group"].representative.text for card in editor.get(reverse(PAGE), query).context["cards"]]

    assert sorted(shown()) == ["carte cadeau", "gift card"]
    assert shown(language="fr") == ["carte cadeau"]
    assert shown(source="ticket") == ["gift card"]
    assert shown(state="answered") == ["engraving option"]
    page = editor.get(reverse(PAGE), {"state": "answered"}).content.decode()
    assert "Answered by" in page and "Ada Admin" in page and "Write a new entry" not in page
    assert sorted(shown(state="nonsense", language="xx")) == ["carte cadeau", "gift card"]


def test_an_empty_page_says_the_faq_answered_everything(editor):
    assert "the FAQ answered everything customers asked" in editor.get(reverse(PAGE)).content.decode()


# --- permissions, POST only, CSRF ------------------------------------------------------------------------------------
def test_a_viewer_sees_no_actions_and_cannot_act(viewer, vouchers):
    question = ask("gift card")
    page = viewer.get(reverse(PAGE)).content.decode()
    assert "gift card" in page and "gap-actions" not in page and "Write a new entry" not in page
    assert viewer.post(reverse("admin:faq_unansweredquestion_ignore"), {"ids": question.pk}).status_code == 403
    phrasing = reverse("admin:faq_unansweredquestion_phrasing")
    assert viewer.get(phrasing, {"gap": question.pk}).status_code == 403
    assert viewer.post(phrasing, {"gap": question.pk, "question": question.pk, "entry": vouchers.pk}).status_code == 403
    assert UnansweredQuestion.objects.get().state == State.OPEN and not FaqPhrasing.objects.exists()


def test_ignore_is_a_post_with_csrf(vouchers):
    question = ask("gift card")
    user = staff("csrf", "view_unansweredquestion", "change_faqentry")
    url = reverse("admin:faq_unansweredquestion_ignore")
    assert client_for(user).get(url, {"ids": question.pk}).status_code == 405
    assert client_for(user, enforce_csrf_checks=True).post(url, {"ids": question.pk}).status_code == 403
    assert UnansweredQuestion.objects.get().state == State.OPEN


# --- ignore ----------------------------------------------------------------------------------------------------------
def test_ignoring_a_group_marks_its_questions_and_says_so(editor):
    ids = [ask("Can you engrave the headphones?").pk, ask("engraving option").pk]
    response = editor.post(reverse("admin:faq_unansweredquestion_ignore"),
                           {"ids": ",".join(map(str, ids)), "back": "language=en"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(PAGE) + "?language=en"
    assert notices(response) == ["Ignored 2 questions: the same questions asked again are recorded as ignored."]
    assert set(UnansweredQuestion.objects.values_list("state", flat=True)) == {State.IGNORED}


def test_acting_twice_on_the_same_group_says_it_was_already_handled(editor):
    question = ask("engraving option")
    url = reverse("admin:faq_unansweredquestion_ignore")
    editor.post(url, {"ids": question.pk}, follow=True)
    response = editor.post(url, {"ids": f"{question.pk},junk,-1"}, follow=True)
    assert notices(response) == ["These questions were already handled (or no longer exist)."]


# --- add as a phrasing -----------------------------------------------------------------------------------------------
def test_the_phrasing_form_lists_the_questions_and_preselects_the_nearest_entry(editor, vouchers):
    FaqEntryFactory(question="Vendez-vous des bons d'achat ?", language="fr", answer="Oui.")
    draft = FaqEntryFactory(question="Gift wrapping", answer="Soon.", published=False)
    ids = [ask("Do you sell gift cards?", nearest=hit(vouchers, 0.3)).pk, ask("gift card balance").pk]
    response = editor.get(reverse("admin:faq_unansweredquestion_phrasing"), {"gap": ",".join(map(str, ids))})
    assert response.status_code == 200
    assert response.context["selected"] == vouchers.pk
    assert [w.text for w in response.context["wordings"]] == ["gift card balance", "Do you sell gift cards?"]
    page = response.content.decode()
    assert f'<option value="{vouchers.pk}" selected>Can I buy a voucher? (' in page and "— draft" in page
    listed = [entry.pk for entry, _score in response.context["suggested"]] + [e.pk for e in response.context["others"]]
    assert sorted(listed) == sorted([vouchers.pk, draft.pk]) and "bons d&#x27;achat" not in page


def test_adding_as_a_phrasing_answers_the_chosen_questions_and_the_same_question_finds_the_entry(editor, vouchers):
    chosen, left = ask("Do you sell gift cards?"), ask("gift card balance")
    gap = f"{chosen.pk},{left.pk}"
    response = editor.post(reverse("admin:faq_unansweredquestion_phrasing"),
                           {"gap": gap, "question": [chosen.pk], "entry": vouchers.pk, "back": "source=search"},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse(PAGE) + "?source=search"
    assert notices(response) == [
        "Added as a way to ask “Can I buy a voucher?” (1 question answered). The same question now finds it."]
    assert search_faq("Do you sell gift cards?", language="en")[0].id == vouchers.pk
    assert UnansweredQuestion.objects.get(pk=left.pk).state == State.OPEN
    assert [c["group"].representative.text for c in response.context["cards"]] == ["gift card balance"]


def test_an_entry_in_the_other_language_is_refused_with_the_reason_and_nothing_changes(editor):
    french = FaqEntryFactory(question="Vendez-vous des bons d'achat ?", language="fr", answer="Oui.")
    question = ask("gift card")
    response = editor.post(reverse("admin:faq_unansweredquestion_phrasing"),
                           {"gap": question.pk, "question": question.pk, "entry": french.pk})
    assert response.status_code == 200
    assert notices(response) == ["The entry “Vendez-vous des bons d'achat ?” is not in the questions' language "
                                 "(questions: English; entry: French): choose an entry in their language, or write one."]
    assert UnansweredQuestion.objects.get().state == State.OPEN and not FaqPhrasing.objects.exists()


def test_the_phrasing_form_needs_a_question_and_an_entry(editor, vouchers):
    question = ask("gift card")
    url = reverse("admin:faq_unansweredquestion_phrasing")
    assert notices(editor.post(url, {"gap": question.pk, "entry": vouchers.pk})) == [
        "Choose at least one of the questions."]
    assert notices(editor.post(url, {"gap": question.pk, "question": question.pk, "entry": "x"})) == [
        "Choose the entry these questions are another way to ask."]
    assert UnansweredQuestion.objects.get().state == State.OPEN


def test_the_message_says_when_a_question_still_ranks_below_the_bar(editor, vouchers, monkeypatch):
    monkeypatch.setattr(gaps, "MAX_PHRASINGS", 0)
    question = ask("gift card")
    response = editor.post(reverse("admin:faq_unansweredquestion_phrasing"),
                           {"gap": question.pk, "question": question.pk, "entry": vouchers.pk}, follow=True)
    assert notices(response) == ["Added as a way to ask “Can I buy a voucher?” (1 question answered). But “gift "
                                 "card” still ranks below the bar: add a clearer phrasing."]


# --- write a new entry -----------------------------------------------------------------------------------------------
def add_form_data(response, **fields) -> dict:
    """What the add form posts: its fields and, for each inline, an empty management form."""
    data = {"key": "", "_publish": "Publish", **fields}
    for inline in response.context.get("inline_admin_formsets", ()):
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


def write_url(client) -> str:
    return client.get(reverse(PAGE)).context["cards"][0]["write_url"]


def test_write_a_new_entry_opens_the_add_form_with_the_question_and_language_prefilled(editor):
    ask("horaires d'ouverture", language="fr")
    ask("horaires d'ouverture ?", language="fr")
    url = write_url(editor)
    assert parse_qs(urlsplit(url).query)["question"] == ["horaires d'ouverture ?"]
    response = editor.get(url)
    form = response.context["adminform"].form
    assert (form.initial["question"], form.initial["language"]) == ("horaires d'ouverture ?", "fr")
    assert notices(response) == [
        "Writing the answer to 2 customer questions (“horaires d'ouverture ?”…): when you save the entry, they are "
        "marked answered by it and their wordings added as its phrasings."]


def test_saving_the_new_entry_answers_the_group_and_goes_back_to_the_page(editor):
    ask("Do you sell gift cards?")
    ask("Do you sell gift cards?")
    ask("gift card balance")
    url = write_url(editor)
    response = editor.post(url, add_form_data(editor.get(url), question="Do you sell gift cards?",
                                              answer="Yes, from $10 to $200.", category="payment", language="en"),
                           follow=True)
    entry = FaqEntry.objects.get(question="Do you sell gift cards?")
    assert response.redirect_chain[-1][0] == reverse(PAGE)
    assert "“Do you sell gift cards?” answers 3 customer questions; their wordings are now its phrasings. " \
           "The same question now finds it." in notices(response)
    assert set(UnansweredQuestion.objects.values_list("state", "answered_by_entry")) == {(State.ANSWERED, entry.pk)}
    assert list(entry.phrasings.values_list("text", flat=True)) == ["gift card balance"]
    for question in ("Do you sell gift cards?", "gift card balance"):
        assert search_faq(question, language="en")[0].id == entry.pk


def test_an_add_form_with_junk_or_handled_ids_saves_the_entry_as_any_other(editor):
    handled = ask("engraving option")
    gaps.ignore([handled.pk], UserFactory(username="someone"))
    for gap in (f"{handled.pk}", "1;DROP TABLE,abc", ""):
        url = reverse("admin:faq_faqentry_add") + f"?gap={gap}"
        question = f"Do you engrave? {gap}".strip()
        response = editor.post(url, add_form_data(editor.get(url), question=question, answer="Yes.",
                                                  category="products", language="en"))
        assert response.status_code == 302 and response.url.startswith(reverse("admin:faq_faqentry_changelist"))
        assert FaqEntry.objects.get(question=question).phrasings.count() == 0
    assert UnansweredQuestion.objects.get().state == State.IGNORED


def test_a_new_entry_in_the_other_language_is_saved_and_the_questions_stay_open(editor):
    ask("gift card")
    url = write_url(editor)
    response = editor.post(url, add_form_data(editor.get(url), question="Cartes cadeaux", answer="Oui.",
                                              category="payment", language="fr"), follow=True)
    assert FaqEntry.objects.filter(question="Cartes cadeaux").exists()
    assert any("(questions: English; entry: French)" in notice for notice in notices(response))
    assert UnansweredQuestion.objects.get().state == State.OPEN


def test_without_the_permission_to_see_gaps_the_add_form_does_not_touch_them():
    question = ask("gift card")
    client = client_for(staff("writer", "view_faqentry", "add_faqentry", "change_faqentry"))
    url = reverse("admin:faq_faqentry_add") + f"?gap={question.pk}"
    client.post(url, add_form_data(client.get(url), question="Gift cards?", answer="Yes.", category="payment",
                                   language="en"))
    assert FaqEntry.objects.filter(question="Gift cards?").exists()
    assert UnansweredQuestion.objects.get().state == State.OPEN


# --- the rest of the admin -------------------------------------------------------------------------------------------
def test_a_question_can_be_read_but_not_added_changed_or_deleted(editor):
    question = ask("gift card")
    change = reverse("admin:faq_unansweredquestion_change", args=[question.pk])
    assert editor.get(change).status_code == 200
    editor.post(change, {"text": "edited", "state": "ignored"})
    assert UnansweredQuestion.objects.values_list("text", "state").get() == ("gift card", State.OPEN)
    superuser = client_for(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert superuser.get(reverse("admin:faq_unansweredquestion_add")).status_code == 403
    superuser.post(reverse("admin:faq_unansweredquestion_delete", args=[question.pk]), {"post": "yes"})
    assert UnansweredQuestion.objects.filter(pk=question.pk).exists()


def test_groups_come_in_pages_that_keep_the_filters(editor, monkeypatch):
    from faq import admin_gaps

    monkeypatch.setattr(admin_gaps, "GROUPS_PER_PAGE", 1)
    ask("gift card")
    ask("gift card?")
    ask("engraving option")
    first = editor.get(reverse(PAGE), {"language": "en"})
    assert [c["group"].representative.text for c in first.context["cards"]] == ["gift card?"]
    assert 'href="?language=en&amp;p=2"' in first.content.decode()
    second = editor.get(reverse(PAGE), {"language": "en", "p": 2})
    assert [c["group"].representative.text for c in second.context["cards"]] == ["engraving option"]
