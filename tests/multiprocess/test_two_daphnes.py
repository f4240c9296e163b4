"""Two daphne processes on PostgreSQL + Redis: the customer on one, the agent on the other."""

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation
from tests.chat.wsclient import session_cookie_for
from tests.factories import AgentFactory
from tests.multiprocess.conftest import open_socket

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


async def test_customer_and_agent_on_different_processes_escalate_talk_resolve_and_rate(two_daphnes):
    server_a, server_b = two_daphnes
    sam = await sync_to_async(AgentFactory)(username="sam-mp", first_name="Sam")
    customer = await open_socket(server_a, "/ws/chat/", await session_cookie_for(None))
    await customer.until("state")
    await customer.send(type="message", text="I want to talk to a human, please", client_id="mp1")
    await customer.until("ack", client_id="mp1")
    await customer.until("state", status="waiting")
    conversation = await Conversation.objects.aget()

    agent = await open_socket(server_b, f"/ws/agent/{conversation.pk}/", await session_cookie_for(sam))
    await agent.until("state", status="waiting")
    await agent.send(type="resume", last_seq=0)
    assert (await agent.until("customer.message"))["text"] == "I want to talk to a human, please"
    await agent.send(type="take_over")
    assert (await agent.until("state", status="agent"))["mine"]
    assert (await customer.until("agent.joined"))["name"] == "Sam"

    await agent.send(type="message", text="Hello, Sam here.", client_id="a1")
    assert "Sam here" in (await customer.until("agent.message"))["html"]
    await customer.send(type="message", text="My parcel is damaged", client_id="mp2")
    assert (await agent.until("customer.message", text="My parcel is damaged"))["seq"] > 0

    await agent.send(type="resolve")
    await customer.until("state", status="closed")
    await customer.send(type="csat", score=5, comment="Great")
    await customer.until("csat.thanks")
    conversation = await Conversation.objects.aget()
    assert conversation.csat_score == 5 and conversation.outcome == "resolved_by_agent"
    await customer.socket.close()
    await agent.socket.close()
