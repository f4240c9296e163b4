"""A turn across two daphne processes on PostgreSQL + Redis, with Claude through the real SDK against the fake
Messages API: a person taking over on one process stops the turn running on the other, and the turn of a process
that dies is taken over by the other within seconds, answered once."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation, Message
from tests.chat.wsclient import connect_live, receive_until, resume_after, send_message
from tests.conftest import main_model_requests
from tests.factories import AgentFactory
from tests.fakes.messages_api import Reply, text, tool_use
from tickets.models import Ticket

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LONG_ANSWER = ("Thank you for your patience, I am gathering every detail of your request so that our team can "
               "follow up with you as quickly as possible, and I will file it for you in a moment. ") * 2
TICKET = tool_use("create_ticket", {"subject": "Broken speaker", "category": "technical", "priority": "medium",
                                    "description": "The speaker stopped working.",
                                    "customer_email": "guest.mp@example.com"})


async def answered(conversation_id, seq, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conversation = await Conversation.objects.aget(pk=conversation_id)
        if conversation.answered_through_seq >= seq:
            return conversation
        await asyncio.sleep(0.2)
    raise AssertionError(f"message {seq} was not answered in {timeout} s")


async def test_a_person_taking_over_on_another_process_stops_the_running_turn(two_claude_daphnes,
                                                                              fake_api_in_thread):
    server_a, server_b = two_claude_daphnes
    fake_api_in_thread.enqueue(Reply([text(LONG_ANSWER), TICKET], tokens_per_second=20),
                               Reply([text("Your ticket is filed.")]))
    customer = await connect_live(server_a)
    await receive_until(customer, "state")
    ack = await send_message(customer, "My speaker broke, can you open a ticket?", "t1")
    await receive_until(customer, "assistant.delta")
    conversation = await Conversation.objects.aget()

    sam = await sync_to_async(AgentFactory)(username="sam-turn", first_name="Sam")
    agent = await connect_live(server_b, f"/ws/agent/{conversation.pk}/", user=sam)
    await receive_until(agent, "state")
    await agent.send_json_to({"type": "take_over"})
    assert (await receive_until(customer, "agent.joined"))[0]["name"] == "Sam"

    await answered(conversation.pk, ack["seq"])
    await asyncio.sleep(1)  # room for any step a turn that went on would take
    assert not await Ticket.objects.filter(kind=Ticket.Kind.FOLLOW_UP).aexists()
    assert len(main_model_requests(fake_api_in_thread)) == 1
    assert fake_api_in_thread.pending == 1  # "Your ticket is filed." was never asked for
    await customer.disconnect()
    await agent.disconnect()


async def test_the_turn_of_a_process_that_dies_is_answered_once_by_the_other(two_claude_daphnes, fake_api_in_thread):
    server_a, server_b = two_claude_daphnes
    fake_api_in_thread.enqueue(Reply([text(LONG_ANSWER)], tokens_per_second=10),
                               Reply([text("Here is the answer you asked for.")]))
    customer = await connect_live(server_a)
    await receive_until(customer, "state")
    ack = await send_message(customer, "Where is my parcel?", "d1")
    await receive_until(customer, "assistant.delta")
    server_a.process.kill()  # dies mid-stream, holding the lease
    started = time.monotonic()

    back = await connect_live(server_b, session_key=customer.session_key)
    await resume_after(back, ack["seq"])
    answer, _ = await receive_until(back, "assistant.message", timeout=20)
    print(f"taken over and answered {time.monotonic() - started:.1f} s after the process died")
    assert "Here is the answer" in answer["html"]
    conversation = await answered((await Conversation.objects.aget()).pk, ack["seq"])
    answers = [m.text async for m in Message.objects.filter(conversation=conversation, role="assistant")
               .exclude(text="")]
    assert answers == ["Here is the answer you asked for."]
    await back.disconnect()
