"""The turn: from a stored customer message to a stored, streamed answer.

    customer message (already committed) -> limits -> sentiment (in parallel) -> LLM tool loop, streaming deltas
    -> assistant and tool messages stored with usage -> escalation decision -> condensation (after the reply)

A turn belongs to the conversation, not to a socket: `ensure_turn` starts (at most) one task per conversation in
this process, which keeps answering while unanswered customer messages remain, whoever is connected. A lease on the
conversation row keeps two processes from answering at once; a lease left by a process that died lets the next
connection resume the turn. Everything that touches the database goes through the async ORM or
a pool of threads (chat.db); nothing blocks the event loop.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop, override

from helpdesk.realtime import abroadcast, conversation_group

from . import escalation, limits, memory, sentiment
from . import services as chat
from .events import ChannelLayerSink, TurnSink
from .db import in_thread
from .guardrails import OutputGuard
from .llm import FinalMessage, LLMError, LLMRequest, TextDelta, ToolUseStarted, Usage, get_backend
from .llm.offline_text import detect_language
from .models import Conversation, ConversationEvent, Message
from .prompts import system_blocks
from .tools import TOOLS, ToolContext, run_tool, status_label

log = logging.getLogger(__name__)

_running: dict[str, asyncio.Task] = {}
_recheck: set[str] = set()
LEASE_WAIT_SECONDS = 0.3


# --- scheduling ---------------------------------------------------------------------------------------------------
def ensure_turn(conversation_id, *, sink: TurnSink | None = None, backend=None) -> asyncio.Task:
    """Start answering the conversation in the background unless this process already is. Returns the task."""
    key = str(conversation_id)
    task = _running.get(key)
    _recheck.add(key)  # a running task may be deciding it is done: make it look again
    if task is None or task.done():
        task = asyncio.get_running_loop().create_task(
            answer_pending(conversation_id, sink=sink, backend=backend), name=f"turn-{key}"
        )
        _running[key] = task
        task.add_done_callback(lambda finished, key=key: _forget(key, finished))
    return task


def _forget(key: str, task: asyncio.Task) -> None:
    if _running.get(key) is task:
        del _running[key]
    if not task.cancelled() and task.exception() is not None:
        log.error("turn task for %s failed", key, exc_info=task.exception())


def running_turn(conversation_id) -> asyncio.Task | None:
    task = _running.get(str(conversation_id))
    return task if task and not task.done() else None


async def answer_pending(conversation_id, *, sink: TurnSink | None = None, backend=None) -> None:
    """Answer every unanswered customer message of the conversation, one turn at a time.

    No message may fall between two tasks: a message that arrives while this task is deciding it has nothing left
    to do sets a re-check flag (ensure_turn); a message stored while another process holds the lease is waited
    for here until that process lets go or answers it.
    """
    sink = sink or ChannelLayerSink(conversation_id)
    key = str(conversation_id)
    while True:
        _recheck.discard(key)
        if not await _acquire_lease(conversation_id):
            # Another process is answering. Wait while something is still unanswered: it may be ours.
            conversation = await in_thread(_load)(conversation_id)
            if await in_thread(_pending_customer_seq)(conversation) is None:
                return
            await asyncio.sleep(LEASE_WAIT_SECONDS)
            continue
        try:
            while True:
                _recheck.discard(key)
                conversation = await in_thread(_load)(conversation_id)
                if await in_thread(_pending_customer_seq)(conversation) is None:
                    break
                outcome = await run_turn(conversation, sink=sink, backend=backend or get_backend())
                if outcome.failed == "database":
                    return  # the message stays unanswered; the next message or reconnect tries again
        finally:
            await _release_lease(conversation_id)
        if key not in _recheck:
            return


def _load(conversation_id) -> Conversation:
    return Conversation.objects.select_related("customer").get(pk=conversation_id)


def _pending_customer_seq(conversation: Conversation) -> int | None:
    return (
        conversation.messages.filter(role=Message.Role.CUSTOMER, seq__gt=conversation.answered_through_seq)
        .order_by("-seq").values_list("seq", flat=True).first()
    )


def _latest_customer_message(conversation_id) -> Message | None:
    return Message.objects.filter(conversation_id=conversation_id, role=Message.Role.CUSTOMER).order_by("-seq").first()


def _update(conversation_id, **fields) -> None:
    Conversation.objects.filter(pk=conversation_id).update(**fields)


async def _acquire_lease(conversation_id) -> bool:
    def claim():
        now = timezone.now()
        return Conversation.objects.filter(
            Q(turn_lease_until__isnull=True) | Q(turn_lease_until__lt=now), pk=conversation_id
        ).update(turn_lease_until=now + timedelta(seconds=settings.TURN_LEASE_SECONDS))

    return bool(await in_thread(claim)())


async def _renew_lease(conversation_id) -> None:
    await in_thread(_update)(conversation_id,
                             turn_lease_until=timezone.now() + timedelta(seconds=settings.TURN_LEASE_SECONDS))


async def _release_lease(conversation_id) -> None:
    try:
        await in_thread(_update)(conversation_id, turn_lease_until=None)
    except DatabaseError:
        log.warning("could not release the turn lease of %s", conversation_id, exc_info=True)


# --- one turn -----------------------------------------------------------------------------------------------------
@dataclass
class TurnOutcome:
    usage: Usage
    model_calls: int
    handed_off: bool = False
    failed: str = ""


async def run_turn(conversation: Conversation, *, sink: TurnSink, backend) -> TurnOutcome:
    """Answer the latest customer messages of `conversation` (status bot). Never raises to the caller."""
    outcome = TurnOutcome(usage=Usage(), model_calls=0)
    latest_customer = await in_thread(_latest_customer_message)(conversation.pk)
    if latest_customer is None:
        return outcome
    if conversation.status != Conversation.Status.BOT:
        # A person has the conversation (or it is waiting for one): the assistant stays silent.
        await _mark_answered(conversation.pk, latest_customer.seq)
        return outcome
    try:
        language = detect_language(latest_customer.text, conversation.language)
        if language != conversation.language:
            conversation.language = language
            await in_thread(_update)(conversation.pk, language=language)
        if conversation.backend != backend.name:
            await in_thread(_update)(conversation.pk, backend=backend.name)

        refusal = await in_thread(limits.check_turn_allowed)(conversation)
        if refusal:
            await _say(conversation, sink, refusal)
            await _mark_answered(conversation.pk, latest_customer.seq)
            return outcome

        mood = asyncio.create_task(sentiment.score_message(latest_customer, backend=backend))
        outcome = await _tool_loop(conversation, sink=sink, backend=backend, answered_seq=latest_customer.seq)
        await _finish_sentiment(mood, conversation, latest_customer, sink)
    except DatabaseError:
        log.exception("database error during a turn of %s", conversation.pk)
        outcome.failed = "database"
        await sink.error("temporary_failure", _fault_text(conversation.language, "database"))
        return outcome
    await _fold_memory(conversation.pk, backend)
    return outcome


async def _finish_sentiment(task: asyncio.Task, conversation, message, sink) -> None:
    try:
        score = await task
    except Exception:  # a classifier failure never breaks the reply
        log.warning("sentiment failed for %s", conversation.pk, exc_info=True)
        return
    if score is None:
        return
    await abroadcast(conversation_group(conversation.pk), {
        "type": "chat.sentiment", "seq": message.seq, "score": score.score, "flags": sorted(score.flags),
        "reason": score.reason,
    })
    applied = await in_thread(escalation.after_turn)(conversation.pk, message.pk, score)
    if applied and applied.say:
        await _say(conversation, sink, applied.say)


async def _tool_loop(conversation: Conversation, *, sink: TurnSink, backend, answered_seq: int) -> TurnOutcome:
    total = Usage()
    calls = 0
    handed_off = False
    for round_number in range(settings.ASSISTANT_MAX_TOOL_ROUNDS + 1):
        await _renew_lease(conversation.pk)
        request, context_seq = await in_thread(_build_request)(conversation.pk)
        answered_seq = max(answered_seq, context_seq)
        seq = await in_thread(chat.reserve_seq)(conversation.pk)
        try:
            final = await _call_model(backend, request, sink, seq, conversation.language)
        except LLMError as error:
            log.warning("model call failed for %s: %s", conversation.pk, error)
            await _say(conversation, sink, _fault_text(conversation.language, error.kind), seq=seq)
            await in_thread(chat.log_event)(
                conversation.pk, ConversationEvent.Kind.FAULT, "system", f"model {error.kind}"
            )
            await _mark_answered(conversation.pk, answered_seq)
            return TurnOutcome(total, calls, failed=error.kind)
        calls += 1
        total = total + final.usage
        await _store_assistant(conversation.pk, seq, final, backend, sink)
        if final.stop_reason == "pause_turn":
            continue
        if final.stop_reason != "tool_use" or not final.tool_uses:
            await _mark_answered(conversation.pk, answered_seq)
            return TurnOutcome(total, calls, handed_off=handed_off)
        if round_number == settings.ASSISTANT_MAX_TOOL_ROUNDS:
            break
        if handed_off:
            # After a hand-off the model had one call to tell the customer; it acts no further.
            await _mark_answered(conversation.pk, answered_seq)
            return TurnOutcome(total, calls, handed_off=True)
        handed_off = await _run_tools(conversation, final, sink)
    await _say(conversation, sink, _fault_text(conversation.language, "too_many_rounds"))
    await _mark_answered(conversation.pk, answered_seq)
    return TurnOutcome(total, calls, failed="too_many_rounds")


def _build_request(conversation_id) -> tuple[LLMRequest, int]:
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


async def _call_model(backend, request: LLMRequest, sink: TurnSink, seq: int, language: str) -> FinalMessage:
    """Stream one model call to the sink through the output guard; return its final message (guarded)."""
    final = None
    guard = OutputGuard()
    async with limits.model_call_slot():
        async for event in backend.stream(request):
            if isinstance(event, TextDelta):
                if safe := guard.feed(event.text):
                    await sink.delta(seq, safe)
            elif isinstance(event, ToolUseStarted):
                if rest := guard.flush():
                    await sink.delta(seq, rest)
                await sink.tool_status(status_label(event.name, language), seq=seq)
            elif isinstance(event, FinalMessage):
                final = event
    if final is None:
        raise LLMError("incomplete", "no final message")
    if rest := guard.flush():
        await sink.delta(seq, rest)
    text, withheld = guard.final_text(final.text)
    if withheld:
        log.warning("an answer quoting the system prompt was withheld")
        content = [b for b in final.content if b.get("type") != "text"]
        final = FinalMessage([{"type": "text", "text": text}, *content], final.stop_reason, final.usage, final.model)
    return final


async def _store_assistant(conversation_id, seq: int, final: FinalMessage, backend, sink: TurnSink) -> None:
    content = [b for b in final.content if b.get("type") != "text" or b.get("text")]
    message = await in_thread(chat.record_message)(
        conversation_id=conversation_id, role=Message.Role.ASSISTANT, text=final.text.strip(), content=content,
        seq=seq, usage=final.usage, model=final.model,
    )
    await sink.message(message)


async def _run_tools(conversation: Conversation, final: FinalMessage, sink: TurnSink) -> bool:
    """Run each tool call of `final`, store their results in one tool message, show actions. True on a hand-off."""
    context = ToolContext(conversation_id=conversation.pk, language=conversation.language)
    results, actions, handed_off = [], [], False
    for call in final.tool_uses:
        result = await in_thread(run_tool)(call["name"], call.get("input") or {}, context)
        results.append(result.block(call["id"]))
        if result.action:
            actions.append(result.action)
        handed_off = handed_off or result.handoff
    message = await in_thread(chat.record_message)(
        conversation_id=conversation.pk, role=Message.Role.TOOL, content=results,
        action={"items": actions} if actions else None,
    )
    if actions:
        await sink.action(message)
    return handed_off


async def _say(conversation: Conversation, sink: TurnSink, text: str, *, seq: int | None = None) -> None:
    """Store and send a message of ours that did not come from the model (limits, faults, warnings)."""
    message = await in_thread(chat.record_message)(
        conversation_id=conversation.pk, role=Message.Role.ASSISTANT, text=text, seq=seq, model="system"
    )
    await sink.message(message)


async def _mark_answered(conversation_id, seq: int) -> None:
    def mark():
        Conversation.objects.filter(pk=conversation_id, answered_through_seq__lt=seq).update(answered_through_seq=seq)

    await in_thread(mark)()


async def _fold_memory(conversation_id, backend) -> None:
    try:
        await memory.fold_if_needed(conversation_id, backend)
    except Exception:  # memory is an optimisation: a failed fold leaves the full history, which still works
        log.warning("condensation failed for %s", conversation_id, exc_info=True)


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
