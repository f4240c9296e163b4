"""The turn: from a stored customer message to a stored, streamed answer.

    customer message (already committed) -> limits -> sentiment (in parallel) -> LLM tool loop, streaming deltas
    -> assistant and tool messages stored with usage -> escalation decision -> condensation (after the reply)

A turn belongs to the conversation, not to a socket: `ensure_turn` starts (at most) one task per conversation in
this process, which keeps answering while unanswered customer messages remain, whoever is connected.

Who may answer is a lease on the conversation row with an owner (this process and this task). The owner renews it
every third of TURN_LEASE_SECONDS for as long as it works (streaming and condensing included) and releases only
its own; a process that dies stops renewing, and another takes the turn over a few seconds later. Before every
model call and every tool the loop checks that the conversation is still the assistant's and the lease still
its own: once a person has the conversation (or another process the lease), the assistant says and does nothing
more. A tool call runs at most once per tool_use id (assistant.models.ToolCall). Whatever fails inside a turn, the
customer gets a stored apology in place of the half-streamed bubble; nothing escapes the turn's edge.
Everything that touches the database goes through the async ORM or a pool of threads (helpdesk.db); nothing blocks
the event loop.
"""

import asyncio
import logging
import math
import os
import socket
import time
import uuid
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from assistant import escalation, limits, memory, sentiment
from assistant.guardrails import OutputGuard
from assistant.language import detect_language
from assistant.llm import FinalMessage, LLMError, LLMRequest, TextDelta, ToolUseStarted, Usage, bounded, get_backend
from assistant.models import ToolCall
from assistant.prompts import system_blocks
from assistant.tools import TOOLS, ToolBudget, ToolContext, ToolResult, run_tool, status_label
from conversations import services as conversations
from conversations.handoff import pending_offline_handoff
from conversations.models import Conversation, ConversationEvent, Message
from conversations.sinks import ChannelLayerSink, TurnSink
from helpdesk import health, metrics
from helpdesk.db import in_thread
from helpdesk.realtime import abroadcast, conversation_group

log = logging.getLogger(__name__)

_running: dict[str, asyncio.Task] = {}
_recheck: set[str] = set()
LEASE_WAIT_SECONDS = 0.3
# Names this process in lease owners: "host:pid:". A lease whose owner starts with it and that no running task of
# ours holds (its release failed, say during a database blip) is ours to take back at once.
PROCESS_ID = f"{socket.gethostname()[:30]}:{os.getpid()}:"


# --- scheduling ---------------------------------------------------------------------------------------------------
def ensure_turn(conversation_id, *, sink: TurnSink | None = None, backend=None) -> asyncio.Task | None:
    """Start answering the conversation in the background unless this process already is. Returns the task.

    A process shutting down (helpdesk.health.state.draining) starts no new turn: the message is stored, and the
    process the customer reconnects to answers it (or the running task of this one, while the drain lasts)."""
    key = str(conversation_id)
    task = _running.get(key)
    _recheck.add(key)  # a running task may be deciding it is done: make it look again
    if (task is None or task.done()) and health.state.draining:
        return None
    if task is None or task.done():
        task = asyncio.get_running_loop().create_task(
            answer_pending(conversation_id, sink=sink, backend=backend), name=f"turn-{key}"
        )
        _running[key] = task
        task.add_done_callback(lambda finished, key=key: _forget(key, finished))
    return task


def running_turns() -> dict[str, asyncio.Task]:
    """The conversations this process is answering now (by id), and their tasks."""
    return {key: task for key, task in _running.items() if not task.done()}


def _forget(key: str, task: asyncio.Task) -> None:
    if _running.get(key) is task:
        del _running[key]
    if not task.cancelled() and task.exception() is not None:
        log.error("turn task for %s failed", key, exc_info=task.exception())


async def answer_pending(conversation_id, *, sink: TurnSink | None = None, backend=None) -> None:
    """Answer every unanswered customer message of the conversation, one turn at a time.

    No message may fall between two tasks: a message that arrives while this task is deciding it has nothing left
    to do sets a re-check flag (ensure_turn); a message stored while another process holds the lease is waited
    for here until that process lets go or answers it (or dies, and its lease expires).
    """
    sink = sink or ChannelLayerSink(conversation_id)
    key = str(conversation_id)
    try:
        while True:
            _recheck.discard(key)
            lease = TurnLease(conversation_id)
            try:
                loaded = await in_thread(_claim_and_load)(lease)  # the claim and the first look, one database hop
            except DatabaseError:
                if lease.claimed:  # the look failed after the claim: let go of it (retried if need be)
                    await lease.release()
                raise
            if loaded is None:
                # Another process is answering. Wait while something is still unanswered: it may be ours.
                if (await in_thread(_load)(conversation_id))[1] is None:
                    return
                await asyncio.sleep(LEASE_WAIT_SECONDS)
                continue
            lease.keep()
            failed = False
            try:
                while True:
                    conversation, pending = loaded
                    if pending is None:
                        break
                    outcome = await observed_turn(conversation, sink=sink, backend=backend or get_backend(),
                                                  lease=lease, latest_customer=pending)
                    if lease.lost:
                        return  # the lease's new owner answers
                    if outcome.failed == "database":
                        # The unanswered message waits for the next message or a reconnect; one that came in
                        # meanwhile (while the turn failed, or while the lease is released below) has no other
                        # task to answer it: the re-check after the release looks again, a moment later.
                        failed = True
                        break
                    if not outcome.failed and key not in _recheck:
                        # Answered, and no message came in through this process since the look before the turn
                        # (each one stored here sets the re-check flag; one stored through another process has
                        # that process's task waiting for the lease): nothing to look for.
                        break
                    _recheck.discard(key)
                    loaded = await in_thread(_load)(conversation_id)
            finally:
                await lease.release()
            if key not in _recheck:
                return
            if failed:
                await asyncio.sleep(LEASE_WAIT_SECONDS)  # a database blip is over in a moment
    except DatabaseError:
        # Outside a turn (loading, claiming): the message stays stored and unanswered; say so and stop.
        log.warning("database error while scheduling a turn of %s", conversation_id, exc_info=True)
        await sink.error("temporary_failure", _fault_text("en", "database"))


def _load(conversation_id) -> tuple[Conversation, Message | None]:
    """The conversation, and its latest customer message if that one is unanswered (else None), in one hop: the
    latest customer message is above answered_through_seq exactly when some customer message is."""
    conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
    latest = _latest_customer_message(conversation_id)
    return conversation, latest if latest is not None and latest.seq > conversation.answered_through_seq else None


def _claim_and_load(lease: "TurnLease") -> tuple[Conversation, Message | None] | None:
    """The lease claimed and, if it is ours, the conversation and its unanswered message (_load); else None."""
    return _load(lease.conversation_id) if lease.claim() else None


def _latest_customer_message(conversation_id) -> Message | None:
    return Message.objects.filter(conversation_id=conversation_id, role=Message.Role.CUSTOMER).order_by("-seq").first()


def _update(conversation_id, **fields) -> None:
    Conversation.objects.filter(pk=conversation_id).update(**fields)


class TurnLease:
    """The right to answer one conversation, held by one task of one process (`owner`).

    Claimed with a conditional UPDATE (free, expired, or left behind by this very process), renewed by its owner
    in the background while the turn works, released only by its owner. `lost` turns true when a renewal finds
    another owner (this process stalled past the lease and another took over) or the conversation closed; the
    turn then stops before its next model call or tool. `handed_over` turns true when the conversation left the
    assistant (a person took it): the running model call is cut short.
    """

    def __init__(self, conversation_id, *, process_id: str = ""):
        self.conversation_id = conversation_id
        self.process_id = process_id or PROCESS_ID
        self.owner = f"{self.process_id}{uuid.uuid4().hex[:12]}"
        self.claimed = False
        self.lost = False
        self.handed_over = False
        self.answering = {Conversation.Status.BOT}  # statuses in which the assistant may still speak and act
        self._keeper: asyncio.Task | None = None

    @staticmethod
    def seconds() -> float:
        return float(settings.TURN_LEASE_SECONDS)

    async def acquire(self) -> bool:
        if not await in_thread(self.claim)():
            return False
        self.keep()
        return True

    def claim(self) -> bool:
        """The conditional UPDATE of acquire() (sync, in a database hop); call keep() on the loop if it succeeded."""
        now = timezone.now()
        self.claimed = bool(Conversation.objects.filter(
            Q(turn_lease_until__isnull=True) | Q(turn_lease_until__lt=now)
            | Q(turn_lease_owner__startswith=self.process_id),
            pk=self.conversation_id,
        ).update(turn_lease_until=now + timedelta(seconds=self.seconds()), turn_lease_owner=self.owner))
        return self.claimed

    def keep(self) -> None:
        """Start renewing the claimed lease in the background (on the event loop), until release()."""
        self._keeper = asyncio.get_running_loop().create_task(self._keep(), name=f"lease-{self.conversation_id}")

    def _renew(self) -> tuple[bool, bool]:
        """(still ours, still the assistant's): one UPDATE in the usual case."""
        until = timezone.now() + timedelta(seconds=self.seconds())
        mine = Conversation.objects.filter(pk=self.conversation_id, turn_lease_owner=self.owner)
        if mine.filter(status__in=self.answering).update(turn_lease_until=until):
            return True, True
        return bool(mine.update(turn_lease_until=until)), False

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.seconds() / 3)
            try:
                ours, assistants = await in_thread(self._renew)()
            except DatabaseError:
                log.warning("could not renew the turn lease of %s", self.conversation_id, exc_info=True)
                continue
            if not ours:
                self.lost = True
                return
            if not assistants:
                self.handed_over = True

    def confirm(self) -> bool:
        """still_ours() as one conditional UPDATE that also renews the lease (sync, inside the hop that acts on the
        answer): True when the lease is ours and the assistant answers; otherwise `lost` or `handed_over` is set."""
        if self.lost:
            return False
        ours, assistants = self._renew()
        if not ours:
            self.lost = True
            return False
        if not assistants:
            self.handed_over = True
            return False
        return True

    def still_ours(self) -> bool:
        """The lease is ours and the assistant answers (one query)."""
        if self.lost:
            return False
        found = Conversation.objects.filter(pk=self.conversation_id).values_list("status", "turn_lease_owner").first()
        if found is None or found[1] != self.owner:
            self.lost = True
            return False
        if found[0] not in self.answering:
            self.handed_over = True
            return False
        return True

    async def release(self) -> None:
        """Let go of the lease if it is still ours. A release that fails (the database is away) is retried in the
        background; meanwhile the lease expires by itself, and this process may take it back at once."""
        if self._keeper is not None:
            self._keeper.cancel()
            self._keeper = None
        try:
            await in_thread(self._clear)()
        except DatabaseError:
            log.warning("could not release the turn lease of %s; retrying", self.conversation_id)
            asyncio.get_running_loop().create_task(self._release_later())

    def _clear(self) -> None:
        Conversation.objects.filter(pk=self.conversation_id, turn_lease_owner=self.owner).update(
            turn_lease_until=None, turn_lease_owner="")

    async def _release_later(self) -> None:
        for attempt in range(10):
            await asyncio.sleep(min(0.5 * 2 ** attempt, 5))
            try:
                await in_thread(self._clear)()
                return
            except DatabaseError:
                continue


# --- one turn -----------------------------------------------------------------------------------------------------
@dataclass
class TurnOutcome:
    usage: Usage
    model_calls: int
    handed_off: bool = False
    failed: str = ""


@dataclass
class _Turn:
    """What travels with one turn: its lease, its tool budget, and the seq reserved for the answer being streamed,
    which must be filled whatever happens (an empty seq would hold every later message back from the sockets)."""

    conversation: Conversation
    lease: TurnLease
    answered_seq: int
    open_seq: int | None = None
    usage: Usage = field(default_factory=Usage)
    calls: int = 0
    budget: ToolBudget = field(default_factory=ToolBudget)  # what answering this message may cost in tool calls

    async def still_ours(self) -> bool:
        return await in_thread(self.lease.still_ours)()


class _HandedOver(Exception):
    """A person took the conversation (or another process the lease) while the model was streaming: `said` is what
    the customer already saw."""

    def __init__(self, said: str):
        self.said = said


class _FirstWordClock:
    """A sink that notes when the customer saw the turn's first word (a delta, or a whole stored message)."""

    def __init__(self, sink: TurnSink):
        self.sink = sink
        self.first_word_at: float | None = None

    def _saw(self) -> None:
        if self.first_word_at is None:
            self.first_word_at = time.monotonic()

    async def delta(self, seq, text):
        self._saw()
        await self.sink.delta(seq, text)

    async def message(self, message):
        if message.text:  # a message of tool calls alone shows the customer nothing
            self._saw()
        await self.sink.message(message)

    def __getattr__(self, name):
        return getattr(self.sink, name)


async def observed_turn(conversation: Conversation, *, sink: TurnSink, backend, lease: TurnLease,
                        latest_customer: Message | None = None) -> TurnOutcome:
    """run_turn, counted: the metrics (helpdesk.metrics) and one log line per turn with its conversation, timings
    and usage (JSON fields under LOG_FORMAT=json; the PII filter sees it like every record)."""
    clock = _FirstWordClock(sink)
    started = time.monotonic()
    outcome = await run_turn(conversation, sink=clock, backend=backend, lease=lease, latest_customer=latest_customer)
    seconds = time.monotonic() - started
    first_word = clock.first_word_at - started if clock.first_word_at is not None else None
    result = outcome.failed or ("handed_off" if outcome.handed_off else "answered")
    usage = outcome.usage
    metrics.record_turn(backend=backend.name, outcome=result, seconds=seconds, first_word_seconds=first_word,
                        calls=outcome.model_calls, usage=usage)
    log.info(
        "turn of %s %s in %.0f ms (first word %s), %d model calls, tokens %d in, %d out, %d cache read, %d cache write",
        conversation.pk, result, seconds * 1000, f"{first_word * 1000:.0f} ms" if first_word is not None else "none",
        outcome.model_calls, usage.input_tokens, usage.output_tokens, usage.cache_read_tokens,
        usage.cache_write_tokens,
        extra={"event": "turn", "conversation": str(conversation.pk), "backend": backend.name, "outcome": result,
               "turn_ms": round(seconds * 1000, 1),
               "first_word_ms": round(first_word * 1000, 1) if first_word is not None else None,
               "model_calls": outcome.model_calls,
               "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                         "cache_read_tokens": usage.cache_read_tokens,
                         "cache_write_tokens": usage.cache_write_tokens}},
    )
    return outcome


async def run_turn(conversation: Conversation, *, sink: TurnSink, backend, lease: TurnLease,
                   latest_customer: Message | None = None) -> TurnOutcome:
    """Answer the latest customer messages of `conversation` (status bot; `latest_customer`, its latest customer
    message, read if not given). Never raises to the caller: every failure ends with the customer told (a stored
    apology, or an error frame when the database is away)."""
    outcome = TurnOutcome(usage=Usage(), model_calls=0)
    latest_customer = latest_customer or await in_thread(_latest_customer_message)(conversation.pk)
    if latest_customer is None:
        return outcome
    if conversation.status != Conversation.Status.BOT:
        # A person has the conversation (or it is waiting for one): the assistant stays silent.
        await _mark_answered(conversation.pk, latest_customer.seq)
        return outcome
    turn = _Turn(conversation, lease, answered_seq=latest_customer.seq)
    mood: asyncio.Task | None = None
    try:
        changed = {}
        language = detect_language(latest_customer.text, conversation.language)
        if language != conversation.language:
            conversation.language = changed["language"] = language
        if conversation.backend != backend.name:
            conversation.backend = changed["backend"] = backend.name
        refusal = await in_thread(_open_turn)(conversation, changed)
        if refusal:
            await _say(conversation, sink, refusal)
            await _mark_answered(conversation.pk, latest_customer.seq)
            return outcome

        mood = asyncio.create_task(sentiment.score_message(latest_customer, backend=backend, store=False))
        outcome = await _tool_loop(turn, sink=sink, backend=backend)
        task, mood = mood, None
        context = await _finish_sentiment(task, turn, latest_customer, sink)
    except DatabaseError:
        log.exception("database error during a turn of %s", conversation.pk)
        outcome.failed = "database"
        await sink.error("temporary_failure", _fault_text(conversation.language, "database"))
        return outcome
    except Exception:  # the turn's edge: whatever broke, the customer hears from us and nothing is left half-done
        log.exception("a turn of %s failed", conversation.pk)
        outcome.failed = "error"
        await _apologize(turn, sink, "default")
        return outcome
    finally:
        if mood is not None:
            mood.cancel()
    await _fold_memory(turn.conversation, backend, messages=context)
    return outcome


def _open_turn(conversation: Conversation, changed: dict) -> str | None:
    """One hop at the start of a turn: the language or backend that changed, stored; the limits checked (None, or
    the refusal to say)."""
    if changed:
        _update(conversation.pk, **changed)
    return limits.check_turn_allowed(conversation)


async def _apologize(turn: _Turn, sink: TurnSink, kind: str) -> None:
    """Store the apology (in place of a half-streamed answer) and mark the turn answered; if even that fails, the
    customer still gets an error frame and the message stays unanswered for the next try."""
    try:
        seq, turn.open_seq = turn.open_seq, None
        await _say(turn.conversation, sink, _fault_text(turn.conversation.language, kind), seq=seq)
        await _mark_answered(turn.conversation.pk, turn.answered_seq)
    except Exception:
        log.exception("could not tell the customer of %s about a failed turn", turn.conversation.pk)
        await sink.error("temporary_failure", _fault_text(turn.conversation.language, "database"))


async def _finish_sentiment(task: asyncio.Task, turn: _Turn, message, sink) -> list[Message] | None:
    """The score broadcast, stored and acted on (assistant.escalation). Returns the context messages for
    condensation when they were read in the same hop (nothing was to be said after it), else None."""
    conversation = turn.conversation
    try:
        score = await task
    except Exception:  # a classifier failure never breaks the reply
        log.warning("sentiment failed for %s", conversation.pk, exc_info=True)
        return None
    if score is None:
        return None
    await abroadcast(conversation_group(conversation.pk), {
        "type": "chat.sentiment", "seq": message.seq, "score": score.score, "flags": sorted(score.flags),
        "reason": score.reason,
    })

    def escalate() -> tuple[escalation.Applied | None, list[Message] | None]:
        # The score is stored by the escalation step, in its transaction; condensation's read follows in the same
        # hop unless a message is to be said first.
        applied = escalation.after_turn(conversation.pk, message.pk, score, seq=message.seq, store_score=True)
        return applied, None if applied and applied.say else memory.context_messages(conversation)

    applied, context = await in_thread(escalate)()
    if applied and applied.say and await turn.still_ours():
        await _say(conversation, sink, applied.say)
    return context


async def _tool_loop(turn: _Turn, *, sink: TurnSink, backend) -> TurnOutcome:
    conversation = turn.conversation
    handed_off = False
    refresh = False  # the conversation loaded for this turn is current until a tool changes it
    for round_number in range(settings.ASSISTANT_MAX_TOOL_ROUNDS + 1):
        if turn.lease.lost:
            return await _stop(turn)
        prepared = await in_thread(_prepare_round)(turn, refresh)
        if prepared is None:
            return await _stop(turn)
        request, context_seq = prepared
        turn.answered_seq = max(turn.answered_seq, context_seq)
        try:
            final = await _call_model(backend, request, sink, turn)
        except LLMError as error:
            log.warning("model call failed for %s: %s", conversation.pk, error)
            metrics.record_model_error(backend.name, error.kind)
            await in_thread(conversations.log_event)(
                conversation.pk, ConversationEvent.Kind.FAULT, "system", f"model {error.kind}"
            )
            await _apologize(turn, sink, error.kind)
            return TurnOutcome(turn.usage, turn.calls, failed=error.kind)
        except _HandedOver as handed_over:
            await _store_text(turn, sink, handed_over.said)
            return await _stop(turn)
        turn.calls += 1
        turn.usage = turn.usage + final.usage
        finishing = final.stop_reason != "pause_turn" and (
            final.stop_reason != "tool_use" or not final.tool_uses or handed_off)
        if not await _store_assistant(turn, final, sink, answered=finishing):
            return TurnOutcome(turn.usage, turn.calls)  # taken over while the model wrote its tool calls
        if final.stop_reason == "pause_turn":
            continue
        if finishing:
            # Done, or after a hand-off: the model had one call to tell the customer; it acts no further.
            return TurnOutcome(turn.usage, turn.calls, handed_off=handed_off)
        if round_number == settings.ASSISTANT_MAX_TOOL_ROUNDS:
            break
        handed_off = await _run_tools(turn, final, sink)
        refresh = True
    await _apologize(turn, sink, "too_many_rounds")
    return TurnOutcome(turn.usage, turn.calls, failed="too_many_rounds")


def _prepare_round(turn: _Turn, refresh: bool) -> tuple[LLMRequest, int] | None:
    """One hop before a model call: the request built from the stored conversation (re-read only after tools ran:
    until then the one loaded for this turn is current), then the seq of the answer reserved, in one conditional
    UPDATE that is also the check that the lease is ours and the assistant answers. None (and `lost` or
    `handed_over` set) when it is not: no seq is reserved, no model called."""
    if refresh:
        turn.conversation = Conversation.objects.select_related("customer").get(pk=turn.conversation.pk)
    request, context_seq = _build_request(turn.conversation.pk, conversation=turn.conversation)
    lease = turn.lease
    with transaction.atomic():
        seq = conversations.allocate_seq(turn.conversation.pk, lease_owner=lease.owner, statuses=lease.answering)
    if seq is None:
        lease.confirm()  # not ours: which of lost or handed over (one UPDATE, or two)
        return None
    turn.open_seq = seq
    return request, context_seq


async def _stop(turn: _Turn) -> TurnOutcome:
    """A person has the conversation (or another process the lease): say and do nothing more."""
    if not turn.lease.lost:  # the new owner of a lost lease answers; a person's takeover answers for us
        await _mark_answered(turn.conversation.pk, turn.answered_seq)
    return TurnOutcome(turn.usage, turn.calls)


def _build_request(conversation_id, *, conversation: Conversation | None = None) -> tuple[LLMRequest, int]:
    """The model's request from the stored conversation (read unless given, with its customer) and messages, and
    the seq of the latest customer message it answers."""
    if conversation is None:
        conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
    messages = memory.context_messages(conversation)
    customer = conversation.customer
    agent_names = sorted({m.author.first_name for m in messages if m.role == Message.Role.AGENT and m.author})
    context = {
        "language": conversation.language,
        "customer_name": customer.name if customer else "",
        "verified_email": conversation.verified_email,
        "verified_orders": conversation.verified_order_numbers,
        "summary": conversation.summary,
        "agent_names": agent_names,
        # A hand-off found nobody available and waits for the customer's email (conversations.handoff). Every
        # hand-off stamps escalated_at on the row read here, so without it there is no hand-off to look for.
        "awaiting_email_for_team": conversation.escalated_at is not None
        and pending_offline_handoff(conversation) is not None,
    }
    request = LLMRequest(
        system=system_blocks(**context),
        messages=memory.build_messages(messages),
        tools=TOOLS,
        max_tokens=settings.ASSISTANT_MAX_TOKENS,
        hints={**context, "customer_first_name": customer.first_name if customer else "",
               "store": settings.STORE_NAME},
    )
    last_customer = max((m.seq for m in messages if m.role == Message.Role.CUSTOMER), default=0)
    return request, last_customer


async def _call_model(backend, request: LLMRequest, sink: TurnSink, turn: _Turn) -> FinalMessage:
    """Stream one model call to the sink through the output guard; return its final message (guarded).

    Bounded (the first event, the gap between events, the whole call), so a hung model costs the customer seconds.
    Cut short when a person takes the conversation meanwhile (_HandedOver, with what was already shown).
    """
    final = None
    guard = OutputGuard()
    shown: list[str] = []
    seq, language = turn.open_seq, turn.conversation.language

    async def show(text: str) -> None:
        shown.append(text)
        await sink.delta(seq, text)

    async with limits.model_call_slot():
        events = bounded(backend.stream(request), first_event=settings.LLM_FIRST_EVENT_TIMEOUT_SECONDS,
                         between_events=settings.LLM_EVENT_GAP_TIMEOUT_SECONDS,
                         total=settings.LLM_CALL_DEADLINE_SECONDS)
        async with aclosing(events):
            async for event in events:
                if turn.lease.handed_over or turn.lease.lost:
                    raise _HandedOver("".join(shown))
                if isinstance(event, TextDelta):
                    if safe := guard.feed(event.text):
                        await show(safe)
                elif isinstance(event, ToolUseStarted):
                    if rest := guard.flush():
                        await show(rest)
                    await sink.tool_status(status_label(event.name, language), seq=seq)
                elif isinstance(event, FinalMessage):
                    final = event
    if final is None:
        raise LLMError("incomplete", "no final message")
    if rest := guard.flush():
        await show(rest)
    text, withheld = guard.final_text(final.text)
    if withheld:
        log.warning("an answer quoting the system prompt was withheld")
        content = [b for b in final.content if b.get("type") != "text"]
        final = FinalMessage([{"type": "text", "text": text}, *content], final.stop_reason, final.usage, final.model)
    return final


async def _store_assistant(turn: _Turn, final: FinalMessage, sink: TurnSink, *, answered: bool) -> bool:
    """Store the model's message (and, when it ends the turn, mark the turn answered) in one hop. A message with
    tool calls is stored only while the conversation is still ours (checked in the same hop): taken over while the
    model wrote them, what it said is kept and nothing runs (False, the turn stopped)."""
    content = [json_safe(b) for b in final.content if b.get("type") != "text" or b.get("text")]
    seq, turn.open_seq = turn.open_seq, None

    def store() -> tuple[Message, bool]:
        if final.tool_uses and not turn.lease.confirm():
            message = conversations.record_message(conversation_id=turn.conversation.pk, role=Message.Role.ASSISTANT,
                                                   text=final.text.strip(), seq=seq, model="system")
            if not turn.lease.lost:  # the new owner of a lost lease answers; a person's takeover answers for us
                _mark(turn.conversation.pk, turn.answered_seq)
            return message, False
        message = conversations.record_message(
            conversation_id=turn.conversation.pk, role=Message.Role.ASSISTANT, text=final.text.strip(),
            content=content, seq=seq, usage=final.usage, model=final.model,
        )
        if answered:
            _mark(turn.conversation.pk, turn.answered_seq)
        return message, True

    message, ours = await in_thread(store)()
    await sink.message(message)
    return ours


async def _store_text(turn: _Turn, sink: TurnSink, text: str) -> None:
    """Fill the reserved seq with what the customer already saw (maybe nothing), and no tool call."""
    seq, turn.open_seq = turn.open_seq, None
    message = await in_thread(conversations.record_message)(
        conversation_id=turn.conversation.pk, role=Message.Role.ASSISTANT, text=text.strip(), seq=seq, model="system"
    )
    await sink.message(message)


def json_safe(value):
    """`value` with non-finite numbers (a model's 1e309 parses as infinity) as strings: JSON columns refuse them,
    and a message that cannot be stored would fail the turn again on every retry."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


async def _run_tools(turn: _Turn, final: FinalMessage, sink: TurnSink) -> bool:
    """Run each tool call of `final` (each only while the conversation is still ours, each at most once per id),
    store their results in one tool message, show actions; all in one database hop. True on a hand-off."""
    conversation = turn.conversation
    context = ToolContext(conversation_id=conversation.pk, language=conversation.language, budget=turn.budget)

    def run() -> tuple[Message, list, bool]:
        results, actions, handed_off = [], [], False
        for call in final.tool_uses:
            if not turn.lease.confirm():  # one conditional UPDATE, which also renews the lease
                results.append(memory.interrupted_result(call["id"]))
                continue
            result, ran = run_tool_once(conversation.pk, call, context)
            results.append(result.block(call["id"]))
            if result.action and ran:
                actions.append(result.action)
            if result.handoff:
                # This turn put the conversation in the queue itself: the rest of this batch still runs, and one
                # more model call tells the customer, until a person joins.
                handed_off = True
                turn.lease.answering = {Conversation.Status.BOT, Conversation.Status.WAITING}
        message = conversations.record_message(
            conversation_id=conversation.pk, role=Message.Role.TOOL, content=results,
            action={"items": actions} if actions else None,
        )
        return message, actions, handed_off

    message, actions, handed_off = await in_thread(run)()
    if actions:
        await sink.action(message)
    return handed_off


def run_tool_once(conversation_id, call: dict, context: ToolContext) -> tuple[ToolResult, bool]:
    """Run one tool call unless its tool_use id already ran in this conversation: (result, ran now).

    The claim (a unique row per id) and the tool's own writes commit together, so a process that dies mid-tool
    leaves nothing behind and the id can run again; an id that ran returns its stored result, its side effects
    not repeated (a turn taken over by another process, a retried round)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ToolCall.objects.create(conversation_id=conversation_id, tool_use_id=str(call["id"])[:100],
                                                 name=str(call.get("name", ""))[:40])
        except IntegrityError:
            stored = ToolCall.objects.filter(conversation_id=conversation_id, tool_use_id=str(call["id"])[:100]).first()
            if stored is None or stored.result is None:
                raise
            return ToolResult.from_stored(stored.result), False
        result = run_tool(call["name"], call.get("input") or {}, context)
        record.result = json_safe(result.as_stored())
        record.save(update_fields=["result"])
    return result, True


async def _say(conversation: Conversation, sink: TurnSink, text: str, *, seq: int | None = None) -> None:
    """Store and send a message of ours that did not come from the model (limits, faults, warnings)."""
    message = await in_thread(conversations.record_message)(
        conversation_id=conversation.pk, role=Message.Role.ASSISTANT, text=text, seq=seq, model="system"
    )
    await sink.message(message)


def _mark(conversation_id, seq: int) -> None:
    Conversation.objects.filter(pk=conversation_id, answered_through_seq__lt=seq).update(answered_through_seq=seq)


async def _mark_answered(conversation_id, seq: int) -> None:
    await in_thread(_mark)(conversation_id, seq)


async def _fold_memory(conversation: Conversation, backend, *, messages: list[Message] | None = None) -> None:
    try:
        await memory.fold_if_needed(conversation.pk, backend, conversation=conversation, messages=messages)
    except Exception:  # memory is an optimisation: a failed fold leaves the full history, which still works
        log.warning("condensation failed for %s", conversation.pk, exc_info=True)


FAULT_TEXTS = {
    "database": gettext_noop("I'm sorry, I hit a temporary problem and couldn't answer. Your message is saved, and I'll "
                             "answer it as soon as you reconnect or send another message."),
    "busy": gettext_noop("I'm sorry, we're very busy right now and I couldn't answer in time. Your message is saved: "
                         "please try again in a minute, or ask for a person."),
    "too_many_rounds": gettext_noop("I'm sorry, this is taking me longer than it should. Would you like me to open a "
                                    "ticket for our team, or connect you with a person?"),
    "default": gettext_noop("I'm sorry, I'm having trouble answering right now. Your message is saved. Would you like "
                            "me to open a ticket so our team follows up, or connect you with a person?"),
}


def _fault_text(language: str, kind: str) -> str:
    with override(language):
        return _(FAULT_TEXTS.get(kind, FAULT_TEXTS["default"]))
