"""While a customer waits for a person, the widget is told the real wait: their place in line and the agents
available (`wait` frames), on every move of the queue and again on (re)connecting."""

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation
from tests.chat.wsclient import connect, receive_until, send_message, settle_turns
from tests.factories import AgentFactory, ConversationFactory
from tickets import availability
from tickets import services as tickets
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True)]


@sync_to_async
def someone_already_waiting() -> Ticket:
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    ticket, _created = tickets.open_handoff(conversation_id=conversation.pk, subject="Wants a person",
                                            reason="asked", priority=Ticket.Priority.URGENT, summary="")
    return ticket


async def waiting_customer():
    """A guest's socket that asked for a person and was answered: (socket, the `wait` frames it got meanwhile)."""
    ws = await connect()
    await receive_until(ws, "state")
    await send_message(ws, "I want to talk to a human", "m-1")
    _answer, seen = await receive_until(ws, "assistant.message")
    if not any(frame["type"] == "state" and frame["status"] == "waiting" for frame in seen):
        # The escalation runs beside the reply (sentiment in parallel): its state may follow the answer.
        _state, more = await receive_until(ws, "state", status="waiting")
        seen += more
    await settle_turns()
    return ws, [frame for frame in seen if frame["type"] == "wait"]


async def test_a_customer_who_starts_waiting_is_told_their_place_and_the_agents_available(agent_on_duty):
    ws, waits = await waiting_customer()
    assert waits and all(wait == {"type": "wait", "position": 1, "agents_available": 1} for wait in waits)
    await ws.disconnect()


async def test_when_the_hand_off_ahead_is_taken_the_customer_moves_up_the_line(agent_on_duty):
    ahead = await someone_already_waiting()
    ws, waits = await waiting_customer()
    assert {wait["position"] for wait in waits} == {2}
    await sync_to_async(tickets.take_ticket)(ticket=ahead, agent=agent_on_duty)
    moved, _ = await receive_until(ws, "wait", position=1)
    assert moved["agents_available"] == 1
    await ws.disconnect()


async def test_an_agent_going_away_changes_the_agents_the_customer_is_shown(agent_on_duty):
    await sync_to_async(AgentFactory)(username="lea")
    ws, waits = await waiting_customer()
    assert waits[-1]["agents_available"] == 2
    await sync_to_async(availability.set_availability)(agent_on_duty, "away")
    wait, _ = await receive_until(ws, "wait", agents_available=1)
    assert wait["position"] == 1
    await ws.disconnect()


async def test_reconnecting_while_waiting_gets_the_wait_right_after_the_state(agent_on_duty):
    ws, _waits = await waiting_customer()
    await ws.disconnect()
    again = await connect(session_key=ws.session_key)
    state = await again.receive_json_from()
    wait = await again.receive_json_from()
    assert state["status"] == "waiting" and wait == {"type": "wait", "position": 1, "agents_available": 1}
    await again.disconnect()


async def test_the_agent_console_of_a_waiting_conversation_ignores_wait_events(agent_on_duty):
    ws, _waits = await waiting_customer()
    conversation = await Conversation.objects.aget()
    console = await connect(f"/ws/agent/{conversation.pk}/", user=agent_on_duty)
    await receive_until(console, "state")
    await sync_to_async(availability.set_availability)(agent_on_duty, "away")
    await receive_until(ws, "wait", agents_available=0)
    await console.send_json_to({"type": "resume", "last_seq": 0})
    frames = [frame["type"] for frame in [*(await receive_until(console, "customer.message"))[1]]]
    assert "wait" not in frames  # and the console is still connected: it answered the resume
    await console.disconnect()
    await ws.disconnect()
