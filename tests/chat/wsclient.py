"""Helpers for consumer tests: connect a WebsocketCommunicator as a browser would (session cookie, origin)."""

import asyncio

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from assistant import turn
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
    return communicator


async def receive_until(communicator, frame_type: str, timeout: float = 5.0, **match) -> tuple[dict, list[dict]]:
    """Frames up to and including the first of `frame_type` (whose fields match `match`)."""
    seen = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"no {frame_type} frame; got {[f.get('type') for f in seen]}: {seen[-3:]}")
        frame = await communicator.receive_json_from(timeout=remaining)
        seen.append(frame)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame, seen


async def send_message(communicator, text: str, client_id: str = "c1") -> dict:
    await communicator.send_json_to({"type": "message", "text": text, "client_id": client_id})
    ack, _ = await receive_until(communicator, "ack", client_id=client_id)
    return ack


async def settle_turns(timeout: float = 10.0) -> None:
    """Wait until every background turn of this process has finished."""
    tasks = [task for task in list(turn._running.values()) if not task.done()]
    if tasks:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)


async def land_reserved_answer(conversation, seq: int, *, announce: bool = True) -> None:
    """Store the assistant's answer at the seq a turn reserved for it (as the turn does when its stream ends) and,
    unless `announce` is False, wake the conversation's sockets."""
    from conversations import services
    from helpdesk.realtime import abroadcast, conversation_group

    await sync_to_async(services.record_message)(conversation_id=conversation.pk, role="assistant",
                                                 text="Yes, here is your answer.", seq=seq)
    if announce:
        await abroadcast(conversation_group(conversation.pk), {"type": "chat.stored", "seq": seq})
