"""Demo history for the KPI dashboard: closed conversations over the last 30 days, produced by RUNNING the offline
assistant over scripted customers (and, for hand-offs, the real takeover services), then moved back in time.

Nothing here writes a KPI: every figure on the dashboard comes from what these conversations actually did.
Idempotent: the conversations carry session_key DEMO_SESSION and are only created when none exist.
"""

import asyncio
import random
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assistant import turn
from assistant.llm.offline import OfflineBackend
from conversations import services
from conversations.models import Conversation, ConversationEvent, ConversationStatusChange, Message
from conversations.sinks import RecordingSink
from desk import takeover
from helpdesk.fingerprints import session_fingerprint
from orders.models import Customer, Order, OrderStatusChange, Refund
from tickets.models import Ticket, TicketStatusChange

DEMO_SESSION = "demo-history"
PROTECTED_ORDERS = {"ORD-78432", "ORD-42311", "ORD-55120", "ORD-31877", "ORD-66210", "ORD-66211", "ORD-42007", "ORD-54321",
                    "ORD-20415", "ORD-20999"}

# (kind, language, lines). {order} is one of the customer's orders suited to the script.
SCRIPTS = [
    ("status", "en", ["Hi", "Where is my order {order}?", "Great, thanks!"]),
    ("status", "fr", ["Bonjour, où en est ma commande {order} ?", "Merci beaucoup !"]),
    ("faq", "en", ["How long does standard shipping take?", "Thanks, that's all."]),
    ("faq", "en", ["Which payment methods do you accept?", "Perfect, thank you"]),
    ("faq", "fr", ["Quelle est votre politique de retour ?", "Merci"]),
    ("faq", "en", ["My ProMax headphones won't pair with my phone over bluetooth", "That worked, thanks!"]),
    ("refund", "en", ["My order {order} arrived broken, it doesn't work", "I want a refund please", "Thank you"]),
    ("refund", "fr", ["Ma commande {order} est arrivée cassée, elle ne marche pas", "Je veux être remboursé",
                      "Merci"]),
    ("human", "en", ["I need to talk to a human about my order {order}"]),
    ("human", "fr", ["Je voudrais parler à un conseiller"]),
]
WEIGHTS = [14, 6, 10, 6, 5, 6, 7, 3, 5, 2]


class DemoHistory:
    def __init__(self, count: int = 60, seed: int = 11):
        self.count = count
        self.random = random.Random(seed)
        self.backend = OfflineBackend()

    def exists(self) -> bool:
        return Conversation.objects.filter(session_key_hash=session_fingerprint(DEMO_SESSION)).exists()

    def build(self) -> int:
        if self.exists():
            return 0
        agents = list(User.objects.filter(is_staff=True, is_superuser=False).order_by("username"))
        customers = list(Customer.objects.order_by("email"))
        if not agents or not customers:
            return 0
        plan = [self.random.choices(SCRIPTS, weights=WEIGHTS)[0] for _ in range(self.count)]
        asyncio.run(self._run_all(plan, customers, agents))
        return self.count

    async def _run_all(self, plan, customers, agents) -> None:
        for index, (kind, language, lines) in enumerate(plan):
            candidates = [c for c in customers if c.language == language] or customers
            customer = candidates[index % len(candidates)]
            await self._run_one(index, kind, language, lines, customer, agents)

    async def _run_one(self, index, kind, language, lines, customer, agents) -> None:
        order = await sync_to_async(self._order_for)(customer, kind, index)
        if "{order}" in "".join(lines) and order is None:
            return
        conversation = await sync_to_async(services.start_conversation)(
            session_key=DEMO_SESSION, customer=customer, language=language, backend=self.backend.name
        )
        for line in lines:
            await sync_to_async(services.record_customer_message)(
                conversation_id=conversation.pk, text=line.format(order=order), client_id=None
            )
            await turn.answer_pending(conversation.pk, sink=RecordingSink(), backend=self.backend)
        await sync_to_async(self._finish)(conversation.pk, kind, agents[index % len(agents)])

    def _order_for(self, customer: Customer, kind: str, index: int) -> str | None:
        orders = Order.objects.filter(customer=customer).exclude(number__in=PROTECTED_ORDERS)
        if kind == "refund":
            orders = orders.filter(status="delivered", refunded_total=0,
                                   delivered_at__gte=timezone.now() - timedelta(days=25), total__lte=200)
        numbers = list(orders.order_by("number").values_list("number", flat=True))
        return numbers[index % len(numbers)] if numbers else None

    def _finish(self, conversation_id, kind: str, agent_user) -> None:
        conversation = Conversation.objects.get(pk=conversation_id)
        if conversation.status in (Conversation.Status.WAITING, Conversation.Status.BOT) and kind == "human":
            takeover.take_over(conversation_id=conversation_id, agent=agent_user)
            takeover.send_agent_message(conversation_id=conversation_id, agent=agent_user,
                                        text="Hello, I'm here to help. I've checked your order and sorted it out.")
            takeover.resolve(conversation_id=conversation_id, agent=agent_user)
        else:
            services.close_conversation(conversation_id=conversation_id, actor="customer")
        conversation.refresh_from_db()
        if self.random.random() < 0.8:
            score = self.random.choices([5, 4, 3, 2], weights=[6, 3, 1, 1 if kind == "human" else 0.2])[0]
            services.submit_csat(conversation_id=conversation_id, score=score)
        self._move_back_in_time(conversation)

    @transaction.atomic
    def _move_back_in_time(self, conversation: Conversation) -> None:
        """Place the conversation on a day of the last 30, messages a realistic 20-70 s apart."""
        days_ago = self.random.randint(0, 29)
        hour, minute = self.random.randint(8, 21), self.random.randint(0, 59)
        target = (timezone.now() - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0,
                                                                     microsecond=0)
        if target > timezone.now():
            target -= timedelta(days=1)
        shift = target - conversation.started_at
        moment = target
        for message in conversation.messages.order_by("seq"):
            moment += timedelta(seconds=self.random.randint(20, 70) if message.role == "customer"
                                else self.random.randint(2, 8))
            Message.objects.filter(pk=message.pk).update(created_at=moment)
        closed = moment + timedelta(seconds=self.random.randint(15, 90))
        first_answer = conversation.messages.filter(role__in=["assistant", "agent"]).exclude(text="") \
            .order_by("seq").values_list("created_at", flat=True).first()
        Conversation.objects.filter(pk=conversation.pk).update(
            started_at=target, last_activity_at=closed, closed_at=closed, first_response_at=first_answer,
            escalated_at=F("escalated_at") + shift, agent_joined_at=F("agent_joined_at") + shift,
        )
        ConversationEvent.objects.filter(conversation=conversation).update(created_at=F("created_at") + shift)
        ConversationStatusChange.objects.filter(conversation=conversation).update(created_at=F("created_at") + shift)
        TicketStatusChange.objects.filter(ticket__conversation=conversation).update(
            created_at=F("created_at") + shift)
        OrderStatusChange.objects.filter(order__refunds__conversation=conversation,
                                         created_at__gte=conversation.started_at).update(
            created_at=F("created_at") + shift)
        Ticket.objects.filter(conversation=conversation).update(
            created_at=F("created_at") + shift, updated_at=F("updated_at") + shift,
            assigned_at=F("assigned_at") + shift, solved_at=F("solved_at") + shift,
            first_response_at=F("first_response_at") + shift, first_response_due_at=F("first_response_due_at") + shift)
        Refund.objects.filter(conversation=conversation).update(
            created_at=F("created_at") + shift, completed_at=F("completed_at") + shift)
