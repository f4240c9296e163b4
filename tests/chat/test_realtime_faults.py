"""The websocket transport when the channel layer fails: sockets stay open, are told, and are told again when live
updates are back; staff sockets too; one log line per outage edge."""

import asyncio
import logging
import shutil
import subprocess

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.test import override_settings

from conversations import services
from conversations.models import Conversation
from helpdesk.realtime import LayerHealth, abroadcast, conversation_group, layer_health
from tests.chat.wsclient import (
    ask,
    connect,
    exchange_then_reserved_answer,
    land_reserved_answer,
    receive_until,
    resume_after,
    settle_turns,
)
from tests.conftest import require_service
from tests.conversations.helpers import start_conversation
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_PORT = 6394
DEAD_REDIS = {"default": {"BACKEND": "helpdesk.layers.ResilientRedisChannelLayer",
                          "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
OWN_REDIS = {"default": {"BACKEND": "helpdesk.layers.ResilientRedisChannelLayer",
                         "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{REDIS_PORT}/0", "socket_timeout": 5,
                                               "socket_connect_timeout": 1}]}}}


class RedisOfOurOwn:
    """A Redis server on REDIS_PORT that the test may stop and start (never the shared one)."""

    def start(self) -> None:
        subprocess.run(["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
                        "--daemonize", "yes"], check=True, capture_output=True)
        for _ in range(100):
            if self.ping():
                return
            subprocess.run(["sleep", "0.02"])
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"], capture_output=True)
        for _ in range(100):
            if not self.ping():
                return
            subprocess.run(["sleep", "0.02"])

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True)
        return result.stdout.strip() == "PONG"


@pytest.fixture
def own_redis():
    require_service(bool(shutil.which("redis-server") and shutil.which("redis-cli")),
                    "redis-server is not installed (apt-get install redis-server)")
    redis = RedisOfOurOwn()
    redis.stop()
    redis.start()
    channel_layers.backends.clear()
    with override_settings(CHANNEL_LAYERS=OWN_REDIS):
        yield redis
    channel_layers.backends.clear()
    redis.stop()


@pytest.fixture
def dead_redis():
    channel_layers.backends.clear()
    with override_settings(CHANNEL_LAYERS=DEAD_REDIS):
        yield
    channel_layers.backends.clear()


async def staff_user():
    from django.contrib.auth.models import Permission

    def make():
        user = UserFactory(username="sam", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="change_ticket"))
        return user

    return await sync_to_async(make)()


class Listener:
    def __init__(self):
        self.heard: list[str] = []

    async def realtime_down(self):
        self.heard.append("down")

    async def realtime_restored(self):
        self.heard.append("restored")


async def test_an_outage_is_reported_once_to_each_listener_and_its_end_too(caplog):
    health, listener = LayerHealth(), Listener()
    health.listen(listener)
    with caplog.at_level(logging.INFO, logger="helpdesk.realtime"):
        for _ in range(3):
            health.report_failure("publish", ConnectionError("refused"))
            health.report_failure("subscribe", ConnectionError("refused"))
        health.report_success("publish")  # broadcasts work again, but subscriptions do not yet
        await asyncio.sleep(0)
        assert listener.heard == ["down"]
        health.report_success("subscribe")
        await asyncio.sleep(0)
    assert listener.heard == ["down", "restored"]
    assert [(r.levelname, r.exc_info) for r in caplog.records] == [("WARNING", None), ("INFO", None)]


async def test_a_socket_that_starts_listening_during_an_outage_is_told_at_once():
    health, listener = LayerHealth(), Listener()
    health.report_failure("subscribe", ConnectionError("refused"))
    health.listen(listener)
    await asyncio.sleep(0)
    assert listener.heard == ["down"]


async def test_a_broadcast_that_fails_tells_the_sockets_of_this_process_and_the_next_ones_do_not_wait(dead_redis):
    from channels.layers import get_channel_layer

    listener = Listener()
    layer_health(get_channel_layer()).listen(listener)
    assert not await abroadcast("conversation.x", {"type": "chat.delta", "seq": 1, "text": "Hel"})
    await asyncio.sleep(0)
    assert listener.heard == ["down"]
    # Skipped without touching Redis for a moment: a stream of deltas does not queue behind connection attempts.
    assert not layer_health().may_publish()
    assert not await abroadcast("conversation.x", {"type": "chat.delta", "seq": 1, "text": "lo"})
    assert listener.heard == ["down"]


async def test_a_console_socket_opened_during_a_redis_outage_gets_its_state_and_the_notice(dead_redis):
    conversation = await start_conversation()
    console = await connect(f"/ws/agent/{conversation.pk}/", user=await staff_user())
    assert console.connected
    state, frames = await receive_until(console, "state")
    assert state["conversation"] == str(conversation.pk)
    assert [f["code"] for f in frames if f["type"] == "error"] == ["realtime_unavailable"]
    await receive_until(console, "ticket")  # its side panel, from the database too
    await console.send_json_to({"type": "resume", "last_seq": 0})  # it works from the database meanwhile
    assert await console.receive_nothing(timeout=0.1)
    await console.disconnect(timeout=2)


async def test_a_queue_socket_opened_during_a_redis_outage_gets_the_waiting_count_and_the_notice(dead_redis):
    queue = await connect("/ws/agent/queue/", user=await staff_user())
    assert queue.connected
    count, frames = await receive_until(queue, "queue")
    assert count["waiting"] == 0
    assert [f["code"] for f in frames if f["type"] == "error"] == ["realtime_unavailable"]
    await queue.disconnect(timeout=2)


@pytest.mark.redis
@pytest.mark.slow
async def test_a_socket_is_told_when_redis_dies_when_it_is_back_and_again_at_the_next_outage(own_redis):
    ws = await connect()
    await receive_until(ws, "state")
    await ask(ws, "Hello", "m1")
    await settle_turns()
    conversation = await Conversation.objects.aget()

    for outage in range(2):  # the second outage is announced too
        await sync_to_async(own_redis.stop)()
        error, _ = await receive_until(ws, "error", timeout=10)
        assert error["code"] == "realtime_unavailable", error
        await sync_to_async(own_redis.start)()
        await receive_until(ws, "realtime_restored", timeout=10)
        await receive_until(ws, "state", timeout=5)
        # Live delivery works again: a message stored now reaches the socket through Redis.
        message = await sync_to_async(services.record_message)(conversation_id=conversation.pk, role="agent",
                                                               text=f"Back {outage}")
        assert await abroadcast(conversation_group(conversation.pk), {"type": "chat.stored", "seq": message.seq})
        delivered, _ = await receive_until(ws, "agent.message", timeout=5)
        assert f"Back {outage}" in delivered["html"]
    await ws.disconnect(timeout=2)


@pytest.mark.redis
@pytest.mark.slow
async def test_an_outage_logs_one_warning_when_it_starts_and_one_info_when_it_ends(own_redis, caplog):
    ws = await connect()
    await receive_until(ws, "state")
    conversation = await start_conversation()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("chat").setLevel(logging.INFO)
        await sync_to_async(own_redis.stop)()
        await receive_until(ws, "error", timeout=10)
        for n in range(5):
            await abroadcast(conversation_group(conversation.pk), {"type": "chat.stored", "seq": n})
            await asyncio.sleep(0.3)  # channels-redis logged a traceback every second meanwhile
        await sync_to_async(own_redis.start)()
        await receive_until(ws, "realtime_restored", timeout=10)
    records = [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(("helpdesk", "channels"))]
    assert [(r.name, r.levelname) for r in records] == [("helpdesk.realtime", "WARNING"),
                                                        ("helpdesk.realtime", "INFO")], records
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    await ws.disconnect(timeout=2)


# --- replay after an outage or a reconnect -----------------------------------------------------------------------
def stored_in_order(conversation, seqs_in_storing_order, *, lease=False):
    """Messages stored in the order given (an answer's seq reserved before later ones were stored)."""
    from datetime import timedelta

    from django.utils import timezone

    from conversations.models import Message

    start = timezone.now() - timedelta(minutes=5)
    for n, seq in enumerate(seqs_in_storing_order):
        message = Message.objects.create(conversation=conversation, seq=seq, role="assistant", text=f"m{seq}")
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(seconds=n))
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=max(seqs_in_storing_order),
        turn_lease_until=timezone.now() + timedelta(seconds=60) if lease else None)


@pytest.mark.parametrize("storing_order, last_seq, lease, expected", [
    ([1, 2, 3, 4], 4, False, 4),  # in order: nothing below is missing
    ([1, 3, 2, 4], 4, False, 1),  # 2 was stored after 3 (and before 4, the client's last): replayed from 2
    ([1, 3, 4, 2], 4, False, 1),  # 2 stored after 3 and 4
    ([1, 2, 4, 5, 3, 6], 6, False, 2),
    ([1, 3, 4], 4, True, 1),  # 2 is reserved by the running turn: replayed from below it
    ([1, 3, 4], 4, False, 4),  # a gap left by a turn that died is not waited for
])
def test_the_replay_point_goes_below_any_message_the_client_may_have_missed(storing_order, last_seq, lease,
                                                                            expected):
    conversation = ConversationFactory()
    stored_in_order(conversation, storing_order, lease=lease)
    assert services.replay_point(conversation.pk, last_seq) == expected


async def test_a_client_that_reconnects_while_an_answer_streams_gets_it_when_it_lands():
    ws, conversation, reserved = await exchange_then_reserved_answer(lease=True)
    await ws.send_json_to({"type": "message", "text": "Are you there?", "client_id": "m-2"})
    later, _ = await receive_until(ws, "customer.message", client_id="m-2")
    await ws.disconnect()

    again = await connect(session_key=ws.session_key)
    await resume_after(again, later["seq"])
    await receive_until(again, "state")
    await land_reserved_answer(conversation, reserved)
    answer, _ = await receive_until(again, "assistant.message")
    assert answer["seq"] == reserved and "here is your answer" in answer["html"]
    await again.disconnect()


async def test_an_answer_stored_between_two_later_messages_is_replayed_after_a_reconnect():
    ws, conversation, reserved = await exchange_then_reserved_answer(lease=True)
    await ws.send_json_to({"type": "message", "text": "Are you there?", "client_id": "m-2"})
    await receive_until(ws, "customer.message", client_id="m-2")
    # Redis is down: the answer is stored, but its wake-up never reaches the socket.
    await land_reserved_answer(conversation, reserved, announce=False)
    await ws.send_json_to({"type": "message", "text": "Hello??", "client_id": "m-3"})
    last, _ = await receive_until(ws, "customer.message", client_id="m-3")
    await ws.disconnect()

    again = await connect(session_key=ws.session_key)
    await resume_after(again, last["seq"])
    answer, _ = await receive_until(again, "assistant.message")
    assert answer["seq"] == reserved
    await again.disconnect()


async def test_a_socket_polling_resume_is_not_sent_the_conversation_again_each_time():
    ws = await connect()
    await receive_until(ws, "state")
    await ask(ws, "Hello", "m-1")
    await settle_turns()
    while not await ws.receive_nothing(timeout=0.1):
        await ws.receive_json_from()
    for _ in range(2):
        await ws.send_json_to({"type": "resume", "last_seq": 1})
        _, frames = await receive_until(ws, "state")
        assert [f["type"] for f in frames] == ["state"]
    await ws.disconnect()


def failing_once(monkeypatch, error):
    """conversations.selectors.messages_after raising `error` on its next call only (a connection reset under it)."""
    from conversations import selectors

    real, calls = selectors.messages_after, []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "messages_after", flaky)
    return calls


async def test_a_wake_up_whose_database_read_fails_once_still_delivers_and_keeps_the_socket(monkeypatch):
    from django.db import OperationalError

    ws, conversation, reserved = await exchange_then_reserved_answer()
    calls = failing_once(monkeypatch, OperationalError("terminating connection due to administrator command"))
    await land_reserved_answer(conversation, reserved)
    answer, _ = await receive_until(ws, "assistant.message")
    assert answer["seq"] == reserved and len(calls) == 2
    await ws.send_json_to({"type": "typing"})
    await ws.disconnect()


async def test_a_wake_up_that_fails_otherwise_is_logged_and_the_socket_catches_up_on_the_next(monkeypatch, caplog):
    ws, conversation, reserved = await exchange_then_reserved_answer()
    failing_once(monkeypatch, RuntimeError("a bug"))
    await land_reserved_answer(conversation, reserved)
    await land_reserved_answer(conversation, await sync_to_async(services.reserve_seq)(conversation.pk))
    first, _ = await receive_until(ws, "assistant.message")
    second, _ = await receive_until(ws, "assistant.message")
    assert (first["seq"], second["seq"]) == (reserved, reserved + 1)
    assert any("chat.stored failed" in record.getMessage() for record in caplog.records)
    await ws.disconnect()
