"""A ticket's status history: takes and solves leave one row each, and a race between agents leaves one."""

import pytest
from django.urls import reverse

from conversations.models import Conversation
from desk import takeover
from tests.concurrency import winners_of
from tests.conversations.test_status_history import taken_over_by
from tests.factories import AgentFactory, ConversationFactory, TicketFactory, UserFactory
from tests.helpdesk.test_statuses import moves
from tickets import services
from tickets.exceptions import AlreadyTaken
from tickets.models import Ticket, TicketStatusChange


@pytest.fixture
def sam(db):
    return AgentFactory(username="sam")


@pytest.mark.django_db
def test_solving_a_follow_up_from_the_queue_records_the_agent_who_solved_it(sam):
    ticket = TicketFactory()
    takeover.solve_from_queue(ticket_id=ticket.pk, user=sam)
    assert moves(ticket) == [("new", "solved", "agent", sam.pk)]


@pytest.mark.django_db
def test_solving_a_solved_ticket_again_records_nothing_more(sam):
    ticket = TicketFactory()
    takeover.solve_from_queue(ticket_id=ticket.pk, user=sam)
    takeover.solve_from_queue(ticket_id=ticket.pk, user=sam)
    assert TicketStatusChange.objects.count() == 1


@pytest.mark.django_db
def test_taking_over_a_conversation_records_its_hand_off_opened_by_the_agent(sam):
    conversation = taken_over_by(sam)
    assert moves(Ticket.objects.get(conversation=conversation)) == [("new", "open", "agent", sam.pk)]


@pytest.mark.django_db
def test_the_customer_closing_the_chat_records_the_customer_solving_its_hand_off():
    from conversations.services import close_conversation

    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    ticket, _created = services.open_handoff(conversation_id=conversation.pk, subject="Wants a person",
                                             reason="asked", priority=Ticket.Priority.HIGH, summary="")
    close_conversation(conversation_id=conversation.pk, actor="customer")
    assert moves(ticket) == [("new", "solved", "customer", None)]


@pytest.mark.django_db
def test_handing_back_records_the_agent_solving_the_hand_off(sam):
    conversation = taken_over_by(sam)
    takeover.hand_back(conversation_id=conversation.pk, agent=sam)
    assert moves(Ticket.objects.get(conversation=conversation)) == [("new", "open", "agent", sam.pk),
                                                                    ("open", "solved", "agent", sam.pk)]


@pytest.mark.django_db(transaction=True)
def test_two_agents_racing_to_take_the_same_ticket_leave_one_change_by_the_winner(sam):
    agents = [sam, AgentFactory(username="lea")]
    ticket = TicketFactory()
    winners = winners_of(lambda agent: services.take_ticket(ticket=Ticket.objects.get(pk=ticket.pk), agent=agent),
                         agents, loses_with=AlreadyTaken)
    assert len(winners) == 1
    assert moves(ticket) == [("new", "open", "agent", winners[0].pk)]


@pytest.mark.django_db
def test_the_ticket_page_shows_its_status_history_read_only(client, sam):
    ticket = TicketFactory()
    services.take_ticket(ticket=ticket, agent=sam)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert 'class="status-history"' in page and "New → Open" in page and "Agent (sam)" in page
    assert 'name="status_history"' not in page and 'name="status_changes' not in page
