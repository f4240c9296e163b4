"""What every conversation socket shares: defensive frame parsing, the realtime-outage notices, and delivery.

Every frame is a JSON object whose `type` names it (see the README's protocol table). A bad frame — not JSON, not an
object, unknown type, wrong fields, too long, too many — gets an `error` frame; the socket stays open.
Delivery: stored messages are announced on the conversation's group by seq and read back from the database, so a
dropped wake-up or a reconnect loses nothing (`resume {last_seq}` replays what came after). The customer's socket
(`chat.consumers`) and the agent's console socket (`desk.consumers`) are both `ConversationConsumer`s; they differ
in who may connect, which frames they accept and what they show of a stored message.
"""

import asyncio
import json
import logging
import math
import re
import time
import weakref
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import override

from helpdesk import metrics
from helpdesk.db import in_thread
from helpdesk.exceptions import HelpdeskError
from helpdesk.realtime import layer_health

from . import selectors, services
from .exceptions import InvalidFrame
from .frames import message_frames

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16_384
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ANY_FRAME_LIMIT = 30  # all frame types, per rate window (typing included)
# Close code of a socket this process closes because it is shutting down: clients reconnect at once, elsewhere.
# (1012 "service restart" is the standard's, but autobahn lets a server send only 1000 or 3000-4999.)
SERVICE_RESTART = 4012
# A wake-up whose database read failed (a connection reset under it) is tried once more after this long.
EVENT_RETRY_SECONDS = 0.2


def refusal_details(frame: dict | None, error: HelpdeskError | None) -> dict:
    """What a refusal adds to its `error` frame: the refused message's `client_id` (a well-formed one only), so the
    client can take that message out of its outbox instead of sending it again on every reload, and for a rate
    limit `retry_after` (whole seconds), when to send it again."""
    details = {}
    if frame and frame.get("type") == "message":
        client_id = frame.get("client_id")
        if isinstance(client_id, str) and CLIENT_ID.match(client_id):
            details["client_id"] = client_id
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        details["retry_after"] = retry_after
    return details


class JsonFrameConsumer(AsyncWebsocketConsumer):
    """Parses frames defensively and dispatches `type` to `handle_<type>`; errors become `error` frames."""

    frame_types: tuple[str, ...] = ()
    language = "en"
    socket_kind = "socket"  # the open-sockets metric's label
    # Every accepted socket of this process, so that a graceful shutdown can close them (operations.serving).
    accepted: weakref.WeakSet = weakref.WeakSet()

    async def connect(self):
        self.frame_times: deque[float] = deque()
        self.message_times: deque[float] = deque()
        self.realtime_down_notified = False
        self.groups_joined: list[str] = []

    async def websocket_disconnect(self, message):
        layer_health(self.channel_layer).forget(self)
        self._no_longer_accepted()
        await super().websocket_disconnect(message)

    def _no_longer_accepted(self) -> None:
        """Out of `accepted` and the open-sockets count, once (closed by us or by the client)."""
        if self in JsonFrameConsumer.accepted:
            JsonFrameConsumer.accepted.discard(self)
            metrics.socket_closed(self.socket_kind)

    async def close_for_restart(self) -> None:
        """This process is shutting down: close with SERVICE_RESTART, and the client reconnects to another
        process, which replays from the database whatever this one did not send."""
        self._no_longer_accepted()
        await self.close(code=SERVICE_RESTART)

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.guarded(self.channel_layer.group_discard(group, self.channel_name), notify=False)

    async def join_group(self, group: str) -> None:
        """Follow `group` (left on disconnect). A layer outage is told to the client, not raised."""
        self.groups_joined.append(group)
        await self.guarded(self.channel_layer.group_add(group, self.channel_name))

    async def leave_group(self, group: str) -> None:
        if group in self.groups_joined:
            self.groups_joined.remove(group)
        await self.guarded(self.channel_layer.group_discard(group, self.channel_name))

    async def accept_and_listen(self) -> None:
        """Accept the socket; from then on it hears when live updates stop and come back (and at once if they are
        down now; a group another socket of this process joined needs no Redis call, so joining it says nothing
        about the outage)."""
        await self.accept()
        JsonFrameConsumer.accepted.add(self)
        metrics.socket_opened(self.socket_kind)
        layer_health(self.channel_layer).listen(self)

    async def dispatch(self, message):
        """Channel-layer events (wake-ups) never close the socket: a handler that fails on the database (a connection
        reset under it, a database restarting) is tried once more, and any other failure is logged. The database
        holds everything, so what a failed wake-up did not send goes with the next one or the client's resume."""
        if message["type"].startswith("websocket."):
            return await super().dispatch(message)
        try:
            await self.handle_event(message)
        except DatabaseError:
            log.warning("%s failed on the database; trying once more", message["type"], exc_info=True)
            await asyncio.sleep(EVENT_RETRY_SECONDS)
            try:
                await self.handle_event(message)
            except Exception:
                log.exception("%s failed twice: the socket catches up on its next event or resume", message["type"])
        except Exception:
            log.exception("%s failed: the socket catches up on its next event or resume", message["type"])

    async def handle_event(self, message) -> None:
        """A channel-layer event, straight to its handler. Channels' own dispatch first closes the old connections of
        its one thread-sensitive thread: a thread hop per event, and a streamed answer sends a delta every 50 ms to
        every socket. Handlers reach the database only through helpdesk.db.in_thread, which closes old connections
        around each call in the thread that runs it."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None):
        frame = None
        try:
            frame = self.parse(text_data, bytes_data)
            self.throttle(self.frame_times, ANY_FRAME_LIMIT)
            handler = getattr(self, f"handle_{frame['type'].replace('.', '_')}")
            await handler(frame)
        except HelpdeskError as error:
            await self.send_error(error.code, error.message, **refusal_details(frame, error))
        except Exception:
            log.exception("frame handling failed")
            await self.send_error("server_error", self.translate("Something went wrong on our side. Please try again."),
                                  **refusal_details(frame, None))

    def parse(self, text_data, bytes_data) -> dict:
        if text_data is None:
            raise InvalidFrame(self.translate("Frames must be JSON text."))
        if len(text_data) > MAX_FRAME_BYTES:
            raise InvalidFrame(self.translate("This frame is too large."), code="frame_too_large")
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            raise InvalidFrame(self.translate("Frames must be valid JSON.")) from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise InvalidFrame(self.translate("A frame is a JSON object with a type."))
        if frame["type"] not in self.frame_types:
            raise InvalidFrame(self.translate("Unknown frame type."), code="unknown_type")
        return frame

    def throttle(self, times: deque, limit: int) -> None:
        now = time.monotonic()
        window = settings.CHAT_RATE_LIMIT_WINDOW_SECONDS
        while times and now - times[0] > window:
            times.popleft()
        if len(times) >= limit:
            error = HelpdeskError(self.translate("You're sending messages too fast. Please wait a few seconds."),
                                  code="rate_limited")
            error.retry_after = max(1, math.ceil(window - (now - times[0])))
            raise error
        times.append(now)

    def translate(self, text: str) -> str:
        with override(self.language):
            return _(text)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def send_error(self, code: str, message: str, **details) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **details})

    async def guarded(self, operation, *, notify: bool = True) -> bool:
        """Run a channel-layer operation; if the layer is down, say so instead of dropping the socket (the layer
        logs the outage once; here only at debug level, or every socket would log it)."""
        try:
            await operation
        except Exception:
            log.debug("channel layer operation failed", exc_info=True)
            if notify:
                await self.send_realtime_unavailable()
            return False
        return True

    async def send_realtime_unavailable(self) -> None:
        """Once per outage: the client then replays from the database (`resume`) until `realtime_restored`."""
        if self.realtime_down_notified:
            return
        self.realtime_down_notified = True
        await self.send_error("realtime_unavailable", self.translate(
            "Live updates are interrupted. Your messages are saved and will be answered; the answers appear as "
            "soon as the connection recovers."))

    async def realtime_down(self) -> None:
        """Called (by the layer's health, not through the layer) when this process lost its channel layer."""
        try:
            await self.send_realtime_unavailable()
        except Exception:  # the socket closed meanwhile
            log.debug("could not tell a socket that live updates stopped", exc_info=True)

    async def realtime_restored(self) -> None:
        """Called when the channel layer is reachable again: say so (`realtime_restored`), send what was missed,
        and arm the notice for the next outage."""
        if not self.realtime_down_notified:
            return
        self.realtime_down_notified = False
        try:
            await self.send_json({"type": "realtime_restored", "message": self.translate("Live updates are back.")})
            await self.catch_up()
        except Exception:
            log.debug("could not tell a socket that live updates are back", exc_info=True)

    async def catch_up(self) -> None:
        """What a socket sends from the database after an outage (its state, the messages it missed)."""


class ConversationConsumer(JsonFrameConsumer):
    """A socket following one conversation: sends each stored message once, in seq order, and the assistant's
    live deltas and tool statuses until the message they belong to is stored.

    Subclasses set `self.conversation` and call `follow()`, say what `send_state` sends, and whether stored
    messages are shown as the agent sees them (`for_agent`).
    """

    for_agent = False

    async def connect(self):
        await super().connect()
        self.conversation = None
        self.group = None
        self.last_sent_seq: int | None = None  # None until the client says where it is (resume)
        self.sent_above: set[int] = set()

    async def follow(self, conversation, group: str) -> None:
        """Follow `conversation` on its group (leaving the one followed before)."""
        if self.group:
            await self.leave_group(self.group)
        self.conversation = conversation
        self.group = group
        await self.join_group(group)

    async def send_state(self) -> None:
        raise NotImplementedError

    # --- client frames -----------------------------------------------------------------------------------------------
    def check_message_text(self, frame: dict, *, client_id_required: bool) -> tuple[str, str | None]:
        """The text and client_id of a `message` frame, or InvalidFrame with the reason (customer or agent alike)."""
        text, client_id = frame.get("text"), frame.get("client_id")
        if not isinstance(text, str) or not text.strip():
            raise InvalidFrame(self.translate("A message needs some text."), code="empty_message")
        if (client_id_required or client_id is not None) and (
                not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
            raise InvalidFrame(self.translate("A message needs a client_id (letters, digits, - or _)."),
                               code="invalid_client_id")
        text = text.strip()
        if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
            raise InvalidFrame(
                self.translate("Your message is too long (%(limit)s characters at most). Please shorten it.")
                % {"limit": settings.CHAT_MAX_MESSAGE_CHARS}, code="message_too_long")
        if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            raise InvalidFrame(self.translate("Your message contains characters we can't read."),
                               code="invalid_text")
        return text, client_id

    async def replay_from(self, frame: dict) -> None:
        """A `resume {last_seq}`: send every stored message after it (or after where a late message sits)."""
        last_seq = frame.get("last_seq", 0)
        if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
            raise InvalidFrame(self.translate("resume needs last_seq, a number."))
        if self.conversation is not None:
            last_seq = await in_thread(services.replay_point)(self.conversation.pk, last_seq)
        self.resume_sent(last_seq)
        if self.conversation is not None:
            await self.send_stored()

    # --- group events ------------------------------------------------------------------------------------------------
    async def chat_delta(self, event):
        """Called when the assistant streams a piece of its answer (unless its final message was already sent:
        wake-ups and deltas travel separately, and a replay from the database can overtake the stream)."""
        if self.already_sent(event["seq"]):
            return
        await self.send_json({"type": "assistant.delta", "seq": event["seq"], "text": event["text"]})

    async def chat_tool_status(self, event):
        """Called when the assistant starts using a tool (unless the message that asked for it was already sent
        from the database: the replay overtook the stream, and the status would come after the answer)."""
        if event.get("seq") is not None and self.already_sent(event["seq"]):
            return
        await self.send_json({"type": "tool.status", "label": event["label"]})

    async def chat_stored(self, event):
        """Called when a message of the conversation was committed: send what this socket has not seen."""
        await self.send_stored()

    async def chat_wait(self, event):
        """Called when the queue moved while the conversation waits for a person (the customer's widget shows its
        place in line; other sockets ignore it)."""

    async def catch_up(self) -> None:
        await self.send_stored()
        await self.send_state()

    # --- delivery ----------------------------------------------------------------------------------------------------
    async def send_stored(self) -> None:
        """Send the frames of every stored message after the last sent seq, in order, once.

        A streaming answer holds a seq reserved before it is stored, and a customer message can be stored above it
        meanwhile. So `last_sent_seq` only advances over seqs without gaps; what was sent above a gap is remembered
        in `sent_above`, and the reserved message is sent when it lands.
        """
        if self.conversation is None or self.last_sent_seq is None:
            return
        messages = await in_thread(selectors.messages_after)(self.conversation.pk, self.last_sent_seq)
        for message in messages:
            if message.seq in self.sent_above:
                continue
            for frame in message_frames(message, for_agent=self.for_agent):
                await self.send_json(frame)
            self.sent_above.add(message.seq)
        self._advance_over_sent()

    def reset_sent(self, last_seq: int) -> None:
        """The client has everything up to `last_seq` (a resume), or a new conversation starts (0)."""
        self.last_sent_seq = last_seq
        self.sent_above = set()

    def resume_sent(self, replay_point: int) -> None:
        """The client asks for a replay from `replay_point`. A socket that already sent messages keeps that record:
        what it sent above the point is not sent again (a widget polls `resume` every few seconds while Redis is
        down, and must not get the whole conversation each time); what it never sent is, whatever the client
        claimed."""
        if self.last_sent_seq is None:
            self.reset_sent(replay_point)
            return
        sent = set(range(replay_point + 1, self.last_sent_seq + 1)) | self.sent_above
        self.last_sent_seq = replay_point
        self.sent_above = {seq for seq in sent if seq > replay_point}
        self._advance_over_sent()

    def already_sent(self, seq: int) -> bool:
        return self.last_sent_seq is not None and (seq <= self.last_sent_seq or seq in self.sent_above)

    def _advance_over_sent(self) -> None:
        while self.last_sent_seq + 1 in self.sent_above:
            self.last_sent_seq += 1
            self.sent_above.discard(self.last_sent_seq)
