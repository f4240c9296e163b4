"""Every failure inside a turn ends the same way: a stored apology in place of the half-streamed answer, the seq it
reserved filled, nothing left running, and the next message answered as usual."""

import asyncio

import pytest

from assistant.llm import FinalMessage, TextDelta, Usage
from assistant.llm.offline import OfflineBackend
from conversations.models import Conversation, Message
from conversations.sinks import RecordingSink
from tests.conftest import claude_backend
from tests.conversations.helpers import say, start_conversation
from tests.fakes.messages_api import Fault, Reply, text, tool_use

pytestmark = pytest.mark.django_db(transaction=True)

APOLOGY = "I'm sorry"


TURN_TIMEOUT = 10  # seconds: a turn that hangs fails the test instead of holding it


async def assert_apologized_without_gap(conversation, sink):
    refreshed = await Conversation.objects.aget(pk=conversation.pk)
    seqs = [m.seq async for m in Message.objects.filter(conversation=conversation).order_by("seq")]
    assert seqs == list(range(1, refreshed.last_seq + 1))
    last = await Message.objects.filter(conversation=conversation).order_by("seq").alast()
    assert last.role == "assistant" and last.text.startswith(APOLOGY)
    assert refreshed.answered_through_seq == refreshed.last_seq - 1
    streamed_seqs = {seq for seq, _ in sink.deltas}
    assert streamed_seqs <= {last.seq}  # the partial bubble's seq is the apology's: the widget replaces it


@pytest.mark.parametrize("how", ["bad_json", "unknown_block"])
async def test_a_malformed_model_stream_becomes_a_stored_apology_in_place_of_the_partial_answer(fake_api, how):
    fake_api.enqueue(Fault.malformed(after_text="Let me look that up for", how=how))
    conversation = await start_conversation(backend="claude")
    sink = await say(conversation, "Where is my parcel?", claude_backend(fake_api, max_retries=0), timeout=TURN_TIMEOUT)
    await assert_apologized_without_gap(conversation, sink)
    fake_api.enqueue(Reply([text("Your parcel is on its way.")]))
    sink = await say(conversation, "Thanks, and now?", claude_backend(fake_api, max_retries=0), timeout=TURN_TIMEOUT)
    assert sink.texts[-1] == "Your parcel is on its way."


async def test_a_model_that_never_sends_its_first_token_gets_an_apology_in_seconds(fake_api, settings):
    settings.LLM_FIRST_EVENT_TIMEOUT_SECONDS = 0.3
    fake_api.enqueue(Fault.stall(seconds=30))
    conversation = await start_conversation(backend="claude")
    sink = await say(conversation, "Hello?", claude_backend(fake_api, max_retries=0, timeout=60), timeout=TURN_TIMEOUT)
    await assert_apologized_without_gap(conversation, sink)


async def test_a_model_that_hangs_mid_answer_gets_an_apology_in_seconds(fake_api, settings):
    settings.LLM_EVENT_GAP_TIMEOUT_SECONDS = 0.3
    fake_api.enqueue(Fault.stall(seconds=30, after_text="Your order is"))
    conversation = await start_conversation(backend="claude")
    sink = await say(conversation, "Where is my order?", claude_backend(fake_api, max_retries=0, timeout=60),
                     timeout=TURN_TIMEOUT)
    assert "".join(t for _, t in sink.deltas).startswith("Your order")
    await assert_apologized_without_gap(conversation, sink)


async def test_the_call_deadline_never_cancels_the_turn_while_it_publishes_a_delta(settings):
    settings.LLM_CALL_DEADLINE_SECONDS = 0.2

    class SlowSink(RecordingSink):
        async def delta(self, seq, text_):
            await asyncio.sleep(0.3)  # publishing outlives the deadline
            await super().delta(seq, text_)

    class Chatty(OfflineBackend):
        async def stream(self, request):
            for word in ("one ", "two ", "three "):
                yield TextDelta(word)
            yield FinalMessage([{"type": "text", "text": "one two three"}], "end_turn", Usage(), "offline")

    conversation = await start_conversation()
    sink = await say(conversation, "Count please", Chatty(), sink=SlowSink(), timeout=TURN_TIMEOUT)
    await assert_apologized_without_gap(conversation, sink)


async def test_an_unexpected_error_inside_the_turn_is_told_to_the_customer_and_cancels_the_sentiment_task():
    class Broken(OfflineBackend):
        async def stream(self, request):
            yield TextDelta("Sure, ")
            raise RuntimeError("a bug in a backend")

        async def complete(self, **kwargs):
            await asyncio.sleep(30)  # the classifier is still thinking when the turn fails

    before = set(asyncio.all_tasks())
    conversation = await start_conversation()
    sink = await say(conversation, "Hi", Broken(), timeout=TURN_TIMEOUT)
    await assert_apologized_without_gap(conversation, sink)
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() - before if not t.done() and t is not asyncio.current_task()]
    assert left == []


async def test_a_sink_that_fails_mid_answer_still_leaves_a_stored_apology():
    class FailingSink(RecordingSink):
        async def delta(self, seq, text_):
            raise ConnectionError("channel layer gone")

    conversation = await start_conversation()
    await say(conversation, "Hi there", OfflineBackend(), sink=FailingSink(), timeout=TURN_TIMEOUT)
    last = await Message.objects.filter(conversation=conversation).order_by("seq").alast()
    assert last.text.startswith(APOLOGY)


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
async def test_a_tool_input_holding_a_non_finite_number_is_refused_and_the_turn_goes_on(emma, fake_api, number):
    # The SDK parses the model's 1e309 as infinity; the fake sends what json.dumps writes for it.
    fake_api.enqueue(Reply([tool_use("process_refund", {"order_id": "ORD-78432", "reason": "defective",
                                                        "amount": number})]),
                     Reply([text("I couldn't process that amount.")]))
    conversation = await start_conversation(emma, backend="claude")
    sink = await say(conversation, "Refund me", claude_backend(fake_api), timeout=TURN_TIMEOUT)
    assert sink.texts[-1] == "I couldn't process that amount."
    tool_message = await Message.objects.filter(conversation=conversation, role="tool").alast()
    assert tool_message.content[0]["is_error"] is True


@pytest.mark.parametrize("arrives", ["while the turn fails", "while the turn lets go of its lease"])
async def test_a_message_that_arrives_while_the_database_fails_under_the_turn_is_still_answered(monkeypatch, arrives):
    """The database fails once after the first answer (a blip during the turn's escalation step) and the second
    message is stored meanwhile: no other task will answer it, so this one looks again."""
    from asgiref.sync import async_to_sync
    from django.db import OperationalError

    from assistant import escalation, turn
    from tests.conversations.helpers import record_customer_message

    conversation = await start_conversation()
    real_after_turn, real_release = escalation.after_turn, turn.TurnLease.release
    failures, second = [], []

    def second_message_arrives():
        """What the customer's socket does: store it, then ensure_turn (the task is running: a re-check)."""
        second.append(1)
        async_to_sync(record_customer_message)(conversation, "And how long does shipping take?")
        turn._recheck.add(str(conversation.pk))

    def after_turn_with_a_blip(*args, **kwargs):
        if not failures:
            failures.append(1)
            if arrives == "while the turn fails":
                second_message_arrives()
            raise OperationalError("terminating connection due to administrator command")
        return real_after_turn(*args, **kwargs)

    async def release(lease):
        if failures and not second and arrives == "while the turn lets go of its lease":
            await asyncio.to_thread(second_message_arrives)
        await real_release(lease)

    monkeypatch.setattr(escalation, "after_turn", after_turn_with_a_blip)
    monkeypatch.setattr(turn.TurnLease, "release", release)
    await say(conversation, "Hello", OfflineBackend(), timeout=TURN_TIMEOUT)
    refreshed = await Conversation.objects.aget(pk=conversation.pk)
    customer_seqs = [m.seq async for m in Message.objects.filter(conversation=conversation, role="customer")]
    assert failures and second and len(customer_seqs) == 2
    assert refreshed.answered_through_seq == max(customer_seqs)
