"""Websocket consumers: protocol only. Parsing, limits and dispatch here; rules in services, the turn in agent.

Every frame is a JSON object whose `type` names it (see the README's protocol table). A bad frame — not JSON, not an
object, unknown type, wrong fields, too long, too many — gets an `error` frame; the socket stays open.
Delivery: stored messages are announced on the conversation's group by seq and read back from the database, so a
dropped wake-up or a reconnect loses nothing (`resume {last_seq}` replays what came after).
"""

import json
import logging
import math
import re
import time
from collections import deque

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _, override

from helpdesk.exceptions import HelpdeskError
from helpdesk.realtime import abroadcast, agents_queue_group, conversation_group, layer_health, visitor_group

from . import agent, services, takeover
from .db import in_thread
from .exceptions import InvalidFrame
from .frames import message_frames
from .llm import backend_name
from .models import Conversation, Message

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16_384
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ANY_FRAME_LIMIT = 30  # all frame types, per rate window (typing included)


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

    async def connect(self):
        self.frame_times: deque[float] = deque()
        self.message_times: deque[float] = deque()
        self.realtime_down_notified = False

    async def websocket_disconnect(self, message):
        layer_health(self.channel_layer).forget(self)
        await super().websocket_disconnect(message)

    def listen_to_layer_health(self) -> None:
        """Call once the socket is accepted: from then on it hears when live updates stop and come back (and at
        once if they are down now; a group another socket of this process joined needs no Redis call, so
        joining it says nothing about the outage)."""
        layer_health(self.channel_layer).listen(self)

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


class CustomerConsumer(JsonFrameConsumer):
    """The storefront chat socket: one per tab. Bound to the browser session and, when logged in, the customer."""

    frame_types = ("message", "resume", "typing", "csat", "close")

    async def connect(self):
        await super().connect()
        self.session_key = await self.ensure_session()
        self.customer = await self.logged_in_customer()
        self.language = self.requested_language() or self.customer_language()
        self.conversation: Conversation | None = None
        self.group = None
        self.last_sent_seq: int | None = None  # None until the client says where it is (resume)
        self.visitor_group = visitor_group(customer_id=self.customer.pk if self.customer else None,
                                           session_key=self.session_key)
        await self.accept()
        self.listen_to_layer_health()
        conversation = await in_thread(services.find_open_conversation)(
            session_key=self.session_key, customer=self.customer
        )
        if self.visitor_group:
            await self.guarded(self.channel_layer.group_add(self.visitor_group, self.channel_name))
        if conversation:
            await self.join(conversation)
        await self.send_state()

    async def disconnect(self, code):
        # The turn is not cancelled: it belongs to the conversation and finishes for the next connection.
        for group in (getattr(self, "group", None), getattr(self, "visitor_group", None)):
            if group:
                await self.guarded(self.channel_layer.group_discard(group, self.channel_name), notify=False)

    # --- session and identity ----------------------------------------------------------------------------------------
    async def ensure_session(self) -> str:
        session = self.scope.get("session")
        if session is None:
            return ""
        if not session.session_key:
            await in_thread(session.save)()
        return session.session_key or ""

    async def logged_in_customer(self):
        def customer_of(user):
            if user is None or not user.is_authenticated:
                return None
            return getattr(user, "customer", None)

        return await in_thread(customer_of)(self.scope.get("user"))

    def requested_language(self) -> str | None:
        """The page's language, which the widget passes as ?lang=; else the language cookie of Django's switch."""
        from urllib.parse import parse_qs

        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        for candidate in (query.get("lang", [""])[0], (self.scope.get("cookies") or {}).get("django_language", "")):
            if candidate in ("en", "fr"):
                return candidate
        return None

    def customer_language(self) -> str:
        if self.customer is not None:
            return self.customer.language
        for name, value in self.scope.get("headers", []):
            if name == b"accept-language" and value.decode("latin-1").lower().startswith("fr"):
                return "fr"
        return "en"

    async def join(self, conversation: Conversation) -> None:
        if self.group:
            await self.guarded(self.channel_layer.group_discard(self.group, self.channel_name))
        self.conversation = conversation
        self.group = conversation_group(conversation.pk)
        await self.guarded(self.channel_layer.group_add(self.group, self.channel_name))

    async def refresh(self) -> Conversation | None:
        if self.conversation is not None:
            self.conversation = await in_thread(Conversation.objects.get)(pk=self.conversation.pk)
        return self.conversation

    async def send_state(self) -> None:
        conversation = self.conversation
        await self.send_json({
            "type": "state",
            "status": conversation.status if conversation else "new",
            "conversation": str(conversation.pk) if conversation else None,
            "last_seq": conversation.last_seq if conversation else 0,
            "backend": backend_name(),
            "language": self.language,
            "csat": conversation.csat_score if conversation else None,
        })

    # --- client frames -----------------------------------------------------------------------------------------------
    async def handle_message(self, frame: dict) -> None:
        """Called when the customer sends a message: store it, acknowledge it, start the turn."""
        text, client_id = frame.get("text"), frame.get("client_id")
        if not isinstance(text, str) or not text.strip():
            raise InvalidFrame(self.translate("A message needs some text."), code="empty_message")
        if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
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
        self.throttle(self.message_times, settings.CHAT_RATE_LIMIT_MESSAGES)
        conversation = await self.refresh()
        if conversation is None or conversation.status == Conversation.Status.CLOSED:
            conversation = await in_thread(services.start_conversation)(
                session_key=self.session_key, customer=self.customer, language=self.language, backend=backend_name(),
                client_address=(self.scope.get("client") or [""])[0] or "",
            )
            await self.join(conversation)
            reset_sent(self, 0)
            await self.send_state()
            if self.visitor_group:
                await abroadcast(self.visitor_group, {"type": "conversation.started", "sender": self.channel_name})
        recorded = await in_thread(services.record_customer_message)(
            conversation_id=conversation.pk, text=text, client_id=client_id
        )
        ack = {"type": "ack", "client_id": client_id, "seq": recorded.message.seq}
        if recorded.message.text != text:  # masked before storage: the sender's bubble must show what was stored
            ack["text"] = recorded.message.text
        await self.send_json(ack)
        if not recorded.created:
            return
        if recorded.card_masked:
            await in_thread(services.record_message)(
                conversation_id=conversation.pk, role=Message.Role.SYSTEM,
                text=self.translate("For your security, please never send card numbers in chat. We masked it; "
                                    "we will never ask for your card number."),
            )
        if not await abroadcast(self.group, {"type": "chat.stored", "seq": recorded.message.seq}):
            await self.send_realtime_unavailable()
        if conversation.status == Conversation.Status.BOT:
            agent.ensure_turn(conversation.pk)

    async def handle_resume(self, frame: dict) -> None:
        """Called when the client (re)connects: replay everything after its last seen seq."""
        last_seq = frame.get("last_seq", 0)
        if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
            raise InvalidFrame(self.translate("resume needs last_seq, a number."))
        if self.conversation is not None:
            last_seq = await in_thread(services.replay_point)(self.conversation.pk, last_seq)
        resume_sent(self, last_seq)
        if self.conversation is None:
            await self.send_state()  # nothing to replay: say so, so the client knows where it stands
            return
        await self.send_stored()
        conversation = await self.refresh()
        await self.send_state()
        if conversation.status == Conversation.Status.BOT and conversation.answered_through_seq < conversation.last_seq:
            # An unanswered message (a turn that died with its process): answer it now.
            agent.ensure_turn(conversation.pk)

    async def handle_typing(self, frame: dict) -> None:
        if self.group:
            await abroadcast(self.group, {"type": "chat.typing", "role": "customer", "name": "",
                                          "sender": self.channel_name})

    async def handle_csat(self, frame: dict) -> None:
        score, comment = frame.get("score"), frame.get("comment", "")
        if not isinstance(comment, str):
            raise InvalidFrame(self.translate("The comment must be text."))
        if self.conversation is None:
            raise InvalidFrame(self.translate("There is no conversation to rate."), code="no_conversation")
        await in_thread(services.submit_csat)(
            conversation_id=self.conversation.pk, score=score, comment=comment
        )
        await self.send_json({"type": "csat.thanks", "score": score})

    async def handle_close(self, frame: dict) -> None:
        if self.conversation is None:
            return
        await in_thread(services.close_conversation)(conversation_id=self.conversation.pk,
                                                                  actor="customer")

    # --- group events ------------------------------------------------------------------------------------------------
    async def chat_delta(self, event):
        """Called when the assistant streams a piece of its answer (unless its final message was already sent:
        wake-ups and deltas travel separately, and a replay from the database can overtake the stream)."""
        if already_sent(self, event["seq"]):
            return
        await self.send_json({"type": "assistant.delta", "seq": event["seq"], "text": event["text"]})

    async def chat_tool_status(self, event):
        """Called when the assistant starts using a tool (unless the message that asked for it was already sent
        from the database: the replay overtook the stream, and the status would come after the answer)."""
        if event.get("seq") is not None and already_sent(self, event["seq"]):
            return
        await self.send_json({"type": "tool.status", "label": event["label"]})

    async def chat_stored(self, event):
        """Called when a message of the conversation was committed: send what this socket has not seen."""
        await self.send_stored()

    async def chat_error(self, event):
        """Called when a turn failed in a way the customer must know about."""
        await self.send_error(event["code"], event["message"])

    async def chat_typing(self, event):
        """Called when someone in the conversation is typing (the agent, or the customer in another tab)."""
        if event.get("sender") != self.channel_name and event.get("role") == "agent":
            await self.send_json({"type": "typing", "role": "agent", "name": event.get("name", "")})

    async def conversation_started(self, event):
        """Called when another tab of this customer started a conversation: follow it here too."""
        if event.get("sender") == self.channel_name:
            return
        conversation = await in_thread(services.find_open_conversation)(
            session_key=self.session_key, customer=self.customer
        )
        if conversation and (self.conversation is None or conversation.pk != self.conversation.pk):
            await self.join(conversation)
            reset_sent(self, 0)
            await self.send_state()
            await self.send_stored()

    async def conversation_state(self, event):
        """Called when the conversation changes status (waiting, agent, bot, closed)."""
        await self.refresh()
        await self.send_stored()
        await self.send_state()

    async def chat_sentiment(self, event):
        """Called when a customer message was scored (only the agent console shows it)."""

    async def send_stored(self) -> None:
        await send_stored_messages(self, for_agent=False)

    async def catch_up(self) -> None:
        await self.refresh()
        await self.send_stored()
        await self.send_state()


async def send_stored_messages(consumer, *, for_agent: bool) -> None:
    """Send the frames of every stored message after the consumer's last sent seq, in order, once.

    A streaming answer holds a seq reserved before it is stored, and a customer message can be stored above it
    meanwhile. So `last_sent_seq` only advances over seqs without gaps; what was sent above a gap is remembered
    in `sent_above`, and the reserved message is sent when it lands.
    """
    if consumer.conversation is None or consumer.last_sent_seq is None:
        return
    sent_above = consumer.sent_above
    messages = await in_thread(lambda: list(
        Message.objects.filter(conversation_id=consumer.conversation.pk, seq__gt=consumer.last_sent_seq)
        .select_related("author").order_by("seq")
    ))()
    for message in messages:
        if message.seq in sent_above:
            continue
        for frame in message_frames(message, for_agent=for_agent):
            await consumer.send_json(frame)
        sent_above.add(message.seq)
    while consumer.last_sent_seq + 1 in sent_above:
        consumer.last_sent_seq += 1
        sent_above.discard(consumer.last_sent_seq)


def reset_sent(consumer, last_seq: int) -> None:
    """The client has everything up to `last_seq` (a resume), or a new conversation starts (0). The only way
    `last_sent_seq` leaves None, so `sent_above` exists whenever it is read."""
    consumer.last_sent_seq = last_seq
    consumer.sent_above = set()


def resume_sent(consumer, replay_point: int) -> None:
    """The client asks for a replay from `replay_point`. A socket that already sent messages keeps that record: what
    it sent above the point is not sent again (a widget polls `resume` every few seconds while Redis is down, and
    must not get the whole conversation each time); what it never sent is, whatever the client claimed."""
    if consumer.last_sent_seq is None:
        reset_sent(consumer, replay_point)
        return
    sent = set(range(replay_point + 1, consumer.last_sent_seq + 1)) | consumer.sent_above
    consumer.last_sent_seq = replay_point
    consumer.sent_above = {seq for seq in sent if seq > replay_point}
    while consumer.last_sent_seq + 1 in consumer.sent_above:
        consumer.last_sent_seq += 1
        consumer.sent_above.discard(consumer.last_sent_seq)


def already_sent(consumer, seq: int) -> bool:
    return consumer.last_sent_seq is not None and (
        seq <= consumer.last_sent_seq or seq in consumer.sent_above)


def is_support_agent(user) -> bool:
    """Staff with the permission to work tickets: the only people who may see and join conversations."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm("tickets.change_ticket"))


class AgentConsumer(JsonFrameConsumer):
    """The agent console's socket for one conversation (staff with the ticket permission only)."""

    frame_types = ("resume", "message", "typing", "take_over", "resolve", "hand_back")

    async def connect(self):
        await super().connect()
        self.user = self.scope.get("user")
        if not await in_thread(is_support_agent)(self.user):
            await self.close(code=4403)
            return
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.conversation = await Conversation.objects.filter(pk=conversation_id).select_related(
            "assigned_agent").afirst()
        if self.conversation is None:
            await self.close(code=4404)
            return
        self.group = conversation_group(self.conversation.pk)
        self.last_sent_seq = None
        # Accepted whatever the channel layer does: the console works from the database (resume) meanwhile.
        await self.accept()
        self.listen_to_layer_health()
        await self.guarded(self.channel_layer.group_add(self.group, self.channel_name))
        await self.send_state()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.guarded(self.channel_layer.group_discard(self.group, self.channel_name), notify=False)

    async def catch_up(self) -> None:
        await self.send_stored()
        await self.send_state()

    async def send_state(self) -> None:
        conversation = await Conversation.objects.select_related("assigned_agent").aget(pk=self.conversation.pk)
        self.conversation = conversation
        holder = conversation.assigned_agent
        await self.send_json({
            "type": "state",
            "status": conversation.status,
            "conversation": str(conversation.pk),
            "agent": (holder.first_name or holder.get_username()) if holder else None,
            "mine": bool(holder and holder.pk == self.user.pk and conversation.status == Conversation.Status.AGENT),
            "csat": conversation.csat_score,
        })

    async def send_stored(self) -> None:
        await send_stored_messages(self, for_agent=True)

    # --- client frames -----------------------------------------------------------------------------------------------
    async def handle_resume(self, frame):
        last_seq = frame.get("last_seq", 0)
        if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
            raise InvalidFrame("resume needs last_seq, a number.")
        resume_sent(self, await in_thread(services.replay_point)(self.conversation.pk, last_seq))
        await self.send_stored()

    async def handle_take_over(self, frame):
        await in_thread(takeover.take_over)(conversation_id=self.conversation.pk, agent=self.user)

    async def handle_message(self, frame):
        text, client_id = frame.get("text"), frame.get("client_id")
        if not isinstance(text, str) or not text.strip():
            raise InvalidFrame("A message needs some text.", code="empty_message")
        if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
            raise InvalidFrame("This message is too long.", code="message_too_long")
        if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
            raise InvalidFrame("Invalid client_id.", code="invalid_client_id")
        message = await in_thread(takeover.send_agent_message)(
            conversation_id=self.conversation.pk, agent=self.user, text=text.strip(), client_id=client_id
        )
        await self.send_json({"type": "ack", "client_id": client_id, "seq": message.seq})

    async def handle_typing(self, frame):
        await abroadcast(self.group, {"type": "chat.typing", "role": "agent", "sender": self.channel_name,
                                      "name": self.user.first_name or self.user.get_username()})

    async def handle_resolve(self, frame):
        await in_thread(takeover.resolve)(conversation_id=self.conversation.pk, agent=self.user)

    async def handle_hand_back(self, frame):
        await in_thread(takeover.hand_back)(conversation_id=self.conversation.pk, agent=self.user)
        agent.ensure_turn(self.conversation.pk)

    # --- group events ------------------------------------------------------------------------------------------------
    async def chat_delta(self, event):
        """Called when the assistant streams: the agent watches it answer live."""
        if already_sent(self, event["seq"]):
            return
        await self.send_json({"type": "assistant.delta", "seq": event["seq"], "text": event["text"]})

    async def chat_tool_status(self, event):
        """Called when the assistant starts a tool."""
        if event.get("seq") is not None and already_sent(self, event["seq"]):
            return
        await self.send_json({"type": "tool.status", "label": event["label"]})

    async def chat_stored(self, event):
        """Called when a message was committed."""
        await self.send_stored()

    async def chat_error(self, event):
        """Called when a turn failed: the agent sees it too."""
        await self.send_json({"type": "notice", "text": event["message"]})

    async def chat_typing(self, event):
        """Called when the customer (or another agent) types."""
        if event.get("sender") != self.channel_name:
            await self.send_json({"type": "typing", "role": event.get("role"), "name": event.get("name", "")})

    async def chat_sentiment(self, event):
        """Called when a customer message was scored."""
        await self.send_json({"type": "sentiment", "seq": event["seq"], "score": event["score"],
                              "flags": event["flags"], "reason": event["reason"]})

    async def conversation_state(self, event):
        """Called when the conversation changes status."""
        await self.send_stored()
        await self.send_state()

    async def conversation_started(self, event):
        """Not sent to agents (customers' tabs only)."""


class QueueConsumer(JsonFrameConsumer):
    """The agents' queue: tells every open admin queue page that a ticket arrived, moved or was taken."""

    frame_types = ()

    async def connect(self):
        await super().connect()
        if not await in_thread(is_support_agent)(self.scope.get("user")):
            await self.close(code=4403)
            return
        self.joined = True
        await self.accept()
        self.listen_to_layer_health()
        await self.guarded(self.channel_layer.group_add(agents_queue_group(), self.channel_name))
        await self.send_json({"type": "queue", "waiting": await waiting_handoffs()})

    async def disconnect(self, code):
        if getattr(self, "joined", False):
            await self.guarded(self.channel_layer.group_discard(agents_queue_group(), self.channel_name),
                               notify=False)

    async def catch_up(self) -> None:
        await self.send_json({"type": "queue", "waiting": await waiting_handoffs()})

    async def queue_changed(self, event):
        """Called when a ticket was created, updated, taken or solved."""
        await self.send_json({"type": "queue", "waiting": await waiting_handoffs(), "change": event["change"],
                              "ticket": event["ticket"], "kind": event["kind"]})


async def waiting_handoffs() -> int:
    from tickets.models import Ticket

    return await Ticket.objects.filter(kind=Ticket.Kind.HANDOFF, assignee__isnull=True,
                                       status__in=[Ticket.Status.NEW, Ticket.Status.OPEN]).acount()
