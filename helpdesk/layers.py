"""The channel layer for several processes: Redis publish/subscribe, surviving Redis going away.

Why pub/sub and not channels-redis's default (list) layer: here the layer only wakes sockets up. Every message is
in the database first, and a socket that missed a wake-up recovers by replaying from it (`resume`). The default
layer pays for delivery guarantees we do not need: each received message costs four Redis round trips, one after
the other, for the whole process, and streamed deltas queued behind each other for over a second with twenty
chats (bench/chat_load.py). Pub/sub delivers over one subscribed connection as Redis pushes.

What Redis being unreachable must not do is close sockets: the stock pub/sub layer raises from `new_channel()` and
`group_add()`, which would end every consumer. Here a failed subscription is kept locally and retried in the
background until Redis answers, so sockets stay open; consumers tell the client that live updates are
interrupted, and the client replays from the database until Redis is back.

An outage is reported to the layer's health (helpdesk.realtime.LayerHealth) by whatever notices it first: a
broadcast, a subscription, or the receiving connection. That logs one warning when it starts and one info when it
ends (channels-redis's receive loop logged a traceback every second), and tells this process's sockets both times.
"""

import asyncio
import logging
import uuid

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisSingleShardConnection

from .realtime import layer_health

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 10.0


def is_unreachable(error: BaseException) -> bool:
    """Connection refused, reset or timed out (the builtin errors or redis-py's own types)."""
    if isinstance(error, (ConnectionError, OSError, asyncio.TimeoutError)):
        return True
    name = type(error).__name__.lower()
    return "connect" in name or "timeout" in name


class ResilientShardConnection(RedisSingleShardConnection):
    """One Redis host's connections, reporting outages to the layer's health instead of logging tracebacks."""

    @property
    def health(self):
        return layer_health(self.channel_layer.channel_layer)

    async def publish(self, channel, message):
        """Publish; once more on a connection error, because after Redis restarts the pooled connection is stale
        ("Connection closed by server") and only the next one, new, tells whether Redis is really away."""
        for attempt in (1, 2):
            try:
                await super().publish(channel, message)
            except Exception as error:
                if not is_unreachable(error):
                    raise
                if attempt == 2:
                    self.health.report_failure("publish", error)
                    raise
                continue
            self.health.report_success("publish")
            return

    async def _do_receiving(self):
        """channels-redis's loop, minus a traceback a second while Redis is down (and minus dying on a timeout).

        redis-py reconnects the subscribed connection on the next read and subscribes it again to every channel
        it had, so a read that succeeds after a failure means delivery is back (once nothing is pending)."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    delay = RETRY_FIRST_SECONDS
                    if not self.channel_layer.__dict__.get("pending_subscriptions"):
                        self.health.report_success("subscribe")
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as error:
                if is_unreachable(error):
                    self.health.report_failure("subscribe", error)
                else:
                    log.exception("unexpected error receiving from the channel layer")
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)


class ResilientRedisChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        loop = asyncio.get_running_loop()
        created = loop not in self._layers
        layer = super()._get_layer()
        if created:
            layer._shards = [ResilientShardConnection(shard.host, layer) for shard in layer._shards]
        return layer

    async def new_channel(self, prefix="specific."):
        layer = self._get_layer()
        channel = f"{layer.prefix}{prefix}{uuid.uuid4().hex}"
        try:
            # Registers the channel's local queue first, then subscribes: on failure the queue is there.
            await layer._subscribe_to_channel(channel)
        except Exception as error:
            if not is_unreachable(error):
                raise
            log.debug("channel layer unreachable (%s); will subscribe %s when it is back", error, channel)
            layer_health(self).report_failure("subscribe", error)
            self._subscribe_later(layer, channel)
        return channel

    async def group_add(self, group, channel):
        layer = self._get_layer()
        try:
            await layer.group_add(group, channel)
        except Exception as error:
            if is_unreachable(error):
                # The membership is recorded locally before the subscription: only the subscription is retried.
                layer_health(self).report_failure("subscribe", error)
                self._subscribe_later(layer, layer._get_group_channel_name(group))
            raise

    def _subscribe_later(self, layer, name: str) -> None:
        pending = layer.__dict__.setdefault("pending_subscriptions", set())
        pending.add(name)
        task = layer.__dict__.get("resubscriber")
        if task is None or task.done():
            layer.resubscriber = asyncio.ensure_future(self._resubscribe(layer))

    async def _resubscribe(self, layer) -> None:
        delay = RETRY_FIRST_SECONDS
        pending = layer.pending_subscriptions
        while pending:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
            for name in list(pending):
                if name not in layer.channels and name not in layer.groups:
                    pending.discard(name)  # its consumer has gone meanwhile
                    continue
                try:
                    await layer._get_shard(name).subscribe(name)
                except Exception as error:
                    if not is_unreachable(error):
                        log.exception("could not subscribe %s", name)
                        pending.discard(name)
                        continue
                    break  # still down: wait longer
                pending.discard(name)
        layer_health(self).report_success("subscribe")
