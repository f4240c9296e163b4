"""Channel-layer plumbing shared by the apps: group names and broadcasts after commit.

The database is the record of truth; the channel layer only wakes sockets up (channels-redis drops messages when a
group is over capacity, so nothing may depend on a broadcast arriving). Group names are built here from ids, never
from user text (a non-ASCII or over-long name would make the layer raise).
"""

import asyncio
import logging
import re
import time
import uuid
import weakref

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import metrics
from .fingerprints import session_fingerprint

log = logging.getLogger(__name__)


def conversation_group(conversation_id) -> str:
    return f"conversation.{uuid.UUID(str(conversation_id)).hex}"


def agents_queue_group() -> str:
    return "agents.queue"


class LayerHealth:
    """Whether this process reaches its channel layer, and the sockets to tell when that changes.

    The layer reports failures and recoveries by source ("publish": broadcasts, "subscribe": the subscriptions that
    deliver them); it is down while any source fails. Going down logs one warning and tells every listening socket
    (`realtime_down()`), coming back logs one info and tells them again (`realtime_restored()`): the sockets of this
    process cannot hear it through the layer, which is what failed. Listeners are consumers, held weakly.
    """

    # While broadcasts fail, try one at most this often: a streamed answer sends a dozen a second, and each attempt
    # on an unreachable host may wait for a connection timeout.
    RETRY_PUBLISH_SECONDS = 1.0

    PROBE_FIRST_SECONDS = 0.5
    PROBE_MAX_SECONDS = 5.0

    def __init__(self, layer=None):
        self.layer = weakref.ref(layer) if layer is not None else (lambda: None)
        self.failing: set[str] = set()
        self.publish_failed_at = 0.0
        self.prober = None
        self.listeners: weakref.WeakSet = weakref.WeakSet()
        self.loops: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.tasks: set = set()

    @property
    def down(self) -> bool:
        return bool(self.failing)

    def listen(self, listener) -> None:
        """Tell `listener` about changes from now on (and at once if the layer is down now)."""
        self.listeners.add(listener)
        self.loops[listener] = asyncio.get_running_loop()
        if self.down:
            self._notify([listener], "realtime_down")

    def forget(self, listener) -> None:
        self.listeners.discard(listener)

    def may_publish(self) -> bool:
        """False for a moment after a broadcast failed: the next ones are skipped instead of waiting on Redis."""
        return "publish" not in self.failing or time.monotonic() - self.publish_failed_at >= self.RETRY_PUBLISH_SECONDS

    def report_failure(self, source: str, error: BaseException | None = None) -> None:
        if source not in self.failing:
            metrics.record_channel_layer_failure(source)
        if source == "publish":
            self.publish_failed_at = time.monotonic()
            self._probe_publishing()
        if self.down:
            self.failing.add(source)
            return
        self.failing.add(source)
        log.warning("channel layer unreachable (%s: %s); live updates interrupted, clients replay from the database",
                    source, error or "failed")
        self._notify(list(self.listeners), "realtime_down")

    def report_success(self, source: str) -> None:
        if source not in self.failing:
            return
        self.failing.discard(source)
        if not self.failing:
            log.info("channel layer reachable again; live updates restored")
            self._notify(list(self.listeners), "realtime_restored")

    def _probe_publishing(self) -> None:
        """Broadcasts may stop while Redis is down (no one writes): publish to an empty group now and then, so the
        end of the outage is noticed all the same."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self.prober is None or self.prober.done():
            self.prober = loop.create_task(self._probe())

    async def _probe(self) -> None:
        delay = self.PROBE_FIRST_SECONDS
        while "publish" in self.failing and self.layer() is not None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.PROBE_MAX_SECONDS)
            layer = self.layer()
            if layer is None or "publish" not in self.failing:
                return
            try:
                await layer.group_send("realtime.probe", {"type": "realtime.probe"})
            except Exception:
                self.publish_failed_at = time.monotonic()
                continue
            self.report_success("publish")

    def _notify(self, listeners, method: str) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for listener in listeners:
            loop = self.loops.get(listener)
            if loop is None or loop.is_closed():
                continue
            if loop is running:
                task = loop.create_task(getattr(listener, method)())
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            else:  # reported from a worker thread (a sync service's broadcast)
                asyncio.run_coroutine_threadsafe(getattr(listener, method)(), loop)


def layer_health(layer=None) -> LayerHealth:
    """The health of `layer` (the default channel layer): one per layer object, so a new layer starts healthy."""
    layer = layer if layer is not None else get_channel_layer()
    health = vars(layer).get("health") if layer is not None else None
    if health is None:
        health = LayerHealth(layer)
        if layer is not None:
            vars(layer)["health"] = health
    return health


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(abroadcast)(group, event)
    except Exception:  # e.g. called from an event loop's own thread: a lost wake-up, clients replay
        log.warning("broadcast to %s failed", group, exc_info=True)


def broadcast_on_commit(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _send(group, event))


async def abroadcast(group: str, event: dict) -> bool:
    """From async code that has already committed its writes. False when the layer could not be reached."""
    layer = get_channel_layer()
    if layer is None:
        return False
    if not layer_health(layer).may_publish():
        return False
    try:
        await layer.group_send(group, event)
    except Exception as error:  # a wake-up that fails is not fatal: clients replay from the database
        log.debug("broadcast to %s failed", group, exc_info=True)
        layer_health(layer).report_failure("publish", error)
        return False
    layer_health(layer).report_success("publish")
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
