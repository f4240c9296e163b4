"""A hand-off to a person: the ticket in the queue, the conversation waiting, and the summary the agent reads — or,
when nobody can take it, a follow-up by email.

The summary is built from the database, not from the model's words: problem (the customer's first and latest
messages), actions taken (each tool call and its outcome), current status, sentiment trend, verified customer,
orders mentioned. The model's own summary, when it wrote one (escalate_to_human), is added as such.

Offline (tickets.availability.staffing: outside business hours, or no agent available) the customer is not left
waiting: the conversation stays with the assistant and a follow-up ticket is filed with the customer's real
question (conversations.questions), emailed to them with when to expect an answer. Without an email to answer to,
the customer is asked for one (an ESCALATED event awaiting it); the create_ticket tool, given it, files that
follow-up (file_offline_follow_up). One open follow-up per conversation: later hand-offs reuse it, whoever asks
(the model, the escalation engine, an abusive streak), so nothing loops or spams. A refund above the approval
threshold still gets its own ticket linked to the refund, so a person decides it later.
"""

import json
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from helpdesk.money import format_money
from orders.models import Customer
from tickets import availability, hours
from tickets import services as tickets
from tickets.models import Ticket

from . import services as conversations
from .gaps import note_follow_up
from .models import Conversation, ConversationEvent, Message
from .questions import real_question

ORDER_NUMBER = re.compile(r"\bORD-?\d{5}\b", re.IGNORECASE)


def sentiment_trend(scores: list[float]) -> str:
    """The source document's rule: the last three all below -0.3 → deteriorating; rising → improving."""
    if len(scores) < 2:
        return "stable"
    recent = scores[-3:]
    if all(score < -0.3 for score in recent):
        return "deteriorating"
    if recent[-1] > recent[0]:
        return "improving"
    if recent[-1] < recent[0]:
        return "worsening"
    return "stable"


def _clip(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tool_actions(messages: list[Message]) -> list[str]:
    """One line per tool call: its name, its key arguments and what came of it."""
    calls = {}
    lines = []
    for message in messages:
        for block in message.content or []:
            if block.get("type") == "tool_use":
                calls[block["id"]] = block
            elif block.get("type") == "tool_result":
                call = calls.get(block.get("tool_use_id"), {})
                args = ", ".join(f"{k}={v}" for k, v in (call.get("input") or {}).items() if k != "conversation_summary")
                try:
                    result = json.loads(block.get("content") or "{}")
                except (TypeError, ValueError):
                    result = {}
                outcome = "refused: " + result.get("message", "") if block.get("is_error") else _outcome(result)
                lines.append(_clip(f"{call.get('name', 'tool')}({args}) → {outcome}", 200))
    return lines


def _outcome(result: dict) -> str:
    if "order" in result:
        order = result["order"]
        return f"{order['order_id']} {order['status']}"
    if result.get("status") == "refunded":
        return f"refunded {format_money(result['amount'], result['currency'], 'en')}"
    if "results" in result:
        return f"{len(result['results'])} article(s) found"
    if "ticket" in result:
        return f"{result.get('status', 'opened')} {result['ticket']}"
    return result.get("status", "done")


def handoff_summary(conversation: Conversation, *, model_summary: str = "") -> str:
    messages = list(conversation.messages.order_by("seq"))
    customer_texts = [m.text for m in messages if m.role == Message.Role.CUSTOMER and m.text]
    scores = [m.sentiment_score for m in messages if m.role == Message.Role.CUSTOMER and m.sentiment_score is not None]
    orders = sorted({match.upper().replace("ORD", "ORD-").replace("--", "-")
                     for m in messages for match in ORDER_NUMBER.findall(m.text + json.dumps(m.content))})
    orders = sorted(set(orders) | set(conversation.verified_order_numbers))
    lines = []
    if customer_texts:
        lines.append(f"Problem: {_clip(customer_texts[0])}")
        if len(customer_texts) > 1:
            lines.append(f"Latest from the customer: {_clip(customer_texts[-1])}")
    if conversation.summary:
        lines.append(f"Earlier in the conversation: {_clip(conversation.summary, 600)}")
    actions = tool_actions(messages)
    lines.append("Actions taken: " + ("; ".join(actions) if actions else "none"))
    lines.append(f"Status at hand-off: {conversation.get_status_display()}")
    trend = sentiment_trend(scores)
    last = f", last score {scores[-1]:+.1f}" if scores else ""
    lines.append(f"Sentiment: {trend}{last}")
    who = conversation.verified_email or "not verified"
    if conversation.customer:
        who = f"{conversation.customer.name} <{conversation.customer.email}> (logged in)"
    lines.append(f"Customer: {who}")
    lines.append("Orders mentioned: " + (", ".join(orders) if orders else "none"))
    if model_summary:
        lines.append(f"Assistant's note: {_clip(model_summary, 600)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Handoff:
    """What came of a hand-off.

    Live: `ticket` is the hand-off in the queue, the conversation waits at `position` with `agents_available`.
    Offline: `ticket` is the follow-up filed instead (None while `needs_email`: the customer must give an address
    first), `next_opening` when the team is back (None when open but nobody is available). `created` is False when
    an earlier hand-off of the conversation already did it all (the customer was told then)."""

    ticket: Ticket | None
    created: bool
    offline: bool = False
    needs_email: bool = False
    position: int | None = None
    agents_available: int = 0
    next_opening: object = None
    email: str = ""

    def when(self, language: str) -> str:
        """When the team is back, for the customer ("" when that is not the reason nobody came)."""
        return hours.describe_opening(self.next_opening, language) if self.next_opening else ""


def open_handoff(conversation: Conversation, *, subject: str, reason: str, priority: str, model_summary: str = "",
                 category: str = Ticket.Category.OTHER, refund=None, actor: str = "assistant") -> Handoff:
    """Hand the conversation to a person: live (open or raise its hand-off ticket, the conversation waits in the
    queue) when one can take it now, else a follow-up by email (see the module)."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update(of=("self",)).select_related("customer").get(
            pk=conversation.pk)
        staffed = availability.staffing()
        if locked.status == Conversation.Status.BOT and not staffed.live:
            return _offline(locked, staffed, subject=subject, reason=reason, priority=priority,
                            model_summary=model_summary, category=category, refund=refund, actor=actor)
        summary = handoff_summary(locked, model_summary=model_summary)
        ticket, created = tickets.open_handoff(
            conversation_id=locked.pk, subject=subject, reason=reason, priority=priority, summary=summary,
            customer_email=locked.verified_email, category=category, refund=refund, language=locked.language,
            customer_name=customer_name(locked), question=real_question(locked).question,
        )
        if locked.status == Conversation.Status.BOT:
            conversations.set_status(locked, Conversation.Status.WAITING, actor=actor,
                                     kind=ConversationEvent.Kind.ESCALATED, detail=reason,
                                     escalated_at=locked.escalated_at or ticket.created_at)
        return Handoff(ticket, created, position=tickets.queue_position(ticket),
                       agents_available=staffed.agents_available)


def customer_name(conversation: Conversation) -> str:
    """How to greet the customer: the logged-in customer's name, or that of the customer whose order verified
    this conversation's email."""
    if conversation.customer is not None:
        return conversation.customer.name
    if conversation.verified_email:
        return (Customer.objects.filter(email__iexact=conversation.verified_email)
                .values_list("name", flat=True).first() or "")
    return ""


def reply_email(conversation: Conversation) -> str:
    """The address a follow-up of this conversation is answered at, known without asking: the verified one."""
    return conversation.verified_email or (conversation.customer.email if conversation.customer else "")


def _offline(locked: Conversation, staffed, *, subject, reason, priority, model_summary, category, refund,
             actor) -> Handoff:
    facts = {"offline": True, "agents_available": staffed.agents_available, "next_opening": staffed.next_opening}
    existing = (tickets.open_ticket_for_refund(refund) if refund is not None
                else tickets.open_follow_up_for(locked.pk))
    if existing is not None:
        tickets.raise_priority(ticket=existing, priority=priority, reason=reason)
        return Handoff(existing, False, email=existing.customer_email, **facts)
    email = reply_email(locked)
    if not email:
        already = pending_offline_handoff(locked) is not None
        if not already:
            conversations.log_event(locked.pk, ConversationEvent.Kind.ESCALATED, actor,
                                    f"Nobody available: the customer is asked for an email ({reason})",
                                    offline=True, awaiting_email=True, reason=reason[:300], priority=priority,
                                    category=category, note=model_summary[:600])
            _mark_escalated(locked)
        return Handoff(None, not already, needs_email=True, **facts)
    ticket = file_offline_follow_up(
        locked, email=email, email_verified=True, reason=reason, priority=priority, category=category,
        subject=subject if refund is not None else "", model_description=model_summary, refund=refund,
        actor=actor, staffed=staffed,
    )
    return Handoff(ticket, True, email=email, **facts)


def pending_offline_handoff(conversation: Conversation) -> dict | None:
    """The offline hand-off waiting for the customer's email (what it was about: reason, priority, category, note),
    if the conversation's latest hand-off is one."""
    latest = (conversation.events.filter(kind=ConversationEvent.Kind.ESCALATED)
              .order_by("-created_at", "-id").values_list("data", flat=True).first())
    if latest and latest.get("offline") and latest.get("awaiting_email"):
        return latest
    return None


def file_offline_follow_up(conversation: Conversation, *, email: str, email_verified: bool, reason: str,
                           priority: str, category: str, subject: str = "", model_subject: str = "",
                           model_description: str = "", refund=None, actor: str = "assistant",
                           staffed=None) -> Ticket:
    """File the follow-up that replaces a hand-off nobody could take, under the conversation's row lock: the
    customer's real question, the hand-off summary for the agent, an email saying when to expect an answer.
    `subject` set: that subject (a refund approval's, built by the code), else the customer's question."""
    staffed = staffed or availability.staffing()
    question = real_question(conversation, model_subject=model_subject, model_description=model_description)
    ticket = tickets.create_follow_up(
        subject=subject or question.subject, category=category, priority=priority,
        description=question.description, question=question.question, customer_email=email, conversation_id=conversation.pk,
        email_verified=email_verified, language=conversation.language, customer_name=customer_name(conversation),
        offline=True, answer_expected_at=staffed.next_opening, reason=reason or "Nobody was available for a live chat",
        summary=handoff_summary(conversation, model_summary=model_description), refund=refund,
    )
    note_follow_up(conversation, ticket_number=ticket.number, question=question.question)
    conversations.log_event(conversation.pk, ConversationEvent.Kind.ESCALATED, actor,
                            f"Nobody available: follow-up {ticket.number} by email", offline=True,
                            ticket=ticket.number, reason=reason[:300], priority=priority)
    _mark_escalated(conversation)
    return ticket


def _mark_escalated(conversation: Conversation) -> None:
    """The conversation was handed to people (the KPIs' escalation), though it stays with the assistant."""
    if conversation.escalated_at is None:
        conversation.escalated_at = timezone.now()
        Conversation.objects.filter(pk=conversation.pk, escalated_at__isnull=True).update(
            escalated_at=conversation.escalated_at)
