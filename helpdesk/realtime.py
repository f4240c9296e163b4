"""Channel-layer plumbing shared by the apps: group names and broadcasts after commit.

The database is the record of truth; the channel layer only wakes sockets up (channels-redis drops messages when a
group is over capacity, so nothing may depend on a broadcast arriving). Group names are built here from ids, never
from user text (a non-ASCII or over-long name would make the layer raise).
"""

import logging
import re
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .fingerprints import session_fingerprint

log = logging.getLogger(__name__)


def conversation_group(conversation_id) -> str:
    return f"conversation.{uuid.UUID(str(conversation_id)).hex}"


def agents_queue_group() -> str:
    return "agents.queue"


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a wake-up that fails is not fatal: clients replay from the database
        log.warning("broadcast to %s failed", group, exc_info=True)


def broadcast_on_commit(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _send(group, event))


async def abroadcast(group: str, event: dict) -> bool:
    """From async code that has already committed its writes. False when the layer could not be reached."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group, event)
    except Exception:
        log.warning("broadcast to %s failed", group, exc_info=True)
        return False
    return True


def visitor_group(*, customer_id=None, session_key: str = "") -> str | None:
    """All the tabs of one customer (or of one guest's browser session), to tell them a conversation started."""
    if customer_id is not None:
        return f"customer.{int(customer_id)}"
    # str.isalnum() accepts "ü": channel layers accept ASCII letters, digits, hyphens, dots and underscores only.
    if session_key and re.fullmatch(r"[a-z0-9]{1,64}", session_key):
        # Named from the key's fingerprint: group names reach Redis and its logs; the key is a credential.
        return f"session.{session_fingerprint(session_key)}"
    return None
