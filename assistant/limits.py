"""Limits against unbounded consumption: per conversation (turns per hour, model tokens per day) and per process
(concurrent model calls). Each gives the customer a clear message instead of a silent failure."""

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection
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
    """None when the assistant may answer; otherwise the message that tells the customer why not.

    Both counts come from one aggregate over the last day's messages (customer messages of the last hour, and the
    weighted tokens of paid model calls)."""
    now = timezone.now()
    totals = _usage(conversation.pk, hour_ago=now - timedelta(hours=1), day_ago=now - timedelta(days=1))
    with override(conversation.language):
        if totals["recent_turns"] > settings.CHAT_MAX_TURNS_PER_HOUR:
            log_event(conversation.pk, ConversationEvent.Kind.LIMIT_HIT, "system", "turns per hour")
            return _("You've sent a lot of messages in the last hour, so I'm pausing here. Please try again a little "
                     "later, or ask for a person and our team will take over.")
        if _weighted(totals) >= settings.CHAT_MAX_TOKENS_PER_DAY:
            log_event(conversation.pk, ConversationEvent.Kind.LIMIT_HIT, "system", "tokens per day")
            return _("This conversation has reached today's limit for the assistant. Our team can continue it: ask "
                     "for a person, or come back tomorrow.")
    return None


def weighted_tokens_since(conversation: Conversation, since) -> float:
    """Model tokens as they are billed (cache reads 0.1x, cache writes 1.25x), for calls to a paid model only."""
    totals = conversation.messages.filter(created_at__gte=since).exclude(model__in=FREE_MODELS).aggregate(
        **_token_sums())
    return _weighted(totals)


def _token_sums() -> dict:
    return {"plain": Sum(F("input_tokens") + F("output_tokens")), "read": Sum("cache_read_tokens"),
            "write": Sum("cache_write_tokens")}


def _usage(conversation_id, *, hour_ago, day_ago) -> dict:
    """The conversation's customer messages since `hour_ago` (recent_turns) and the token sums of weighted_tokens_since
    since `day_ago`, in one statement. Written as SQL (portable CASE, no FILTER clause): the same aggregate through
    the ORM costs more to compile, every turn, than everything else of the check."""
    quote = connection.ops.quote_name
    created = Message._meta.get_field("created_at")
    paid = f"model NOT IN ({', '.join(['%s'] * len(FREE_MODELS))})"
    sql = (f"SELECT COUNT(CASE WHEN role = %s AND created_at >= %s THEN 1 END), "
           f"SUM(CASE WHEN {paid} THEN input_tokens + output_tokens END), "
           f"SUM(CASE WHEN {paid} THEN cache_read_tokens END), SUM(CASE WHEN {paid} THEN cache_write_tokens END) "
           f"FROM {quote(Message._meta.db_table)} WHERE conversation_id = %s AND created_at >= %s")
    params = [Message.Role.CUSTOMER, created.get_db_prep_value(hour_ago, connection), *FREE_MODELS * 3,
              Conversation._meta.pk.get_db_prep_value(conversation_id, connection),
              created.get_db_prep_value(day_ago, connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        turns, plain, read, write = cursor.fetchone()
    return {"recent_turns": turns or 0, "plain": plain, "read": read, "write": write}


def _weighted(totals: dict) -> float:
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
