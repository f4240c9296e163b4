"""What the console lets each agent do (desk.takeover's checks) and the one priority it shows."""

import pytest
from django.urls import reverse

from conversations.models import Conversation
from desk import takeover
from desk.selectors import console_ticket, console_ticket_frame
from helpdesk.realtime import agents_queue_group
from tests.factories import ConversationFactory
from tickets import services as tickets
from tickets.badges import priority_badge
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_only_the_holders_typing_reaches_the_customer(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    assert takeover.typing_reaches_customer(conversation_id=conversation.pk, agent=sam)
    assert not takeover.typing_reaches_customer(conversation_id=conversation.pk, agent=lea)


@pytest.mark.parametrize("status", [Conversation.Status.BOT, Conversation.Status.WAITING, Conversation.Status.CLOSED])
def test_nobodys_typing_reaches_the_customer_unless_an_agent_holds_the_chat(sam, status):
    conversation = ConversationFactory(status=status, assigned_agent=sam)
    assert not takeover.typing_reaches_customer(conversation_id=conversation.pk, agent=sam)


def test_a_chat_another_agent_holds_cannot_be_taken(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    conversation.refresh_from_db()
    assert takeover.can_take_over(conversation, sam) and not takeover.can_take_over(conversation, lea)


def test_a_closed_chat_cannot_be_taken(sam):
    assert not takeover.can_take_over(ConversationFactory(status=Conversation.Status.CLOSED), sam)


# --- one priority ----------------------------------------------------------------------------------------------

def handoff(priority=Ticket.Priority.HIGH):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    ticket, _ = tickets.open_handoff(conversation_id=conversation.pk, subject="Help", reason="asked a person",
                                     priority=priority, summary="")
    return conversation, ticket


def test_the_console_shows_the_hand_offs_priority_as_the_queue_does(client, sam):
    conversation, ticket = handoff(Ticket.Priority.URGENT)
    client.force_login(sam)
    console = client.get(reverse("agent-console", args=[conversation.pk])).content.decode()
    queue = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    badge = str(priority_badge(ticket))
    assert badge == '<span class="priority priority-urgent">Urgent</span>'
    assert badge in console and badge in queue


def test_the_ticket_page_shows_the_same_priority_badge(client, sam):
    _conversation, ticket = handoff(Ticket.Priority.HIGH)
    client.force_login(sam)
    page = client.get(reverse("desk-ticket", args=[ticket.number])).content.decode()
    assert str(priority_badge(ticket)) in page


def test_the_console_follows_the_open_hand_off_not_an_earlier_solved_one(sam):
    conversation, first = handoff(Ticket.Priority.LOW)
    tickets.solve_ticket(ticket=first, actor="agent", user=sam)
    second, _ = tickets.open_handoff(conversation_id=conversation.pk, subject="Again", reason="asked again",
                                     priority=Ticket.Priority.URGENT, summary="")
    Ticket.objects.filter(pk=second.pk).update(created_at=first.created_at)  # same instant: order is no guide
    assert console_ticket(conversation.pk) == second


def test_a_priority_edited_in_the_admin_is_the_one_the_console_frame_carries(sam):
    conversation, ticket = handoff(Ticket.Priority.MEDIUM)
    tickets.edit_ticket(ticket=ticket, subject=ticket.subject, category=ticket.category,
                        priority=Ticket.Priority.URGENT, description=ticket.description)
    assert console_ticket_frame(conversation.pk)["ticket"]["priority"] == "urgent"


def test_a_ticket_change_tells_the_consoles_of_its_conversation(sam, broadcasts):
    conversation, ticket = handoff()
    with broadcasts.run():
        tickets.edit_ticket(ticket=ticket, subject=ticket.subject, category=ticket.category,
                            priority=Ticket.Priority.LOW, description=ticket.description)
    assert [event["conversation"] for event in broadcasts.to(agents_queue_group())] == [str(conversation.pk)]
