"""The tests' one way to talk to the chat and agent sockets as a browser would (session cookie, origin): in this
process through a WebsocketCommunicator (`connect`), or to a live daphne server over loopback (`connect_live`). Both
kinds of socket take the same helpers: receive_until, resume_after, send_message, ask. The services' side of a conversation is
tests/conversations/helpers.py.
"""

import asyncio
import json
from datetime import timedelta

import websockets
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone

from assistant import turn
from conversations import services
from conversations.models import Conversation
from helpdesk.asgi import application

ORIGIN = (b"origin", b"http://testserver")


@sync_to_async
def session_cookie_for(user=None) -> str:
    """A session key: logged in as `user`, or a guest's."""
    if user is not None:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value
    store = SessionStore()
    store["chat"] = True
    store.save()
    return store.session_key


async def connect(path="/ws/chat/", *, session_key=None, user=None, origin=ORIGIN, lang=None, host=b"testserver"):
    """`host` is the Host header, which browsers always send: a socket's Origin must be its page's own origin."""
    if session_key is None:
        session_key = await session_cookie_for(user)
    query = f"?lang={lang}" if lang else ""
    headers = [(b"host", host), (b"cookie", f"sessionid={session_key}".encode())]
    if origin:
        headers.append(origin)
    communicator = WebsocketCommunicator(application, path + query, headers=headers)
    connected, _ = await communicator.connect()
    communicator.session_key = session_key
    communicator.connected = connected
    communicator.patience = 5.0
    return communicator


class LiveSocket:
    """A websocket to a live server, with the communicator's methods that the helpers here use."""

    patience = 10.0  # the default wait for a frame: across processes and Redis, frames take longer

    def __init__(self, connection, session_key: str):
        self.connection = connection
        self.session_key = session_key

    async def send_json_to(self, frame: dict) -> None:
        await self.connection.send(json.dumps(frame))

    async def receive_json_from(self, timeout: float) -> dict:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def disconnect(self) -> None:
        await self.connection.close()


async def connect_live(server, path="/ws/chat/", *, session_key=None, user=None) -> LiveSocket:
    """A socket to the live daphne `server` (tests.live), as a browser on its page: the session of `session_key`,
    else a new one logged in as `user`, else a guest's."""
    if session_key is None:
        session_key = await session_cookie_for(user)
    connection = await websockets.connect(f"ws://127.0.0.1:{server.port}{path}", additional_headers=[
        ("Cookie", f"sessionid={session_key}"), ("Origin", server.url)])
    return LiveSocket(connection, session_key)


async def receive_until(communicator, frame_type: str, timeout: float | None = None,
                        **match) -> tuple[dict, list[dict]]:
    """Frames up to and including the first of `frame_type` (whose fields match `match`), waited for at most
    `timeout` seconds (by default the socket's patience)."""
    seen = []
    deadline = asyncio.get_running_loop().time() + (communicator.patience if timeout is None else timeout)
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no {frame_type} frame; got {[f.get('type') for f in seen]}: {seen[-3:]}")
        frame = await communicator.receive_json_from(timeout=remaining)
        seen.append(frame)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame, seen


async def resume_after(communicator, last_seq: int) -> dict:
    """Wait for a new socket's state frame, then ask for everything stored after `last_seq`, as the widget does on
    connecting; returns the state."""
    state, _ = await receive_until(communicator, "state")
    await communicator.send_json_to({"type": "resume", "last_seq": last_seq})
    return state


async def send_message(communicator, text: str, client_id: str = "c1") -> dict:
    """Send `text` as the customer's message; returns its ack (the message is stored)."""
    await communicator.send_json_to({"type": "message", "text": text, "client_id": client_id})
    ack, _ = await receive_until(communicator, "ack", client_id=client_id)
    return ack


async def ask(communicator, text: str, client_id: str = "c1", timeout: float | None = None) -> dict:
    """Send `text` as the customer's message and wait for the assistant's next answer; returns that frame."""
    await send_message(communicator, text, client_id)
    answer, _ = await receive_until(communicator, "assistant.message", timeout)
    return answer


async def settle_turns(timeout: float = 10.0) -> None:
    """Wait until every background turn of this process has finished."""
    tasks = [task for task in list(turn._running.values()) if not task.done()]
    if tasks:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)


async def land_reserved_answer(conversation, seq: int, *, announce: bool = True) -> None:
    """Store the assistant's answer at the seq a turn reserved for it (as the turn does when its stream ends) and,
    unless `announce` is False, wake the conversation's sockets."""
    from helpdesk.realtime import abroadcast, conversation_group

    await sync_to_async(services.record_message)(conversation_id=conversation.pk, role="assistant",
                                                 text="Yes, here is your answer.", seq=seq)
    if announce:
        await abroadcast(conversation_group(conversation.pk), {"type": "chat.stored", "seq": seq})


async def exchange_then_reserved_answer(*, lease: bool = False):
    """A guest's socket after a first exchange (asked and answered), then a seq reserved for an answer still to
    come: the conversation is moved to an agent, so no turn of the offline assistant answers what follows. With
    `lease`, a live turn lease stands for the turn streaming that answer. Returns (socket, conversation, seq)."""
    ws = await connect()
    await receive_until(ws, "state")
    await ask(ws, "Hello", "m-1")
    await settle_turns()
    conversation = await Conversation.objects.aget()
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        status=Conversation.Status.AGENT, turn_lease_until=timezone.now() + timedelta(seconds=60) if lease else None)
    reserved = await sync_to_async(services.reserve_seq)(conversation.pk)
    return ws, conversation, reserved
