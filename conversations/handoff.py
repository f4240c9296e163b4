"""A hand-off to a person: the ticket in the queue, the conversation waiting, and the summary the agent reads.

Built from the database, not from the model's words: problem (the customer's first and latest messages), actions
taken (each tool call and its outcome), current status, sentiment trend, verified customer, orders mentioned.
The model's own summary, when it wrote one (escalate_to_human), is added as such.
"""

import json
import re

from django.db import transaction

from tickets import services as tickets
from tickets.models import Ticket

from . import services as conversations
from .models import Conversation, ConversationEvent, Message

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
        return f"refunded {result['amount']} {result['currency']}"
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


def open_handoff(conversation: Conversation, *, subject: str, reason: str, priority: str, model_summary: str = "",
                 category: str = Ticket.Category.OTHER, refund=None, actor: str = "assistant"):
    """Open (or raise) the conversation's hand-off ticket and put the conversation in the waiting queue."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        summary = handoff_summary(locked, model_summary=model_summary)
        ticket, created = tickets.open_handoff(
            conversation_id=locked.pk, subject=subject, reason=reason, priority=priority, summary=summary,
            customer_email=locked.verified_email, category=category, refund=refund,
        )
        if locked.status == Conversation.Status.BOT:
            conversations.set_status(locked, Conversation.Status.WAITING, actor=actor,
                                     kind=ConversationEvent.Kind.ESCALATED, detail=reason,
                                     escalated_at=locked.escalated_at or ticket.created_at)
    return ticket, created
