"""A daphne server that shuts down gracefully (`manage.py serve`, run by the process manager of deploy/).

On SIGTERM (a restart, a deploy, a scale-down) the process:
1. stops accepting connections: its listening socket closes (under supervisor's shared socket, the other
   processes go on accepting) and /readyz says 503, so the front server sends new sockets elsewhere;
2. closes at once, with code 4012 ("restart"), every socket whose conversation it is not answering: those
   clients reconnect at once to another process and replay from the database;
3. lets the turns it is running finish, for at most SHUTDOWN_DRAIN_SECONDS, their customers watching the answer
   stream as usual; each socket closes as soon as its conversation's turn is done;
4. cancels the turns still running at the bound: each releases its lease on the way out, so the process the
   customer reconnects to answers the message at once (instead of after the lease expired); what was streamed
   but not stored is streamed again there, from the start, and stored once;
5. closes what is left and stops.
A second SIGTERM or SIGINT stops at once (the leases then expire by themselves: TURN_LEASE_SECONDS).
"""

import asyncio
import logging
import os
import signal
import time

from daphne.server import Server
from django.conf import settings

from assistant import turn
from conversations.consumers import JsonFrameConsumer
from helpdesk import health, metrics

log = logging.getLogger(__name__)
access_log = logging.getLogger("helpdesk.access")

CANCEL_WAIT_SECONDS = 5.0


def conversation_key(consumer) -> str | None:
    conversation = getattr(consumer, "conversation", None)
    return str(conversation.pk) if conversation is not None else None


async def close_sockets(keep: set[str]) -> int:
    """Close (4012) every accepted socket not following a conversation in `keep`; how many were closed."""
    closing = [consumer for consumer in list(JsonFrameConsumer.accepted) if conversation_key(consumer) not in keep]
    for consumer in closing:
        try:
            await consumer.close_for_restart()
        except Exception:
            log.debug("could not close a socket for the restart", exc_info=True)
    return len(closing)


async def drain(bound: float) -> None:
    """Steps 2 to 5 of the module docstring (the caller stopped listening)."""
    deadline = time.monotonic() + bound
    running = turn.running_turns()
    closed = await close_sockets(keep=set(running))
    log.info("draining: %d sockets closed, %d turns running (waiting up to %g s)", closed, len(running), bound)
    while running and (left := deadline - time.monotonic()) > 0:
        await asyncio.wait(running.values(), timeout=left, return_when=asyncio.FIRST_COMPLETED)
        running = turn.running_turns()
        await close_sockets(keep=set(running))
    if running:
        log.warning("draining: %d turns still running after %g s; stopping them (leases released)", len(running),
                    bound)
        for task in running.values():
            task.cancel()
        await asyncio.wait(running.values(), timeout=CANCEL_WAIT_SECONDS)
    await close_sockets(keep=set())
    await asyncio.sleep(0.2)  # let the close frames go out before the reactor stops
    log.info("drained")


class GracefulServer(Server):
    """daphne's Server with SIGTERM handled by `drain` instead of an immediate stop (which cancels every
    application at once and leaves the leases of running turns to expire)."""

    def __init__(self, *args, **kwargs):
        kwargs["signal_handlers"] = False
        if kwargs.get("action_logger") is not None:  # daphne's CLI writes its access log to stdout, unfiltered
            kwargs["action_logger"] = AccessLog()
        ready = kwargs.pop("ready_callable", None)
        super().__init__(*args, ready_callable=self._ready, **kwargs)
        self._then_ready = ready
        self.ports = []
        self.draining: asyncio.Task | None = None

    def listen_success(self, port):
        self.ports.append(port)
        super().listen_success(port)

    def _ready(self):
        loop = asyncio.get_event_loop()
        loop.add_signal_handler(signal.SIGTERM, self.shut_down, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self.shut_down, "SIGINT")
        if self._then_ready:
            self._then_ready()

    def shut_down(self, name: str) -> None:
        if self.draining is not None or name == "SIGINT":
            log.info("%s: stopping now", name)
            self.stop()
            return
        log.info("%s: no new connections; finishing running turns (at most %.0f s)", name,
                 settings.SHUTDOWN_DRAIN_SECONDS)
        health.state.draining = True
        metrics.set_draining(True)
        for port in self.ports:
            port.stopListening()
        self.draining = asyncio.get_event_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            await drain(settings.SHUTDOWN_DRAIN_SECONDS)
        except Exception:
            log.exception("draining failed; stopping")
        finally:
            metrics.set_draining(False)
            metrics.process_exited(os.getpid())
            self.stop()


class AccessLog:
    """daphne's access log through `logging` (so the PII filter and LOG_FORMAT apply): one INFO line per request
    and per websocket; health probes at DEBUG only."""

    def __call__(self, protocol, action, details):
        path = details.get("path", "")
        client = details.get("client") or "-"
        if protocol == "http" and action == "complete":
            level = logging.DEBUG if path in health.PATHS else logging.INFO
            access_log.log(level, "%s %s %s %s", client, details.get("method"), path, details.get("status"),
                           extra={"event": "http", "client": client, "method": details.get("method"), "path": path,
                                  "status": details.get("status"), "bytes": details.get("size")})
        elif protocol == "websocket" and action in ("connected", "disconnected", "rejected"):
            access_log.info("%s websocket %s %s", client, action, path,
                            extra={"event": "websocket", "client": client, "action": action, "path": path})
