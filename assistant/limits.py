"""Limits against unbounded consumption: per conversation (turns per hour, model tokens per day) and per process
(concurrent model calls). Each gives the customer a clear message instead of a silent failure."""

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from assistant.llm.base import LLMError
from conversations.models import Conversation, ConversationEvent, Message
from conversations.services import log_event

SLOT_WAIT_SECONDS = 15.0
FREE_MODELS = ("", "offline-assistant", "system")
_semaphores: dict[int, tuple[int, asyncio.Semaphore]] = {}


def check_turn_allowed(conversation: Conversation) -> str | None:
    """None when the assistant may answer; otherwise the message that tells the customer why not."""
    now = timezone.now()
    recent_turns = conversation.messages.filter(
        role=Message.Role.CUSTOMER, created_at__gte=now - timedelta(hours=1)
    ).count()
    with override(conversation.language):
        if recent_turns > settings.CHAT_MAX_TURNS_PER_HOUR:
            log_event(conversation.pk, ConversationEvent.Kind.LIMIT_HIT, "system", "turns per hour")
            return _("You've sent a lot of messages in the last hour, so I'm pausing here. Please try again a little "
                     "later, or ask for a person and our team will take over.")
        used = weighted_tokens_since(conversation, now - timedelta(days=1))
        if used >= settings.CHAT_MAX_TOKENS_PER_DAY:
            log_event(conversation.pk, ConversationEvent.Kind.LIMIT_HIT, "system", "tokens per day")
            return _("This conversation has reached today's limit for the assistant. Our team can continue it: ask "
                     "for a person, or come back tomorrow.")
    return None


def weighted_tokens_since(conversation: Conversation, since) -> float:
    """Model tokens as they are billed (cache reads 0.1x, cache writes 1.25x), for calls to a paid model only."""
    totals = (
        conversation.messages.filter(created_at__gte=since)
        .exclude(model__in=FREE_MODELS)
        .aggregate(plain=Sum(F("input_tokens") + F("output_tokens")), read=Sum("cache_read_tokens"),
                   write=Sum("cache_write_tokens"))
    )
    return (totals["plain"] or 0) + 0.1 * (totals["read"] or 0) + 1.25 * (totals["write"] or 0)


def _semaphore() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    limit = settings.LLM_MAX_CONCURRENT_CALLS
    entry = _semaphores.get(id(loop))
    if entry is None or entry[0] != limit:
        entry = (limit, asyncio.Semaphore(limit))
        _semaphores[id(loop)] = entry
    return entry[1]


@asynccontextmanager
async def model_call_slot(wait: float = SLOT_WAIT_SECONDS):
    """At most LLM_MAX_CONCURRENT_CALLS model calls at once in this process; past a short wait, LLMError('busy')."""
    semaphore = _semaphore()
    try:
        await asyncio.wait_for(semaphore.acquire(), timeout=wait)
    except TimeoutError:
        raise LLMError("busy", "too many concurrent model calls") from None
    try:
        yield
    finally:
        semaphore.release()
