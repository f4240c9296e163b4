"""Two daphne processes on PostgreSQL + Redis: the customer on one, the agent on the other."""

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation
from tests.chat.wsclient import connect_live, receive_until, send_message
from tests.factories import AgentFactory

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def test_customer_and_agent_on_different_processes_escalate_talk_resolve_and_rate(two_daphnes):
    server_a, server_b = two_daphnes
    sam = await sync_to_async(AgentFactory)(username="sam-mp", first_name="Sam")
    customer = await connect_live(server_a)
    await receive_until(customer, "state")
    await send_message(customer, "I want to talk to a human, please", "mp1")
    await receive_until(customer, "state", status="waiting")
    conversation = await Conversation.objects.aget()

    agent = await connect_live(server_b, f"/ws/agent/{conversation.pk}/", user=sam)
    await receive_until(agent, "state", status="waiting")
    await agent.send_json_to({"type": "resume", "last_seq": 0})
    assert (await receive_until(agent, "customer.message"))[0]["text"] == "I want to talk to a human, please"
    await agent.send_json_to({"type": "take_over"})
    assert (await receive_until(agent, "state", status="agent"))[0]["mine"]
    assert (await receive_until(customer, "agent.joined"))[0]["name"] == "Sam"

    await agent.send_json_to({"type": "message", "text": "Hello, Sam here.", "client_id": "a1"})
    assert "Sam here" in (await receive_until(customer, "agent.message"))[0]["html"]
    await customer.send_json_to({"type": "message", "text": "My parcel is damaged", "client_id": "mp2"})
    assert (await receive_until(agent, "customer.message", text="My parcel is damaged"))[0]["seq"] > 0

    await agent.send_json_to({"type": "resolve"})
    await receive_until(customer, "state", status="closed")
    await customer.send_json_to({"type": "csat", "score": 5, "comment": "Great"})
    await receive_until(customer, "csat.thanks")
    conversation = await Conversation.objects.aget()
    assert conversation.csat_score == 5 and conversation.outcome == "resolved_by_agent"
    await customer.disconnect()
    await agent.disconnect()
