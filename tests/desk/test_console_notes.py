"""Internal notes from the console (desk.takeover.add_note): on the conversation's ticket, for the team only."""

import pytest
from django.urls import reverse

from conversations.models import Conversation
from desk import takeover
from desk.exceptions import NoTicketForNote
from desk.selectors import console_ticket, console_ticket_frame
from helpdesk.realtime import agents_queue_group, conversation_group
from tests.factories import ConversationFactory
from tickets import services as tickets
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(sam):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    return conversation


def test_a_note_goes_on_the_conversations_hand_off_for_the_team_only(held, sam):
    note = takeover.add_note(conversation_id=held.pk, agent=sam, body="Refund already promised by phone")
    assert note.ticket == Ticket.objects.get(conversation=held, kind=Ticket.Kind.HANDOFF)
    assert (note.public, note.author, note.body) == (False, sam, "Refund already promised by phone")


def test_any_agent_may_add_a_note_not_only_the_holder(held, lea):
    takeover.add_note(conversation_id=held.pk, agent=lea, body="I spoke to them yesterday")
    assert TicketComment.objects.get().author == lea


def test_a_note_wakes_the_agents_and_never_the_conversations_group(held, sam, broadcasts):
    with broadcasts.run():
        takeover.add_note(conversation_id=held.pk, agent=sam, body="Secret")
    assert [event["change"] for event in broadcasts.to(agents_queue_group())] == ["noted"]
    assert broadcasts.to(conversation_group(held.pk)) == []
    assert "Secret" not in str(list(broadcasts))


def test_a_conversation_the_assistant_still_has_has_no_ticket_for_notes(sam):
    conversation = ConversationFactory(status=Conversation.Status.BOT)
    with pytest.raises(NoTicketForNote):
        takeover.add_note(conversation_id=conversation.pk, agent=sam, body="Hmm")
    assert not Ticket.objects.exists() and not TicketComment.objects.exists()


def test_taking_a_chat_over_from_the_console_opens_the_hand_off_notes_go_on(sam):
    conversation = ConversationFactory(status=Conversation.Status.BOT)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    note = takeover.add_note(conversation_id=conversation.pk, agent=sam, body="Taken from the console")
    assert note.ticket.kind == Ticket.Kind.HANDOFF and note.ticket.conversation_id == conversation.pk


def test_an_empty_note_is_refused_and_nothing_is_stored(held, sam):
    with pytest.raises(Exception, match="Please write a message"):
        takeover.add_note(conversation_id=held.pk, agent=sam, body="   ")
    assert not TicketComment.objects.exists()


def test_the_consoles_ticket_frame_lists_the_notes_but_no_public_reply(held, sam):
    ticket = console_ticket(held.pk)
    tickets.add_internal_note(ticket=ticket, agent=sam, body="Note for the team")
    tickets.reply_to_customer(ticket=ticket, agent=sam, body="Public reply")
    frame = console_ticket_frame(held.pk)
    assert [(note["author"], note["body"]) for note in frame["notes"]] == [("Sam", "Note for the team")]


def test_the_console_page_lists_the_notes(client, held, sam):
    takeover.add_note(conversation_id=held.pk, agent=sam, body="Check the parcel photos")
    client.force_login(sam)
    page = client.get(reverse("agent-console", args=[held.pk])).content.decode()
    assert "Check the parcel photos" in page and 'data-role="note-form"' in page


def test_a_closed_conversation_keeps_its_ticket_for_notes(held, sam):
    takeover.resolve(conversation_id=held.pk, agent=sam)
    note = takeover.add_note(conversation_id=held.pk, agent=sam, body="Follow up next week")
    assert note.ticket.status == Ticket.Status.SOLVED
