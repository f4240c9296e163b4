"""Faults: the customer's message is always kept, and the customer is told what happens next."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import override_settings
from django.utils import timezone

from assistant import limits
from assistant.llm.offline import OfflineBackend
from conversations.models import Conversation, Message
from conversations.sinks import RecordingSink
from tests.chat.wsclient import connect, receive_until, resume_after, settle_turns
from tests.conversations.helpers import conversation_with_message, run_turn, say, start_conversation

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_REDIS = {"default": {"BACKEND": "helpdesk.layers.ResilientRedisChannelLayer",
                          "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}


async def test_a_database_error_during_a_turn_keeps_the_message_and_tells_the_customer(monkeypatch):
    conversation = await conversation_with_message("Hello", client_id="k")

    def broken(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr("assistant.turn._build_request", broken)
    sink = await run_turn(conversation, OfflineBackend())
    assert sink.errors and sink.errors[0][0] == "temporary_failure"
    assert "Your message is saved" in sink.errors[0][1]
    assert await Message.objects.filter(client_id="k").aexists()
    refreshed = await Conversation.objects.aget(pk=conversation.pk)
    assert refreshed.answered_through_seq == 0 and refreshed.turn_lease_until is None

    monkeypatch.undo()
    await run_turn(conversation, OfflineBackend(), sink=sink)
    assert sink.texts  # answered once the database is back


async def test_a_turn_left_unanswered_by_a_dead_process_is_answered_on_reconnect():
    ws = await connect()
    await ws.receive_json_from()
    conversation = await conversation_with_message("Hello there", session_key=ws.session_key)
    # The process that was answering died: its lease is stale.
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        turn_lease_until=timezone.now() - timedelta(seconds=1))
    await ws.disconnect()

    back = await connect(session_key=ws.session_key)
    await resume_after(back, 0)
    answer, _ = await receive_until(back, "assistant.message")
    assert "Alex" in answer["html"]
    await settle_turns()
    await back.disconnect()


async def test_a_live_lease_held_by_another_process_is_respected_then_the_message_is_answered():
    import asyncio

    conversation = await conversation_with_message("Hi")
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        turn_lease_until=timezone.now() + timedelta(seconds=60))
    sink = RecordingSink()
    task = asyncio.create_task(run_turn(conversation, OfflineBackend(), sink=sink))
    await asyncio.sleep(0.5)
    assert sink.messages == []  # the other process is answering
    # It finishes without answering this message (it arrived after its last look): we answer it.
    await Conversation.objects.filter(pk=conversation.pk).aupdate(turn_lease_until=None)
    await asyncio.wait_for(task, 5)
    assert sink.texts


@override_settings(CHANNEL_LAYERS=DEAD_REDIS)
async def test_with_redis_down_messages_are_stored_acknowledged_and_answered_through_replay():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        ws = await connect()
        _, frames = await receive_until(ws, "state")
        assert [f["code"] for f in frames if f["type"] == "error"] == ["realtime_unavailable"]
        await ws.send_json_to({"type": "message", "text": "Hello", "client_id": "r1"})
        ack, _ = await receive_until(ws, "ack")
        assert ack["seq"] == 1 and await Message.objects.filter(client_id="r1").aexists()
        await settle_turns()
        await ws.send_json_to({"type": "resume", "last_seq": 1})
        answer, _ = await receive_until(ws, "assistant.message")
        assert "Alex" in answer["html"]
        await ws.disconnect(timeout=2)
    finally:
        channel_layers.backends.clear()


@override_settings(CHAT_MAX_TURNS_PER_HOUR=2)
async def test_the_turns_per_hour_cap_answers_with_a_clear_message():
    conversation = await start_conversation()
    sink = RecordingSink()
    for n in range(3):
        await say(conversation, f"hi {n}", OfflineBackend(), sink=sink)
    assert "a lot of messages in the last hour" in sink.texts[-1]


@override_settings(CHAT_MAX_TOKENS_PER_DAY=1000)
async def test_the_daily_token_cap_answers_with_a_clear_message():
    conversation = await start_conversation(backend="claude")
    await Message.objects.acreate(conversation=conversation, seq=90, role="assistant", text="earlier answer",
                                  model="claude-sonnet-5-5", input_tokens=800, output_tokens=150,
                                  cache_read_tokens=1000)
    sink = await say(conversation, "hello", OfflineBackend())
    assert "today's limit" in sink.texts[-1]


async def test_the_process_wide_model_call_limit_tells_the_customer_we_are_busy(settings):
    settings.LLM_MAX_CONCURRENT_CALLS = 1
    conversation = await conversation_with_message("hello", client_id="b")
    async with limits.model_call_slot():
        original = limits.SLOT_WAIT_SECONDS
        limits.SLOT_WAIT_SECONDS = 0.05
        try:
            sink = await run_turn(conversation, OfflineBackend())
        finally:
            limits.SLOT_WAIT_SECONDS = original
    assert "very busy" in sink.texts[-1]
    assert await Message.objects.filter(client_id="b").aexists()
