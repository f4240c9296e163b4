"""A channels-redis layer that survives Redis going away.

channels-redis raises from `receive()` when Redis is unreachable, which kills every consumer and closes every
socket. Here the receive loop waits and retries instead, so sockets stay open: the database still takes every
message, consumers tell the client that live updates are interrupted, and the client replays from the database
(resume) until Redis is back.
"""

import asyncio
import logging

from channels_redis.core import RedisChannelLayer

log = logging.getLogger(__name__)


class RealtimeUnavailable(Exception):
    """The channel layer could not be reached."""


class ResilientRedisChannelLayer(RedisChannelLayer):
    async def receive(self, channel):
        delay = 0.5
        while True:
            try:
                return await super().receive(channel)
            except (ConnectionError, OSError) as error:
                log.warning("channel layer unreachable (%s); retrying in %.1fs", error, delay)
            except Exception as error:  # redis-py raises its own ConnectionError/TimeoutError types
                if "connect" not in type(error).__name__.lower() and "timeout" not in type(error).__name__.lower():
                    raise
                log.warning("channel layer unreachable (%s); retrying in %.1fs", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
