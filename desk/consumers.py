"""The staff sockets: the console of one conversation, and the live queue. Protocol only; rules in desk.takeover."""

from assistant import turn
from conversations import selectors
from conversations.consumers import ConversationConsumer, JsonFrameConsumer
from conversations.models import Conversation
from helpdesk.db import in_thread
from helpdesk.realtime import abroadcast, agents_queue_group, conversation_group

from . import takeover
from .permissions import is_support_agent
from .queue import waiting_count


class AgentConsumer(ConversationConsumer):
    """The agent console's socket for one conversation (staff with the ticket permission only)."""

    frame_types = ("resume", "message", "typing", "take_over", "resolve", "hand_back")
    for_agent = True

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
        # Accepted whatever the channel layer does: the console works from the database (resume) meanwhile.
        await self.accept_and_listen()
        await self.follow(conversation, conversation_group(conversation.pk))
        await self.send_state()

    async def send_state(self) -> None:
        conversation = await in_thread(selectors.conversation_by_id)(self.conversation.pk)
        self.conversation = conversation
        holder = conversation.assigned_agent
        await self.send_json({
            "type": "state",
            "status": conversation.status,
            "conversation": str(conversation.pk),
            "agent": takeover.agent_name(holder) if holder else None,
            "mine": bool(holder and holder.pk == self.user.pk and conversation.status == Conversation.Status.AGENT),
            "csat": conversation.csat_score,
        })

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
        await abroadcast(self.group, {"type": "chat.typing", "role": "agent", "sender": self.channel_name,
                                      "name": takeover.agent_name(self.user)})

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
        """Called when the conversation changes status."""
        await self.catch_up()

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
        await self.accept_and_listen()
        await self.join_group(agents_queue_group())
        await self.catch_up()

    async def catch_up(self) -> None:
        await self.send_json({"type": "queue", "waiting": await in_thread(waiting_count)()})

    async def queue_changed(self, event):
        """Called when a ticket was created, updated, taken or solved."""
        await self.send_json({"type": "queue", "waiting": await in_thread(waiting_count)(),
                              "change": event["change"], "ticket": event["ticket"], "kind": event["kind"]})
