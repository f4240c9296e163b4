"""A process shutting down (operations.serving.drain): running turns finish before their sockets close, turns
past the bound are stopped with their lease released, other sockets close at once, and no new turn starts."""

import asyncio
import json

import pytest

from assistant import turn
from conversations.consumers import SERVICE_RESTART
from conversations.models import Conversation, Message
from helpdesk import health
from operations.serving import drain
from tests.chat.wsclient import connect, receive_until, send_message, settle_turns

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "How long does standard shipping take, and can I pay with PayPal?"


@pytest.fixture(autouse=True)
def not_draining_after():
    yield
    health.state.draining = False


@pytest.fixture
def paced(settings):
    """The offline assistant streams at a pace a test can interrupt (the tests' default is all at once)."""
    settings.OFFLINE_WORDS_PER_SECOND = 40.0
    return settings


async def closed_with(customer, timeout=10.0) -> tuple[int, list[dict]]:
    """The frames a socket receives until the server closes it, and the close code."""
    frames = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        output = await customer.receive_output(timeout=deadline - asyncio.get_running_loop().time())
        if output["type"] == "websocket.close":
            return output.get("code"), frames
        frames.append(json.loads(output["text"]))


async def test_a_socket_without_a_running_turn_is_closed_at_once_with_the_restart_code():
    customer = await connect()
    await receive_until(customer, "state")
    await drain(bound=5)
    code, _ = await closed_with(customer, timeout=2)
    assert code == SERVICE_RESTART


async def test_a_running_turn_finishes_and_is_seen_before_its_socket_closes(paced):
    customer = await connect()
    await receive_until(customer, "state")
    ack = await send_message(customer, QUESTION)
    await receive_until(customer, "assistant.delta")
    health.state.draining = True
    await drain(bound=20)
    code, frames = await closed_with(customer)
    assert code == SERVICE_RESTART
    answers = [frame for frame in frames if frame["type"] == "assistant.message"]
    assert len(answers) == 1
    conversation = await Conversation.objects.aget()
    assert conversation.answered_through_seq == ack["seq"]
    assert conversation.turn_lease_owner == ""


async def test_a_turn_still_running_at_the_bound_is_stopped_with_its_lease_released(settings):
    settings.OFFLINE_WORDS_PER_SECOND = 2.0  # far longer than the bound
    customer = await connect()
    await receive_until(customer, "state")
    ack = await send_message(customer, QUESTION)
    await receive_until(customer, "assistant.delta")
    assert (await Conversation.objects.aget()).turn_lease_owner.startswith(turn.PROCESS_ID)
    health.state.draining = True
    await drain(bound=0.3)
    code, _ = await closed_with(customer)
    assert code == SERVICE_RESTART
    assert not turn.running_turns()
    conversation = await Conversation.objects.aget()
    # Another process may answer at once: the lease is free, and the message is still waiting for its answer.
    assert conversation.turn_lease_owner == "" and conversation.turn_lease_until is None
    assert conversation.answered_through_seq < ack["seq"]
    # What was streamed but not stored is not kept (a tool call that ran is: it will not run again).
    said = [m.text async for m in Message.objects.filter(conversation=conversation, role=Message.Role.ASSISTANT)]
    assert not any(said)


async def test_no_turn_starts_while_the_process_is_draining():
    customer = await connect()
    await receive_until(customer, "state")
    health.state.draining = True
    ack = await send_message(customer, QUESTION)
    await asyncio.sleep(0.2)
    await settle_turns()
    conversation = await Conversation.objects.aget()
    assert conversation.answered_through_seq < ack["seq"]  # stored, for the process the customer reconnects to
    assert turn.ensure_turn(conversation.pk) is None
    await customer.disconnect()
