"""/healthz and /readyz (helpdesk.health): answered before Django, cheap, and never logged at INFO."""

import json
import logging

import pytest
from channels.testing import HttpCommunicator
from django.db import OperationalError

from helpdesk import health
from helpdesk.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def get(path, method="GET", headers=None):
    communicator = HttpCommunicator(application, method, path, headers=headers or [(b"host", b"10.1.2.3:8001")])
    response = await communicator.get_response(timeout=5)
    body = json.loads(response["body"]) if response["body"] else None
    return response["status"], body


@pytest.fixture(autouse=True)
def not_draining_after():
    yield
    health.state.draining = False


async def test_healthz_says_the_process_is_alive_whatever_the_host_header():
    status, body = await get("/healthz")
    assert status == 200
    assert body == {"status": "alive", "draining": False}


async def test_readyz_is_ready_when_the_database_and_the_channel_layer_answer():
    status, body = await get("/readyz")
    assert status == 200
    assert body["checks"] == {"database": "ok", "channel_layer": "ok"}


async def test_readyz_is_unready_when_the_database_does_not_answer(monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_database_answers", refuse)
    status, body = await get("/readyz")
    assert status == 503
    assert body["status"] == "unready"
    assert body["checks"]["database"].startswith("unreachable")
    assert body["checks"]["channel_layer"] == "ok"


async def test_readyz_is_unready_while_the_process_drains():
    health.state.draining = True
    status, body = await get("/readyz")
    assert status == 503
    assert body["checks"]["process"] == "draining"
    status, body = await get("/healthz")
    assert status == 200 and body["draining"] is True


async def test_a_head_request_gets_the_status_without_a_body():
    communicator = HttpCommunicator(application, "HEAD", "/healthz", headers=[(b"host", b"x")])
    response = await communicator.get_response(timeout=5)
    assert response["status"] == 200 and response["body"] == b""


async def test_other_methods_are_refused():
    status, body = await get("/readyz", method="POST")
    assert status == 405


async def test_an_unready_answer_is_not_logged_as_a_request_error(monkeypatch, caplog):
    monkeypatch.setattr(health, "_database_answers", lambda: (_ for _ in ()).throw(OperationalError("down")))
    with caplog.at_level(logging.INFO):
        status, _ = await get("/readyz")
    assert status == 503
    assert not [record for record in caplog.records if record.levelno >= logging.INFO]


async def test_other_paths_still_reach_django():
    communicator = HttpCommunicator(application, "GET", "/healthz/extra", headers=[(b"host", b"testserver")])
    response = await communicator.get_response(timeout=5)
    assert response["status"] == 404


async def test_readyz_is_unready_when_redis_does_not_answer(settings):
    from tests.live import free_port

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "helpdesk.layers.ResilientRedisChannelLayer", "CONFIG": {
        "hosts": [{"address": f"redis://127.0.0.1:{free_port()}", "socket_connect_timeout": 1}], "prefix": "t"}}}
    status, body = await get("/readyz")
    assert status == 503
    assert body["checks"]["channel_layer"].startswith("unreachable")
    assert body["checks"]["database"] == "ok"
