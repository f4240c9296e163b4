"""What conversations tell the content-gaps page: the customer's own words, when the knowledge base had no answer,
when the conversation ended unresolved and when it became a follow-up ticket."""

import pytest
from django.utils import timezone

from assistant.tools import ToolContext, run_tool
from conversations import services
from faq.models import UnansweredQuestion
from tests.factories import ConversationFactory, FaqEntryFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery_entry():
    return FaqEntryFactory(question="How long does delivery take?", answer="Standard shipping takes 3 to 5 days.")


def asked(text, **conversation):
    message = MessageFactory(conversation=ConversationFactory(**conversation), text=text)
    return message.conversation


def call(conversation, name, **args):
    return run_tool(name, args, ToolContext(conversation_id=conversation.pk, language=conversation.language))


def test_a_search_without_an_answer_records_the_customers_words_with_personal_data_masked(delivery_entry):
    conversation = asked("Do you sell gift cards? Reply to jane.cooper@example.com")
    result = call(conversation, "search_faq", query="gift cards")
    assert result.content["matched"] is False and result.content["results"] == []
    gap = UnansweredQuestion.objects.get()
    assert gap.source == UnansweredQuestion.Source.SEARCH and gap.conversation_id == conversation.pk
    assert gap.text.startswith("Do you sell gift cards?") and "jane.cooper@example.com" not in gap.text


def test_searching_twice_for_one_question_records_it_once(delivery_entry):
    conversation = asked("Do you sell gift cards?")
    call(conversation, "search_faq", query="gift cards")
    call(conversation, "search_faq", query="gift voucher")
    assert UnansweredQuestion.objects.count() == 1


def test_a_later_search_that_finds_the_answer_takes_the_gap_back(delivery_entry):
    conversation = asked("How long until my parcel is here?")
    call(conversation, "search_faq", query="parcel arrival")
    assert UnansweredQuestion.objects.count() == 1
    result = call(conversation, "search_faq", query="delivery take how long")
    assert result.content["matched"] is True and result.content["results"][0]["id"] == delivery_entry.pk
    assert 0 < result.content["results"][0]["score"] <= 1
    assert not UnansweredQuestion.objects.exists()


def test_a_search_that_answers_records_nothing(delivery_entry):
    call(asked("How long does delivery take?"), "search_faq", query="how long does delivery take")
    assert not UnansweredQuestion.objects.exists()


def test_a_follow_up_ticket_records_the_question_with_its_ticket_number():
    conversation = asked("My invoice shows the wrong company name, can you fix it?")
    result = call(conversation, "create_ticket", subject="Invoice", category="billing", priority="low",
                  description="Wrong company name", customer_email="sam.lee@example.com")
    gap = UnansweredQuestion.objects.get(source=UnansweredQuestion.Source.TICKET)
    assert gap.ticket_number == result.content["ticket"]
    assert gap.text == "My invoice shows the wrong company name, can you fix it?"


def test_a_conversation_handed_to_people_and_left_records_its_question_as_unresolved():
    conversation = asked("Can I trade in my old phone?", escalated_at=timezone.now())
    services.close_conversation(conversation_id=conversation.pk, actor="customer")
    gap = UnansweredQuestion.objects.get()
    assert (gap.source, gap.text) == (UnansweredQuestion.Source.UNRESOLVED, "Can I trade in my old phone?")


def test_a_conversation_the_assistant_resolved_records_nothing():
    conversation = asked("Can I trade in my old phone?")
    services.close_conversation(conversation_id=conversation.pk, actor="customer")
    assert not UnansweredQuestion.objects.exists()
