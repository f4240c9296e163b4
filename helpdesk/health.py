"""/healthz and /readyz, answered in front of Django (helpdesk.asgi): cheap, and never logged at INFO.

- `/healthz`: the process is alive and its event loop answers. Nothing else is touched, so a database outage
  does not make a process manager restart every process.
- `/readyz`: this process can serve a customer: the database answers a query and the channel layer (Redis) a
  publish, each within READY_TIMEOUT_SECONDS; and it is not shutting down (a draining process says 503 so that
  the front server and load balancers send new sockets elsewhere).

They sit before Django's middleware on purpose: no host validation (a probe connects to 127.0.0.1:port), no
HTTPS redirect, no session, no `django.request` log line for a 503. Both answer GET and HEAD with a small JSON body.
"""

import asyncio
import json
import logging

from channels.layers import get_channel_layer
from django.db import connection

from .db import in_thread
from .realtime import layer_health

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.5
PATHS = ("/healthz", "/readyz")


class ProcessState:
    """What the process says about itself: set by the serve command when SIGTERM arrives."""

    draining = False


state = ProcessState()


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def check_database() -> str:
    try:
        await asyncio.wait_for(in_thread(_database_answers)(), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timeout"
    except Exception as error:
        log.debug("readiness: database unreachable", exc_info=True)
        return f"unreachable ({type(error).__name__})"
    return "ok"


async def check_channel_layer() -> str:
    """A publish to a group nobody follows: one round trip to Redis (nothing for the in-memory layer)."""
    layer = get_channel_layer()
    if layer is None:
        return "not configured"
    try:
        await asyncio.wait_for(layer.group_send("health.readyz", {"type": "health.probe"}), READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timeout"
    except Exception as error:
        log.debug("readiness: channel layer unreachable", exc_info=True)
        return f"unreachable ({type(error).__name__})"
    return "down" if layer_health(layer).down else "ok"


async def readiness() -> tuple[bool, dict]:
    database, channel_layer = await asyncio.gather(check_database(), check_channel_layer())
    checks = {"database": database, "channel_layer": channel_layer}
    if state.draining:
        checks["process"] = "draining"
    ready = all(value == "ok" for value in checks.values())
    return ready, {"status": "ready" if ready else "unready", "checks": checks}


class HealthEndpoints:
    """ASGI middleware: answers PATHS itself and hands every other request to `application`."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") not in PATHS:
            return await self.application(scope, receive, send)
        if scope.get("method") not in ("GET", "HEAD"):
            return await _respond(send, 405, {"status": "method not allowed"}, scope, allow=b"GET, HEAD")
        if scope["path"] == "/healthz":
            return await _respond(send, 200, {"status": "alive", "draining": state.draining}, scope)
        ready, body = await readiness()
        return await _respond(send, 200 if ready else 503, body, scope)


async def _respond(send, status: int, body: dict, scope, allow: bytes | None = None) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
               (b"cache-control", b"no-store")]
    if allow:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else payload})
