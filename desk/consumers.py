"""The staff sockets: the console of one conversation, and the live queue. Protocol only; rules in desk.takeover."""

from django.conf import settings
from django.utils.translation import get_supported_language_variant, override
from django.utils.translation.trans_real import parse_accept_lang_header

from assistant import turn
from conversations import selectors
from conversations.consumers import CLIENT_ID, ConversationConsumer, JsonFrameConsumer
from conversations.exceptions import InvalidFrame
from helpdesk.db import in_thread
from helpdesk.realtime import abroadcast, agents_queue_group, conversation_group

from . import takeover
from .permissions import is_support_agent
from .queue import waiting_count
from .selectors import console_ticket_frame


def staff_language(scope) -> str:
    """The language the admin pages speak to this browser (Django's language cookie, else Accept-Language), for
    what the console's socket says itself (its refusals)."""
    candidates = [(scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")]
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            candidates += [code for code, _quality in parse_accept_lang_header(value.decode("latin-1"))]
    for candidate in candidates:
        if candidate and candidate != "*":
            try:
                return get_supported_language_variant(candidate)
            except LookupError:
                continue
    return settings.LANGUAGE_CODE


class AgentConsumer(ConversationConsumer):
    """The agent console's socket for one conversation (staff with the ticket permission only).

    It follows the conversation's group (messages, typing, state) and the agents' queue group: a change of the
    conversation's ticket (its priority, a note, its assignee) sends a fresh `ticket` frame; an agent's
    availability, a fresh state (whom the holder can transfer to)."""

    frame_types = ("resume", "message", "typing", "take_over", "resolve", "hand_back", "note", "transfer")
    for_agent = True
    socket_kind = "agent"

    async def connect(self):
        await super().connect()
        self.user = self.scope.get("user")
        if not await in_thread(is_support_agent)(self.user):
            await self.close(code=4403)
            return
        conversation = await in_thread(selectors.conversation_by_id)(
            self.scope["url_route"]["kwargs"]["conversation_id"])
        if conversation is None:
            await self.close(code=4404)
            return
        self.language = staff_language(self.scope)
        # Accepted whatever the channel layer does: the console works from the database (resume) meanwhile.
        await self.accept_and_listen()
        await self.follow(conversation, conversation_group(conversation.pk))
        await self.join_group(agents_queue_group())
        await self.send_state()
        await self.send_ticket()

    async def receive(self, text_data=None, bytes_data=None):
        with override(self.language):  # the services' refusals, in the agent's language
            await super().receive(text_data, bytes_data)

    async def send_state(self) -> None:
        """`state`: the conversation's status and holder; `mine` (this agent holds it: the composer), `can_take`
        (Take over would give it to them), and for the holder `transfer_to`, the agents they can transfer to."""
        conversation = await in_thread(selectors.conversation_by_id)(self.conversation.pk)
        self.conversation = conversation
        holder = conversation.assigned_agent
        mine = takeover.holds(conversation, self.user)
        await self.send_json({
            "type": "state",
            "status": conversation.status,
            "conversation": str(conversation.pk),
            "agent": takeover.agent_name(holder) if holder else None,
            "mine": mine,
            "can_take": takeover.can_take_over(conversation, self.user),
            "transfer_to": await in_thread(takeover.transfer_targets)(self.user) if mine else [],
            "csat": conversation.csat_score,
        })

    async def send_ticket(self) -> None:
        """`ticket`: the side panel's ticket (priority, status) and its internal notes."""
        await self.send_json(await in_thread(console_ticket_frame)(self.conversation.pk))

    # --- client frames -----------------------------------------------------------------------------------------------
    async def handle_resume(self, frame):
        """Called when the console (re)connects: replay everything after its last seen seq."""
        await self.replay_from(frame)

    async def handle_take_over(self, frame):
        await in_thread(takeover.take_over)(conversation_id=self.conversation.pk, agent=self.user)

    async def handle_message(self, frame):
        """Called when the agent holding the conversation sends a message to the customer."""
        text, client_id = self.check_message_text(frame, client_id_required=False)
        message = await in_thread(takeover.send_agent_message)(
            conversation_id=self.conversation.pk, agent=self.user, text=text, client_id=client_id
        )
        await self.send_json({"type": "ack", "client_id": client_id, "seq": message.seq})

    async def handle_typing(self, frame):
        """Called when the agent types in the composer: shown to the customer only if they hold the conversation
        (takeover.typing_reaches_customer); anyone else's typing goes nowhere."""
        if await in_thread(takeover.typing_reaches_customer)(conversation_id=self.conversation.pk, agent=self.user):
            await abroadcast(self.group, {"type": "chat.typing", "role": "agent", "sender": self.channel_name,
                                          "name": takeover.agent_name(self.user)})

    async def handle_note(self, frame):
        """Called when an agent adds an internal note in the side panel (`note {text, client_id?}`): stored on the
        conversation's ticket, confirmed with `note.saved {client_id}`, shown by every console of the conversation."""
        text, client_id = frame.get("text"), frame.get("client_id")
        if not isinstance(text, str):
            raise InvalidFrame(self.translate("A note needs some text."), code="empty_note")
        if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
            raise InvalidFrame(self.translate("A message needs a client_id (letters, digits, - or _)."),
                               code="invalid_client_id")
        await in_thread(takeover.add_note)(conversation_id=self.conversation.pk, agent=self.user, body=text)
        await self.send_json({"type": "note.saved", "client_id": client_id})
        await self.send_ticket()

    async def handle_transfer(self, frame):
        """Called when the holder transfers the conversation (`transfer {to}`, a user id) to another agent."""
        to = frame.get("to")
        if isinstance(to, bool) or not isinstance(to, int):
            raise InvalidFrame(self.translate("A transfer needs the id of the agent to transfer to."),
                               code="invalid_transfer")
        await in_thread(takeover.transfer)(conversation_id=self.conversation.pk, agent=self.user, to_id=to)
        await self.send_state()  # the state broadcast may be lost: this console must drop its composer now

    async def handle_resolve(self, frame):
        await in_thread(takeover.resolve)(conversation_id=self.conversation.pk, agent=self.user)

    async def handle_hand_back(self, frame):
        await in_thread(takeover.hand_back)(conversation_id=self.conversation.pk, agent=self.user)
        turn.ensure_turn(self.conversation.pk)

    # --- group events ------------------------------------------------------------------------------------------------
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
        """Called when the conversation changes status or holder."""
        await self.catch_up()

    async def conversation_started(self, event):
        """Not sent to agents (customers' tabs only)."""

    async def queue_changed(self, event):
        """Called when the queue moved: this conversation's ticket changed (priority, notes, assignee), or an
        agent's availability did (the holder's list of agents to transfer to)."""
        if event.get("conversation") == str(self.conversation.pk):
            await self.send_ticket()
        elif event.get("change") == "availability" and takeover.holds(self.conversation, self.user):
            await self.send_state()

    async def catch_up(self) -> None:
        await super().catch_up()
        await self.send_ticket()


class QueueConsumer(JsonFrameConsumer):
    """The agents' queue: tells every open admin queue page that a ticket arrived, moved or was taken."""

    frame_types = ()
    socket_kind = "queue"

    async def connect(self):
        await super().connect()
        if not await in_thread(is_support_agent)(self.scope.get("user")):
            await self.close(code=4403)
            return
        await self.accept_and_listen()
        await self.join_group(agents_queue_group())
        await self.catch_up()

    async def catch_up(self) -> None:
        await self.send_json({"type": "queue", "waiting": await in_thread(waiting_count)()})

    async def queue_changed(self, event):
        """Called when a ticket was created, updated, taken or solved."""
        await self.send_json({"type": "queue", "waiting": await in_thread(waiting_count)(),
                              "change": event["change"], "ticket": event["ticket"], "kind": event["kind"]})
