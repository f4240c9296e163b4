"""Several daphne processes on PostgreSQL + Redis, and websocket clients to talk to them."""

import asyncio
import json
import os
import socket
from urllib.parse import urlparse

import pytest
import websockets
from django.db import connection

from tests.conftest import require_service
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.small_model import answer_small_model_calls
from tests.live import start_daphne, stop_daphne


def redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def require_postgres_and_redis() -> None:
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("runs in the PostgreSQL + Redis pass (set DATABASE_URL=postgres://… and REDIS_URL=redis://…)")
    require_service(redis_reachable(os.environ["REDIS_URL"]), "Redis is not reachable at REDIS_URL")


@pytest.fixture
def two_daphnes():
    """Two daphne processes with the offline assistant."""
    require_postgres_and_redis()
    servers = [start_daphne(name="daphne-a"), start_daphne(name="daphne-b")]
    yield servers
    for server in servers:
        stop_daphne(server)


@pytest.fixture
def fake_model():
    """The fake Messages API in a thread of the test process, which the daphne processes reach over loopback.
    The small model's calls (sentiment, summaries) get fixed answers; tests enqueue the main model's replies."""
    with FakeMessagesAPI.running_in_thread(min_cacheable_tokens=0) as api:
        answer_small_model_calls(api)
        yield api


@pytest.fixture
def two_claude_daphnes(fake_model):
    """Two daphne processes whose assistant is Claude through the real SDK, against `fake_model`; a short lease
    so that a dead process's turn is taken over within the test's patience."""
    require_postgres_and_redis()
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_model.base_url, "TURN_LEASE_SECONDS": "3",
           "ANTHROPIC_MAX_RETRIES": "0"}
    servers = [start_daphne(env, name="claude-a"), start_daphne(env, name="claude-b")]
    yield servers
    for server in servers:
        stop_daphne(server)


def main_model_requests(fake) -> list:
    return [r for r in fake.requests if r.path == "/v1/messages" and r.body and "tools" in r.body]


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

    async def close(self):
        await self.socket.close()


async def open_socket(server, path, session_key):
    socket_ = await websockets.connect(
        f"ws://127.0.0.1:{server.port}{path}",
        additional_headers=[("Cookie", f"sessionid={session_key}"), ("Origin", server.url)],
    )
    return Client(socket_)
