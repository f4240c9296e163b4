"""Content gaps: the questions without an answer grouped for the admins, and what their actions do."""

from datetime import timedelta

import pytest
from django.utils import timezone

from faq import gaps
from faq.exceptions import ContentGapError
from faq.models import FaqEntry, FaqPhrasing, UnansweredQuestion
from faq.search import search_faq
from tests.factories import FaqEntryFactory, UserFactory

pytestmark = pytest.mark.django_db

State = UnansweredQuestion.State


def ask(question, language="en", source="search", days=0, hours=0, **fields) -> UnansweredQuestion:
    """A question recorded as the assistant records one, asked `days` and `hours` ago."""
    row = gaps.record_unanswered(question, language=language, source=source, **fields)
    UnansweredQuestion.objects.filter(pk=row.pk).update(asked_at=timezone.now() - timedelta(days=days, hours=hours))
    row.refresh_from_db()
    return row


@pytest.fixture
def knowledge_base():
    FaqEntryFactory(question="Which payment methods do you accept?", answer="Visa, Mastercard and PayPal.",
                    category="payment")
    FaqEntryFactory(question="How long does delivery take?", answer="Standard delivery takes 3 to 5 business days.")
    FaqEntryFactory(question="Quels moyens de paiement acceptez-vous ?", answer="Visa, Mastercard et PayPal.",
                    category="payment", language="fr")
    return {
        "vouchers": FaqEntryFactory(question="Can I buy a voucher?", category="payment",
                                    answer="Yes: vouchers from $10 to $200, sent by email, valid for a year."),
        "bons": FaqEntryFactory(question="Vendez-vous des bons d'achat ?", category="payment", language="fr",
                                answer="Oui : des bons de 10 à 200 €, envoyés par e-mail."),
    }


@pytest.fixture
def admin_user():
    return UserFactory(username="editor", is_staff=True, is_superuser=True)


def group_with(report, question):
    return next(g for g in report.groups if question in [e.text for e in g.examples])


# --- grouping --------------------------------------------------------------------------------------------------------
def test_similar_questions_are_one_group_with_their_count_and_the_date_last_asked(knowledge_base):
    ask("Do you sell gift cards?", days=3)
    ask("Do you sell gift cards?", days=2)
    ask("can I buy a gift card", days=1)
    latest = ask("gift card balance", hours=2)
    ask("Can you engrave the headphones?", days=1)
    report = gaps.content_gaps()
    gift = group_with(report, "gift card balance")
    assert gift.count == 4 and gift.last_asked == latest.asked_at
    assert gift.representative.text == "Do you sell gift cards?" and gift.representative.count == 2
    assert [g.count for g in report.groups] == [4, 1] and report.questions == 5


def test_examples_are_up_to_five_distinct_texts_with_their_source_and_date(knowledge_base):
    ask("Gift card?", days=2)
    ask("gift card", source="ticket", ticket_number="TCK-1234567", days=1)
    for n, question in enumerate(["do you sell gift cards", "buy a gift card", "gift card balance",
                                  "gift cards available?", "use my gift card", "gift card expired"]):
        ask(question, days=3 + n)
    group = gaps.content_gaps().groups[0]
    assert len(group.examples) == 5 and group.distinct_texts == 7 and group.more_examples == 2
    first = group.examples[0]
    assert (first.text, first.count, first.source_label, first.ticket_number) == (
        "gift card", 2, "Follow-up ticket", "TCK-1234567")
    assert len({gaps._same_text(e.text) for e in group.examples}) == 5


def test_questions_in_french_and_english_are_never_one_group(knowledge_base):
    ask("carte cadeau", language="fr")
    ask("gift card", language="en")
    ask("carte cadeau ?", language="fr")
    report = gaps.content_gaps()
    assert sorted((g.language, g.count) for g in report.groups) == [("en", 1), ("fr", 2)]
    assert report.groups[0].language_label == "French"


def test_groups_are_sorted_by_count_then_by_the_latest_question(knowledge_base):
    ask("student discount?", days=5)
    ask("engraving option", days=1)
    ask("gift card", days=9)
    ask("gift card?", days=8)
    report = gaps.content_gaps()
    assert [g.representative.text for g in report.groups] == ["gift card?", "engraving option", "student discount?"]


def test_each_group_counts_its_sources(knowledge_base):
    ask("gift card", source="search")
    ask("gift card?", source="search", conversation_id="6d6f9a3e-8a0b-4d43-a1b5-3f9b1d2c4e51")
    ask("do you sell gift cards", source="ticket")
    assert gaps.content_gaps().groups[0].sources == [("No good article", 2), ("Follow-up ticket", 1)]


def test_the_suggested_entry_is_the_nearest_search_found_most_often_with_its_best_score(knowledge_base):
    vouchers, payments = knowledge_base["vouchers"], FaqEntry.objects.get(question__startswith="Which payment")
    ask("gift card", nearest=_hit(vouchers, 0.31))
    ask("gift card?", nearest=_hit(vouchers, 0.42))
    ask("do you sell gift cards", nearest=_hit(payments, 0.45))
    group = gaps.content_gaps().groups[0]
    assert group.nearest == vouchers and group.nearest_score == pytest.approx(0.42)


def _hit(entry, score):
    from faq.search import FaqHit

    return FaqHit(entry.pk, entry.question, entry.answer, entry.category, entry.language, score)


def test_only_open_questions_are_grouped_unless_another_state_is_asked_for(knowledge_base, admin_user):
    ask("gift card")
    engraving = ask("engraving option")
    gaps.ignore([engraving.pk], admin_user)
    assert [g.representative.text for g in gaps.content_gaps().groups] == ["gift card"]
    ignored = gaps.content_gaps(state=State.IGNORED).groups
    assert [g.representative.text for g in ignored] == ["engraving option"]
    assert ignored[0].handled_by == admin_user.get_full_name() and ignored[0].handled_at is not None


def test_questions_older_than_the_window_are_left_out(knowledge_base):
    ask("gift card", days=gaps.WINDOW_DAYS + 1)
    ask("engraving option", days=gaps.WINDOW_DAYS - 1)
    assert [g.representative.text for g in gaps.content_gaps().groups] == ["engraving option"]


def test_only_the_most_recent_questions_are_grouped_and_the_report_says_so(knowledge_base, monkeypatch):
    monkeypatch.setattr(gaps, "MAX_QUESTIONS", 2)
    ask("gift card", days=3)
    ask("engraving option", days=2)
    ask("student discount", days=1)
    report = gaps.content_gaps()
    assert report.truncated and (report.questions, report.total) == (2, 3)
    assert {g.representative.text for g in report.groups} == {"engraving option", "student discount"}


def test_the_page_filters_by_language_and_source(knowledge_base):
    ask("gift card", source="ticket")
    ask("engraving option", source="search")
    ask("carte cadeau", language="fr", source="ticket")
    assert [g.representative.text for g in gaps.content_gaps(language="fr").groups] == ["carte cadeau"]
    assert {g.representative.text for g in gaps.content_gaps(source="ticket").groups} == {"gift card", "carte cadeau"}


# --- add as a phrasing -----------------------------------------------------------------------------------------------
def test_adding_as_a_phrasing_makes_the_same_question_find_the_entry(knowledge_base, admin_user):
    vouchers = knowledge_base["vouchers"]
    question = ask("Do you sell gift cards?")
    assert not [hit for hit in search_faq("Do you sell gift cards?", language="en") if hit.id == vouchers.pk]
    outcome = gaps.add_as_phrasing([question.pk], vouchers, admin_user)
    assert search_faq("Do you sell gift cards?", language="en")[0].id == vouchers.pk
    assert outcome.found and outcome.answered == 1 and outcome.phrasings == ("Do you sell gift cards?",)
    question.refresh_from_db()
    assert (question.state, question.answered_by_entry, question.handled_by) == (State.ANSWERED, vouchers, admin_user)
    assert question.handled_at is not None


def test_one_id_answers_every_open_repeat_of_the_same_question(knowledge_base, admin_user):
    first, again, other_wording = ask("gift card?"), ask("Gift cards"), ask("gift card balance")
    outcome = gaps.add_as_phrasing([first.pk], knowledge_base["vouchers"], admin_user)
    assert outcome.answered == 2
    assert set(UnansweredQuestion.objects.filter(state=State.ANSWERED).values_list("pk", flat=True)) == {
        first.pk, again.pk}
    other_wording.refresh_from_db()
    assert other_wording.state == State.OPEN


def test_each_wording_becomes_one_phrasing_and_what_the_entry_already_reads_is_skipped(knowledge_base, admin_user):
    vouchers = knowledge_base["vouchers"]
    FaqPhrasing.objects.create(entry=vouchers, text="gift card balance")
    ids = [ask(q).pk for q in ["Gift card?", "gift cards", "Gift card balance!", "can I buy a voucher",
                               "do you sell gift cards"]]
    outcome = gaps.add_as_phrasing(ids, vouchers, admin_user)
    assert outcome.answered == 5
    # "Gift card?" and "gift cards" are one wording (the latest text is kept); "Gift card balance!" reads as the
    # phrasing the entry has, "can I buy a voucher" as its question.
    assert sorted(vouchers.phrasings.values_list("text", flat=True)) == [
        "do you sell gift cards", "gift card balance", "gift cards"]


def test_a_phrasing_is_cut_to_300_characters_at_a_word(knowledge_base, admin_user):
    long_question = "Do you sell gift cards " + " ".join(["with a personalised message"] * 20)
    question = ask(long_question)
    gaps.add_as_phrasing([question.pk], knowledge_base["vouchers"], admin_user)
    phrasing = FaqPhrasing.objects.get(entry=knowledge_base["vouchers"]).text
    assert len(phrasing) <= 300 and long_question.startswith(phrasing) and not phrasing.endswith(" ")
    assert phrasing.split()[-1] in long_question.split()


def test_an_entry_in_the_other_language_is_refused_and_nothing_changes(knowledge_base, admin_user):
    question = ask("gift card")
    with pytest.raises(ContentGapError, match="questions: English; entry: French"):
        gaps.add_as_phrasing([question.pk], knowledge_base["bons"], admin_user)
    question.refresh_from_db()
    assert question.state == State.OPEN and question.handled_by is None
    assert not FaqPhrasing.objects.exists()


def test_questions_already_handled_are_refused_and_keep_who_handled_them(knowledge_base, admin_user):
    question = ask("gift card")
    gaps.add_as_phrasing([question.pk], knowledge_base["vouchers"], admin_user)
    with pytest.raises(ContentGapError, match="already handled"):
        gaps.add_as_phrasing([question.pk], knowledge_base["vouchers"], UserFactory(username="late"))
    with pytest.raises(ContentGapError):
        gaps.ignore([question.pk], UserFactory(username="later"))
    question.refresh_from_db()
    assert (question.state, question.handled_by) == (State.ANSWERED, admin_user)


@pytest.mark.parametrize("ids", [[], ["abc"], [-3], [0], [999999], None])
def test_ids_that_are_not_open_questions_are_refused(knowledge_base, admin_user, ids):
    ask("gift card")
    with pytest.raises(ContentGapError):
        gaps.add_as_phrasing(ids, knowledge_base["vouchers"], admin_user)
    assert not UnansweredQuestion.objects.exclude(state=State.OPEN).exists() and not FaqPhrasing.objects.exists()


def test_questions_in_two_languages_are_refused_together(knowledge_base, admin_user):
    ids = [ask("gift card").pk, ask("carte cadeau", language="fr").pk]
    with pytest.raises(ContentGapError, match="more than one language"):
        gaps.ignore(ids, admin_user)
    assert not UnansweredQuestion.objects.exclude(state=State.OPEN).exists()


def test_the_outcome_names_the_wordings_that_still_rank_below_the_bar(knowledge_base, admin_user, monkeypatch):
    monkeypatch.setattr(gaps, "MAX_PHRASINGS", 1)
    ids = [ask("gift card").pk, ask("gift card", source="ticket").pk, ask("engraving option").pk]
    outcome = gaps.add_as_phrasing(ids, knowledge_base["vouchers"], admin_user)
    assert outcome.phrasings == ("gift card",) and outcome.answered == 3
    assert outcome.unfound == ("engraving option",) and not outcome.found


def test_a_draft_is_checked_as_it_will_be_found_once_published(knowledge_base, admin_user):
    draft = FaqEntryFactory(question="Do you engrave products?", answer="Yes, for $10.", published=False)
    outcome = gaps.add_as_phrasing([ask("engraving option").pk], draft, admin_user)
    assert outcome.found
    assert search_faq("engraving option", language="en") == []
    FaqEntry.objects.filter(pk=draft.pk).update(published=True, updated_at=timezone.now())
    assert search_faq("engraving option", language="en")[0].id == draft.pk


# --- a new entry -----------------------------------------------------------------------------------------------------
def test_a_new_entry_answers_its_questions_and_the_same_questions_find_it(knowledge_base, admin_user):
    ids = [ask("opening hours?").pk, ask("what time do you open").pk, ask("are you open on sunday").pk]
    entry = FaqEntryFactory(question="opening hours?", answer="Our online store is open every day, all day.",
                            category="account")
    outcome = gaps.answer_with_new_entry(ids, entry, admin_user)
    assert outcome.answered == 3 and outcome.found
    assert sorted(entry.phrasings.values_list("text", flat=True)) == ["are you open on sunday", "what time do you open"]
    for question in ["opening hours?", "what time do you open", "are you open on sunday"]:
        assert search_faq(question, language="en")[0].id == entry.pk
    assert set(UnansweredQuestion.objects.values_list("answered_by_entry", flat=True)) == {entry.pk}


# --- ignore ----------------------------------------------------------------------------------------------------------
def test_ignored_questions_stay_ignored_when_asked_again(knowledge_base, admin_user):
    question = ask("Can you engrave the headphones?")
    assert gaps.ignore([question.pk], admin_user) == 1
    question.refresh_from_db()
    assert (question.state, question.handled_by, question.answered_by_entry) == (State.IGNORED, admin_user, None)
    again = ask("can you ENGRAVE the headphones")
    assert again.state == State.IGNORED
    assert gaps.content_gaps().groups == []


def test_a_question_with_no_content_words_is_not_recorded():
    assert gaps.record_unanswered("ok thanks?", language="en", source="search") is None
    assert not UnansweredQuestion.objects.exists()
