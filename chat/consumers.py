"""The storefront chat socket: protocol only. Rules live in the services, the assistant's turn in assistant.turn."""

from urllib.parse import parse_qs

from django.conf import settings

from assistant import turn
from assistant.llm import backend_name
from conversations import selectors, services
from conversations.consumers import ConversationConsumer
from conversations.exceptions import ConversationClosed, InvalidFrame
from conversations.models import Conversation, Message
from helpdesk.db import in_thread
from helpdesk.realtime import abroadcast, conversation_group, visitor_group
from orders.selectors import customer_of_user
from tickets import availability


class CustomerConsumer(ConversationConsumer):
    """The storefront chat socket: one per tab. Bound to the browser session and, when logged in, the customer."""

    frame_types = ("message", "resume", "typing", "csat", "close")
    socket_kind = "customer"

    async def connect(self):
        await super().connect()
        self.session_key = await self.ensure_session()
        self.customer = await in_thread(customer_of_user)(self.scope.get("user"))
        self.language = self.requested_language() or self.customer_language()
        self.visitor_group = visitor_group(customer_id=self.customer.pk if self.customer else None,
                                           session_key=self.session_key)
        await self.accept_and_listen()
        conversation = await in_thread(services.find_open_conversation)(
            session_key=self.session_key, customer=self.customer
        )
        if self.visitor_group:
            await self.join_group(self.visitor_group)
        if conversation:
            await self.follow(conversation, conversation_group(conversation.pk))
        await self.send_state()
        # Disconnecting does not cancel a turn: it belongs to the conversation and finishes for the next connection.

    # --- session and identity ----------------------------------------------------------------------------------------
    async def ensure_session(self) -> str:
        session = self.scope.get("session")
        if session is None:
            return ""
        if not session.session_key:
            await in_thread(session.save)()
        return session.session_key or ""

    def requested_language(self) -> str | None:
        """The page's language, which the widget passes as ?lang=; else the language cookie of Django's switch."""
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

    async def refresh(self) -> Conversation | None:
        if self.conversation is not None:
            self.conversation = await in_thread(selectors.conversation_by_id)(self.conversation.pk)
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
        if conversation is not None and conversation.status == Conversation.Status.WAITING:
            await self.send_wait(await in_thread(availability.wait_for)(conversation.pk))

    async def send_wait(self, wait: dict | None) -> None:
        """The customer's place in line and the agents available, while they wait for a person."""
        if wait is not None:
            await self.send_json({"type": "wait", "position": wait["position"],
                                  "agents_available": wait["agents_available"]})

    # --- client frames -----------------------------------------------------------------------------------------------
    async def handle_message(self, frame: dict) -> None:
        """Called when the customer sends a message: store it, acknowledge it, start the turn."""
        text, client_id = self.check_message_text(frame, client_id_required=True)
        self.throttle(self.message_times, settings.CHAT_RATE_LIMIT_MESSAGES)
        # The conversation as this socket knows it (its status events keep it current); storing the message is
        # what checks it is still open, in the same statement.
        conversation = self.conversation
        if conversation is None or conversation.status == Conversation.Status.CLOSED:
            conversation = await self.start_conversation()
        try:
            recorded = await in_thread(services.record_customer_message)(
                conversation_id=conversation.pk, text=text, client_id=client_id
            )
        except ConversationClosed:  # closed meanwhile (by an agent, another tab): the message starts a new one
            conversation = await self.start_conversation()
            recorded = await in_thread(services.record_customer_message)(
                conversation_id=conversation.pk, text=text, client_id=client_id
            )
        if recorded.created:
            conversation.status = recorded.status
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
        if recorded.status == Conversation.Status.BOT:
            turn.ensure_turn(conversation.pk)

    async def start_conversation(self) -> Conversation:
        """A new conversation for this socket's visitor, followed here and announced to their other tabs."""
        conversation = await in_thread(services.start_conversation)(
            session_key=self.session_key, customer=self.customer, language=self.language, backend=backend_name(),
            client_address=(self.scope.get("client") or [""])[0] or "",
        )
        await self.follow(conversation, conversation_group(conversation.pk))
        self.reset_sent(0)
        await self.send_state()
        if self.visitor_group:
            await abroadcast(self.visitor_group, {"type": "conversation.started", "sender": self.channel_name})
        return conversation

    async def handle_resume(self, frame: dict) -> None:
        """Called when the client (re)connects: replay everything after its last seen seq."""
        await self.replay_from(frame)
        if self.conversation is None:
            await self.send_state()  # nothing to replay: say so, so the client knows where it stands
            return
        conversation = await self.refresh()
        await self.send_state()
        if conversation.status == Conversation.Status.BOT and conversation.answered_through_seq < conversation.last_seq:
            # An unanswered message (a turn that died with its process): answer it now.
            turn.ensure_turn(conversation.pk)

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
        await in_thread(services.submit_csat)(conversation_id=self.conversation.pk, score=score, comment=comment)
        await self.send_json({"type": "csat.thanks", "score": score})

    async def handle_close(self, frame: dict) -> None:
        if self.conversation is None:
            return
        await in_thread(services.close_conversation)(conversation_id=self.conversation.pk, actor="customer")

    # --- group events ------------------------------------------------------------------------------------------------
    async def chat_error(self, event):
        """Called when a turn failed in a way the customer must know about."""
        await self.send_error(event["code"], event["message"])

    async def chat_typing(self, event):
        """Called when someone in the conversation is typing: the customer sees only the agent typing."""
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
            await self.follow(conversation, conversation_group(conversation.pk))
            self.reset_sent(0)
            await self.send_state()
            await self.send_stored()

    async def conversation_state(self, event):
        """Called when the conversation changes status (waiting, agent, bot, closed)."""
        await self.refresh()
        await self.send_stored()
        await self.send_state()

    async def chat_sentiment(self, event):
        """Called when a customer message was scored (only the agent console shows it)."""

    async def chat_wait(self, event):
        """Called when the queue moved while this conversation waits for a person: its new place in line."""
        await self.send_wait(event)

    async def catch_up(self) -> None:
        await self.refresh()
        await super().catch_up()
