"""A conversation's status history: each move made by a service leaves one row naming who made it."""

import pytest
from django.urls import reverse

from conversations import services
from conversations.handoff import open_handoff
from conversations.models import Conversation, ConversationStatusChange
from desk import takeover
from tests.concurrency import winners_of
from tests.factories import AgentFactory, ConversationFactory, UserFactory
from tests.helpdesk.test_statuses import moves
from tickets.exceptions import AlreadyTaken
from tickets.models import Ticket


@pytest.fixture
def sam(db):
    return AgentFactory(username="sam")


def taken_over_by(agent) -> Conversation:
    """A conversation that was waiting for a person, just taken over by `agent`."""
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=agent)
    return conversation


@pytest.mark.django_db
def test_taking_over_a_waiting_conversation_records_the_agent_who_took_it(sam):
    conversation = taken_over_by(sam)
    assert moves(conversation) == [("waiting", "agent", "agent", sam.pk)]


@pytest.mark.django_db
def test_taking_over_a_conversation_one_already_holds_records_nothing_more(sam):
    conversation = taken_over_by(sam)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    assert ConversationStatusChange.objects.count() == 1


@pytest.mark.django_db
def test_the_assistant_handing_off_records_the_move_to_waiting_with_the_reason(agent_on_duty):
    conversation = ConversationFactory()
    open_handoff(conversation, subject="Wants a person", reason="Customer asked for a human",
                 priority=Ticket.Priority.MEDIUM)
    change = ConversationStatusChange.objects.get(conversation=conversation)
    assert (change.from_status, change.to_status, change.actor, change.actor_user) == ("bot", "waiting",
                                                                                      "assistant", None)
    assert change.note == "Customer asked for a human"


@pytest.mark.django_db
def test_handing_back_records_the_agent_returning_the_conversation_to_the_assistant(sam):
    conversation = taken_over_by(sam)
    takeover.hand_back(conversation_id=conversation.pk, agent=sam)
    assert moves(conversation) == [("waiting", "agent", "agent", sam.pk), ("agent", "bot", "agent", sam.pk)]


@pytest.mark.django_db
def test_the_customer_closing_the_chat_records_the_customer():
    conversation = ConversationFactory()
    services.close_conversation(conversation_id=conversation.pk, actor="customer")
    assert moves(conversation) == [("bot", "closed", "customer", None)]


@pytest.mark.django_db
def test_closing_a_closed_conversation_records_nothing_more():
    conversation = ConversationFactory()
    services.close_conversation(conversation_id=conversation.pk, actor="customer")
    services.close_conversation(conversation_id=conversation.pk, actor="customer")
    assert ConversationStatusChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_over_at_once_leave_one_change_by_the_winner(sam):
    agents = [sam, AgentFactory(username="lea")]
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    winners = winners_of(lambda agent: takeover.take_over(conversation_id=conversation.pk, agent=agent), agents,
                         loses_with=AlreadyTaken)
    assert len(winners) == 1
    assert moves(conversation) == [("waiting", "agent", "agent", winners[0].pk)]


@pytest.mark.django_db
def test_the_conversation_page_shows_its_status_history_read_only(client, sam):
    conversation = taken_over_by(sam)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk])).content.decode()
    assert 'class="status-history"' in page
    assert "Waiting for a person → With an agent" in page and "Agent (sam)" in page
    assert 'name="status_changes' not in page
