"""Two daphne processes on PostgreSQL + Redis: the customer on one, the agent on the other."""

import asyncio
import json
import os
import socket
from urllib.parse import urlparse

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.db import connection

from chat.models import Conversation
from tests.chat.wsclient import session_cookie_for
from tests.conftest import require_service
from tests.factories import AgentFactory
from tests.live import start_daphne, stop_daphne

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def two_daphnes():
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("runs in the PostgreSQL + Redis pass (set DATABASE_URL=postgres://… and REDIS_URL=redis://…)")
    require_service(redis_reachable(os.environ["REDIS_URL"]), "Redis is not reachable at REDIS_URL")
    servers = [start_daphne(name="daphne-a"), start_daphne(name="daphne-b")]
    yield servers
    for server in servers:
        stop_daphne(server)


class Client:
    def __init__(self, socket_):
        self.socket = socket_

    async def send(self, **frame):
        await self.socket.send(json.dumps(frame))

    async def until(self, frame_type, timeout=10, **match):
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.socket.recv())
                if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                    return frame


async def open_socket(server, path, session_key):
    socket_ = await websockets.connect(
        f"ws://127.0.0.1:{server.port}{path}",
        additional_headers=[("Cookie", f"sessionid={session_key}"), ("Origin", server.url)],
    )
    return Client(socket_)


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
