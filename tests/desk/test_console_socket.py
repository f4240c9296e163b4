"""The console's socket: only the holder reaches the customer (messages, typing), the state says what each agent
may do, transfers move the composer, notes and the ticket's priority reach the consoles and never the customer."""

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation
from desk import takeover
from tests.chat.wsclient import connect, receive_until, session_cookie_for
from tests.conversations.helpers import start_conversation
from tests.factories import AgentFactory
from tickets import services as tickets
from tickets.models import AgentAvailability, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


async def customer_and_conversation(holder=None):
    """A guest's chat socket, replayed up to date, on a conversation `holder` has taken over (if given)."""
    session_key = await session_cookie_for()
    conversation = await start_conversation(session_key=session_key)
    if holder is not None:
        await sync_to_async(takeover.take_over)(conversation_id=conversation.pk, agent=holder)
    customer = await connect(session_key=session_key)
    await receive_until(customer, "state")
    await customer.send_json_to({"type": "resume", "last_seq": 0})
    if holder is not None:
        await receive_until(customer, "agent.joined")
    return customer, conversation


async def console_of(agent, conversation):
    """An agent's console socket, with its first state and ticket frames read; returns (socket, state)."""
    console = await connect(f"/ws/agent/{conversation.pk}/", user=agent)
    state, _ = await receive_until(console, "state")
    await receive_until(console, "ticket")
    await console.send_json_to({"type": "resume", "last_seq": 0})
    return console, state


async def disconnect(*sockets):
    for socket in sockets:
        await socket.disconnect()


def mentions(frames, text):
    return [frame for frame in frames if text in str(frame)]


# --- typing and messages: only the holder reaches the customer ---------------------------------------------------

async def test_the_holders_typing_reaches_the_customer(sam):
    customer, conversation = await customer_and_conversation(holder=sam)
    console, _ = await console_of(sam, conversation)
    await console.send_json_to({"type": "typing"})
    typing, _ = await receive_until(customer, "typing")
    assert typing == {"type": "typing", "role": "agent", "name": "Sam"}
    await disconnect(customer, console)


async def test_a_non_holders_typing_never_reaches_the_customer(sam, lea):
    customer, conversation = await customer_and_conversation(holder=sam)
    holder, _ = await console_of(sam, conversation)
    other, _ = await console_of(lea, conversation)
    await other.send_json_to({"type": "typing"})
    await other.send_json_to({"type": "ping"})  # answered once her typing frame was handled
    await receive_until(other, "error", code="unknown_type")
    await holder.send_json_to({"type": "typing"})  # what the customer gets next: Léa's typing would come first
    typing, seen = await receive_until(customer, "typing")
    assert typing["name"] == "Sam" and not mentions(seen, "Léa")
    await disconnect(customer, holder, other)


async def test_typing_before_anyone_took_over_never_reaches_the_customer(sam):
    customer, conversation = await customer_and_conversation()
    console, _ = await console_of(sam, conversation)
    await console.send_json_to({"type": "typing"})
    await console.send_json_to({"type": "take_over"})
    await console.send_json_to({"type": "typing"})
    _typing, seen = await receive_until(customer, "typing")
    assert "agent.joined" in [frame["type"] for frame in seen]  # the first typing it sees came after Sam joined
    await disconnect(customer, console)


async def test_a_non_holders_message_is_refused_and_never_reaches_the_customer(sam, lea):
    customer, conversation = await customer_and_conversation(holder=sam)
    holder, _ = await console_of(sam, conversation)
    other, _ = await console_of(lea, conversation)
    await other.send_json_to({"type": "message", "text": "Léa butting in", "client_id": "l1"})
    refused, _ = await receive_until(other, "error")
    assert refused["code"] == "already_taken" and "Sam has this conversation" in refused["message"]
    await holder.send_json_to({"type": "message", "text": "Sam here", "client_id": "s1"})
    reply, seen = await receive_until(customer, "agent.message")
    assert "Sam here" in reply["html"] and not mentions(seen, "butting in")
    await disconnect(customer, holder, other)


# --- the state: what each agent may do -----------------------------------------------------------------------

async def test_a_non_holder_is_told_who_has_the_conversation_and_offered_no_take_over(sam, lea):
    _customer, conversation = await customer_and_conversation(holder=sam)
    console, state = await console_of(lea, conversation)
    assert (state["mine"], state["can_take"], state["agent"], state["transfer_to"]) == (False, False, "Sam", [])
    await disconnect(_customer, console)


async def test_a_conversation_nobody_holds_offers_take_over(sam):
    _customer, conversation = await customer_and_conversation()
    console, state = await console_of(sam, conversation)
    assert (state["mine"], state["can_take"]) == (False, True)
    await disconnect(_customer, console)


async def test_the_holder_can_transfer_to_the_other_available_agents(sam, lea):
    away = await sync_to_async(AgentFactory)(username="zoe", first_name="Zoé")
    await AgentAvailability.objects.acreate(user=away, status=AgentAvailability.Status.AWAY)
    _customer, conversation = await customer_and_conversation(holder=sam)
    console, state = await console_of(sam, conversation)
    assert state["mine"] and state["transfer_to"] == [{"id": lea.pk, "name": "Léa"}]
    await disconnect(_customer, console)


# --- transfer --------------------------------------------------------------------------------------------------

async def test_after_a_transfer_the_new_holder_gets_the_composer_and_the_old_one_loses_it(sam, lea):
    customer, conversation = await customer_and_conversation(holder=sam)
    old, _ = await console_of(sam, conversation)
    new, _ = await console_of(lea, conversation)
    await old.send_json_to({"type": "transfer", "to": lea.pk})
    assert (await receive_until(new, "state", mine=True))[0]["agent"] == "Léa"
    assert not (await receive_until(old, "state", agent="Léa"))[0]["mine"]
    joined, _ = await receive_until(customer, "agent.joined", name="Léa")
    await new.send_json_to({"type": "message", "text": "Léa here", "client_id": "l1"})
    assert "Léa here" in (await receive_until(customer, "agent.message"))[0]["html"]
    await disconnect(customer, old, new)


async def test_a_transfer_frame_without_an_agents_id_is_refused(sam, lea):
    _customer, conversation = await customer_and_conversation(holder=sam)
    console, _ = await console_of(sam, conversation)
    await console.send_json_to({"type": "transfer", "to": str(lea.pk)})
    refused, _ = await receive_until(console, "error")
    assert refused["code"] == "invalid_transfer"
    assert (await Conversation.objects.aget(pk=conversation.pk)).assigned_agent_id == sam.pk
    await disconnect(_customer, console)


async def test_a_refused_transfer_says_why_on_the_console(sam):
    _customer, conversation = await customer_and_conversation(holder=sam)
    console, _ = await console_of(sam, conversation)
    await console.send_json_to({"type": "transfer", "to": sam.pk})
    refused, _ = await receive_until(console, "error")
    assert refused["code"] == "transfer_to_self" and refused["message"] == "You already have this conversation."
    await disconnect(_customer, console)


# --- notes -----------------------------------------------------------------------------------------------------

async def test_a_note_never_reaches_the_customers_socket(sam):
    customer, conversation = await customer_and_conversation(holder=sam)
    console, _ = await console_of(sam, conversation)
    await console.send_json_to({"type": "note", "text": "Customer sounds like a reseller, check ORD-1", "client_id": "n1"})
    await receive_until(console, "note.saved", client_id="n1")
    await console.send_json_to({"type": "message", "text": "After the note", "client_id": "s1"})
    _reply, seen = await receive_until(customer, "agent.message")  # anything the note woke up came before this
    assert not mentions(seen, "reseller")
    await disconnect(customer, console)


async def test_a_note_shows_live_in_another_console_of_the_conversation(sam, lea):
    _customer, conversation = await customer_and_conversation(holder=sam)
    holder, _ = await console_of(sam, conversation)
    other, _ = await console_of(lea, conversation)
    await other.send_json_to({"type": "note", "text": "I know this customer: VIP"})
    frame, _ = await receive_until(holder, "ticket")
    assert [(note["author"], note["body"]) for note in frame["notes"]] == [("Léa", "I know this customer: VIP")]
    await disconnect(_customer, holder, other)


async def test_a_note_on_a_conversation_without_a_ticket_is_refused_with_the_reason(sam):
    _customer, conversation = await customer_and_conversation()
    console, _ = await console_of(sam, conversation)
    await console.send_json_to({"type": "note", "text": "Hmm"})
    refused, _ = await receive_until(console, "error")
    assert refused["code"] == "no_ticket"
    await disconnect(_customer, console)


# --- the ticket's priority ---------------------------------------------------------------------------------------

async def test_a_priority_change_reaches_the_open_console(sam):
    _customer, conversation = await customer_and_conversation(holder=sam)
    console, _ = await console_of(sam, conversation)
    ticket = await Ticket.objects.aget(conversation=conversation)
    await sync_to_async(tickets.edit_ticket)(ticket=ticket, subject=ticket.subject, category=ticket.category,
                                             priority=Ticket.Priority.URGENT, description=ticket.description)
    frame, _ = await receive_until(console, "ticket")
    assert frame["ticket"]["number"] == ticket.number and frame["ticket"]["priority"] == "urgent"
    await disconnect(_customer, console)
