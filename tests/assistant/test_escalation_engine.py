"""The escalation engine's rules, with the source document's numbers."""

import pytest

from assistant.escalation import after_turn, decide
from assistant.sentiment import SentimentScore, lexicon_score
from conversations.models import Conversation, ConversationEvent
from tests.factories import ConversationFactory, MessageFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def scored(conversation, *scores):
    return [MessageFactory(conversation=conversation, seq=n + 1, sentiment_score=s) for n, s in enumerate(scores)]


def test_an_explicit_request_for_a_person_escalates_now_as_urgent():
    conversation = ConversationFactory()
    decision = decide(conversation, scored(conversation, 0.0), SentimentScore(0.0, frozenset({"wants_human"})))
    assert decision.escalate and decision.priority == "urgent" and decision.rule == "asked_for_human"


def test_a_threat_escalates_now_as_urgent():
    conversation = ConversationFactory()
    decision = decide(conversation, scored(conversation, -0.4), lexicon_score("I will sue you"))
    assert decision.escalate and decision.priority == "urgent" and decision.rule == "threat"


def test_three_consecutive_scores_below_minus_half_escalate_as_high():
    conversation = ConversationFactory()
    decision = decide(conversation, scored(conversation, -0.6, -0.7, -0.55), SentimentScore(-0.55))
    assert decision.escalate and decision.priority == "high" and decision.rule == "negative_streak"


def test_two_negative_scores_or_a_score_of_exactly_minus_half_do_not_escalate():
    conversation = ConversationFactory()
    decision = decide(conversation, scored(conversation, 0.2, -0.6, -0.7), SentimentScore(-0.7))
    assert decision is None or not decision.escalate
    other = ConversationFactory()
    decision = decide(other, scored(other, -0.6, -0.5, -0.7), SentimentScore(-0.7))
    assert not decision.escalate and decision.rule == "unresolved"


def test_the_first_and_second_abuse_get_the_sources_warnings_and_the_third_goes_to_a_supervisor(agent_on_duty):
    conversation = ConversationFactory()
    message = MessageFactory(conversation=conversation, seq=1, text="you idiot")
    abusive = lexicon_score("you useless idiot")
    first = after_turn(conversation.pk, message.pk, abusive)
    assert first.say == "I understand your frustration. I'm here to help, but I ask that you remain respectful."
    second_message = MessageFactory(conversation=conversation, seq=2, text="stupid bot")
    second = after_turn(conversation.pk, second_message.pk, abusive)
    assert second.say.startswith("I want to help you, but I can't continue if the tone remains inappropriate.")
    third_message = MessageFactory(conversation=conversation, seq=3, text="idiots")
    third = after_turn(conversation.pk, third_message.pk, abusive)
    assert third.decision.escalate and "supervisor" in third.say
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING and conversation.abuse_strikes == 3
    assert Ticket.objects.get().priority == "high"


def test_three_exchanges_without_resolution_offer_a_person_once():
    conversation = ConversationFactory()
    history = scored(conversation, -0.2, -0.3, -0.2)
    decision = decide(conversation, history, SentimentScore(-0.2))
    assert decision.rule == "unresolved" and not decision.escalate
    after_turn(conversation.pk, history[-1].pk, SentimentScore(-0.2))
    fourth = MessageFactory(conversation=conversation, seq=4, sentiment_score=-0.2)
    assert decide(conversation, [*history, fourth], SentimentScore(-0.2)) is None


def test_three_neutral_questions_are_not_an_unresolved_issue():
    conversation = ConversationFactory()
    assert decide(conversation, scored(conversation, 0.0, 0.0, 0.0), SentimentScore(0.0)) is None


def test_thanks_resets_the_unresolved_count():
    conversation = ConversationFactory()
    history = scored(conversation, -0.3, -0.3)
    history.append(MessageFactory(conversation=conversation, seq=3, text="thanks, that worked", sentiment_score=0.4))
    assert decide(conversation, history, SentimentScore(0.4)) is None


def test_each_decision_is_stored_with_its_reason():
    conversation = ConversationFactory()
    message = MessageFactory(conversation=conversation, seq=1, text="I want a human")
    after_turn(conversation.pk, message.pk, lexicon_score("I want to talk to a human"))
    event = ConversationEvent.objects.get(kind="escalation_decision")
    assert event.data["rule"] == "asked_for_human" and event.data["priority"] == "urgent"
    assert "Ticket" not in event.detail and event.detail


def test_the_lexicon_scores_the_source_documents_messages_like_the_source():
    assert -0.5 < lexicon_score("The Bluetooth won't connect to anything at all. I've tried with 3 different "
                                "devices. It's really frustrating, it was a gift.").score <= -0.3
    assert lexicon_score("Yes I've tried everything!! Nothing works. I want a refund.").score <= -0.5
    assert lexicon_score("Merci, c'est parfait !").score > 0.3
    assert "abusive" in lexicon_score("Vous êtes des escrocs, bande de nuls").flags
