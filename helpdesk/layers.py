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
"""

import asyncio
import logging
import uuid

from channels_redis.pubsub import RedisPubSubChannelLayer

log = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 10.0


def is_unreachable(error: BaseException) -> bool:
    """Connection refused, reset or timed out (the builtin errors or redis-py's own types)."""
    if isinstance(error, (ConnectionError, OSError, asyncio.TimeoutError)):
        return True
    name = type(error).__name__.lower()
    return "connect" in name or "timeout" in name


class ResilientRedisChannelLayer(RedisPubSubChannelLayer):
    async def new_channel(self, prefix="specific."):
        layer = self._get_layer()
        channel = f"{layer.prefix}{prefix}{uuid.uuid4().hex}"
        try:
            # Registers the channel's local queue first, then subscribes: on failure the queue is there.
            await layer._subscribe_to_channel(channel)
        except Exception as error:
            if not is_unreachable(error):
                raise
            log.warning("channel layer unreachable (%s); will subscribe %s when it is back", error, channel)
            self._subscribe_later(layer, channel)
        return channel

    async def group_add(self, group, channel):
        layer = self._get_layer()
        try:
            await layer.group_add(group, channel)
        except Exception as error:
            if is_unreachable(error):
                # The membership is recorded locally before the subscription: only the subscription is retried.
                self._subscribe_later(layer, layer._get_group_channel_name(group))
            raise

    def _subscribe_later(self, layer, name: str) -> None:
        pending = layer.__dict__.setdefault("pending_subscriptions", set())
        pending.add(name)
        task = layer.__dict__.get("resubscriber")
        if task is None or task.done():
            layer.resubscriber = asyncio.ensure_future(self._resubscribe(layer))

    @staticmethod
    async def _resubscribe(layer) -> None:
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
            else:
                if not pending:
                    log.warning("channel layer reachable again; subscriptions restored")
