"""The turn lease: one owner, renewed while it works, released only by its owner, taken over in seconds.

"Another process" is a TurnLease with another process id: the lease's rules are the same whichever process runs it.
"""

import asyncio
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from assistant.llm import FinalMessage, TextDelta, Usage
from assistant.llm.offline import OfflineBackend
from assistant.turn import TurnLease
from conversations.models import Conversation
from tests.conversations.helpers import conversation_with_message, run_turn, say

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_PROCESS = "other-host:4242:"


async def lease_row(conversation):
    return await Conversation.objects.values("turn_lease_until", "turn_lease_owner").aget(pk=conversation.pk)


async def test_a_late_process_releases_nothing_of_the_lease_another_took_over():
    conversation = await conversation_with_message()
    late = TurnLease(conversation.pk)
    assert await late.acquire()
    # The late process stalled past its lease; another process took the conversation over.
    await Conversation.objects.filter(pk=conversation.pk).aupdate(turn_lease_until=timezone.now() - timedelta(1))
    other = TurnLease(conversation.pk, process_id=OTHER_PROCESS)
    assert await other.acquire()
    await late.release()
    assert (await lease_row(conversation))["turn_lease_owner"] == other.owner
    await other.release()
    assert (await lease_row(conversation)) == {"turn_lease_until": None, "turn_lease_owner": ""}


async def test_a_live_lease_of_another_process_cannot_be_claimed():
    conversation = await conversation_with_message()
    mine = TurnLease(conversation.pk)
    assert await mine.acquire()
    assert not await TurnLease(conversation.pk, process_id=OTHER_PROCESS).acquire()
    await mine.release()


async def test_the_lease_is_renewed_while_the_model_streams_longer_than_the_lease(settings):
    settings.TURN_LEASE_SECONDS = 0.3
    conversation = await conversation_with_message()
    claims_during_the_stream = []

    class LongModel(OfflineBackend):
        async def stream(self, request):
            for _ in range(8):  # 0.8 s: more than twice the lease
                await asyncio.sleep(0.1)
                claims_during_the_stream.append(
                    await TurnLease(conversation.pk, process_id=OTHER_PROCESS).acquire())
                yield TextDelta("word ")
            yield FinalMessage([{"type": "text", "text": "word " * 8}], "end_turn", Usage(), "offline-assistant")

    await run_turn(conversation, LongModel())
    assert claims_during_the_stream and not any(claims_during_the_stream)


async def test_a_turn_that_lost_its_lease_stops_before_its_next_step(settings):
    settings.TURN_LEASE_SECONDS = 0.3
    conversation = await conversation_with_message()

    class StalledModel(OfflineBackend):
        async def stream(self, request):
            # Another process took the lease over meanwhile (this one was frozen past it).
            await Conversation.objects.filter(pk=conversation.pk).aupdate(turn_lease_owner=OTHER_PROCESS + "x")
            for _ in range(10):
                await asyncio.sleep(0.05)
                yield TextDelta("late ")
            yield FinalMessage([{"type": "text", "text": "late"}], "end_turn", Usage(), "offline-assistant")

    await run_turn(conversation, StalledModel())
    refreshed = await Conversation.objects.aget(pk=conversation.pk)
    assert refreshed.answered_through_seq == 0  # left for the lease's new owner to answer
    assert refreshed.turn_lease_owner == OTHER_PROCESS + "x"


async def test_a_dead_processs_turn_is_taken_over_once_its_short_lease_expires(settings):
    settings.TURN_LEASE_SECONDS = 0.4
    conversation = await conversation_with_message("Hello there")
    # A process claimed the turn and died: nobody renews its lease.
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        turn_lease_until=timezone.now() + timedelta(seconds=0.4), turn_lease_owner=OTHER_PROCESS + "dead")
    sink = await run_turn(conversation, OfflineBackend(), timeout=5)
    assert sink.texts


def test_the_default_lease_lets_another_process_take_over_within_seconds(settings):
    from helpdesk import settings as defaults

    assert defaults.TURN_LEASE_SECONDS <= 15


async def test_a_lease_whose_release_failed_does_not_silence_the_conversation(monkeypatch, settings):
    settings.TURN_LEASE_SECONDS = 60
    conversation = await conversation_with_message()
    original = TurnLease._clear
    failures = []

    def flaky_clear(self):
        if not failures:
            failures.append(self.owner)
            raise DatabaseError("server closed the connection unexpectedly")
        return original(self)

    monkeypatch.setattr(TurnLease, "_clear", flaky_clear)
    await run_turn(conversation, OfflineBackend())
    assert failures and (await lease_row(conversation))["turn_lease_owner"] == failures[0]  # still held

    # The database is back and the customer writes again: answered at once, not after the 60 s lease.
    sink = await say(conversation, "Still there?", OfflineBackend(), timeout=5)
    assert sink.texts
