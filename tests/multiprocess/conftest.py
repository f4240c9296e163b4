"""Several daphne processes on PostgreSQL + Redis (tests talk to them with tests.chat.wsclient.connect_live)."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection

from tests.conftest import claude_settings, require_service
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
def two_claude_daphnes(fake_api_in_thread):
    """Two daphne processes whose assistant is Claude through the real SDK, against `fake_api_in_thread` (which
    they reach over loopback); a short lease so that a dead process's turn is taken over within the test's
    patience."""
    require_postgres_and_redis()
    env = {name: str(value) for name, value in claude_settings(fake_api_in_thread).items()}
    env["TURN_LEASE_SECONDS"] = "3"
    servers = [start_daphne(env, name="claude-a"), start_daphne(env, name="claude-b")]
    yield servers
    for server in servers:
        stop_daphne(server)

