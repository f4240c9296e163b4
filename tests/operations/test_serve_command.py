"""`manage.py serve` as a process: SIGTERM in the middle of a turn lets the customer see the whole answer, then
closes the socket with the restart code and exits cleanly (on either database)."""

import json
import os
import signal
import urllib.request

import pytest
import websockets

from conversations.consumers import SERVICE_RESTART
from conversations.models import Conversation, Message
from tests.chat.wsclient import session_cookie_for
from tests.live import start_daphne, stop_daphne

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server():
    running = start_daphne({"OFFLINE_WORDS_PER_SECOND": "25"}, name="serve", graceful=True)
    yield running
    if running.process.poll() is None:
        stop_daphne(running)


async def test_sigterm_mid_turn_finishes_the_answer_then_closes_with_the_restart_code(server):
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
        assert json.loads(response.read())["status"] == "alive"
    session = await session_cookie_for()
    socket = await websockets.connect(f"ws://127.0.0.1:{server.port}/ws/chat/", additional_headers=[
        ("Cookie", f"sessionid={session}"), ("Origin", server.url)])
    await socket.send(json.dumps({"type": "message", "text": "How long does standard shipping take?",
                                  "client_id": "s1"}))
    frames = []
    while not any(frame["type"] == "assistant.delta" for frame in frames):
        frames.append(json.loads(await socket.recv()))
    os.kill(server.process.pid, signal.SIGTERM)
    try:
        while True:
            frames.append(json.loads(await socket.recv()))
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
    assert code == SERVICE_RESTART
    assert [frame["type"] for frame in frames].count("assistant.message") == 1
    assert server.process.wait(timeout=30) == 0
    assert "drained" in server.log()
    conversation = await Conversation.objects.aget()
    assert conversation.turn_lease_owner == ""
    assert await Message.objects.filter(conversation=conversation, role=Message.Role.ASSISTANT).exclude(
        text="").acount() == 1


def test_the_process_is_prepared_before_it_listens(server):
    log = server.log()
    assert "warmed up in" in log
    assert log.index("warmed up in") < log.index("Listening on")
