"""Canned replies for a conversation or a ticket: which ones are offered, and their text with the placeholders
filled from what the agent may see there (the customer as desk.customers finds them, never an unverified guest's
claim; the order in question; the agent; the ticket; the store).

The text is plain: the composer inserts it as the textarea's value, the agent edits it, and it goes out through the
usual send path (the console's socket, the ticket's reply), which renders and sanitizes it like any agent message.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from conversations.models import Conversation, Message
from orders.models import Customer, Order
from tickets.models import Ticket

from .customers import customer_of
from .models import CannedReply
from .placeholders import fill
from .takeover import agent_name

ORDER_NUMBER = re.compile(r"\bORD-\d{5}\b", re.IGNORECASE)
MAX_OFFERED = 200


@dataclass(frozen=True)
class Subject:
    """What a composer writes to: a conversation (the console) or a ticket (the ticket's page), with its customer."""

    conversation: Conversation | None
    ticket: Ticket | None
    customer: Customer | None
    customer_name: str
    language: str

    @classmethod
    def of_conversation(cls, conversation: Conversation) -> "Subject":
        customer = customer_of(conversation)
        return cls(conversation=conversation, ticket=None, customer=customer,
                   customer_name=customer.name if customer else "", language=conversation.language or "en")

    @classmethod
    def of_ticket(cls, ticket: Ticket) -> "Subject":
        conversation = ticket.conversation
        customer = customer_of(ticket)
        language = conversation.language if conversation is not None else ticket.language
        return cls(conversation=conversation, ticket=ticket, customer=customer,
                   customer_name=ticket.customer_name or (customer.name if customer else ""), language=language or "en")


def order_in_question(subject: Subject) -> Order | None:
    """The order the conversation or ticket is about, among the verified customer's orders only: the refund's
    order on a ticket; else the last one checked in the chat; else the last one mentioned (by the customer or in
    the ticket); else the customer's most recent order."""
    customer = subject.customer
    ticket, conversation = subject.ticket, subject.conversation
    if ticket is not None and ticket.refund_id:
        return ticket.refund.order
    if customer is None:
        return None
    orders = Order.objects.filter(customer=customer)
    if conversation is not None:
        for number in reversed(conversation.verified_order_numbers or []):
            if found := orders.filter(number=number).first():
                return found
    for number in reversed(_mentioned_orders(subject)):
        if found := orders.filter(number=number.upper()).first():
            return found
    return orders.order_by("-placed_at").first()


def _mentioned_orders(subject: Subject) -> list[str]:
    """Order numbers the customer wrote (or the ticket names), oldest first."""
    texts = []
    if subject.ticket is not None:
        texts += [subject.ticket.question, subject.ticket.description]
        texts += list(subject.ticket.comments.filter(public=True).values_list("body", flat=True))
    if subject.conversation is not None:
        texts += list(subject.conversation.messages.filter(role=Message.Role.CUSTOMER).order_by("seq")
                      .values_list("text", flat=True))
    return [number for text in texts for number in ORDER_NUMBER.findall(text or "")]


def _ticket_number(subject: Subject) -> str:
    if subject.ticket is not None:
        return subject.ticket.number or ""
    latest = subject.conversation.tickets.order_by("-created_at").values_list("number", flat=True).first()
    return latest or ""


def placeholder_values(subject: Subject, *, agent, order: Order | None = None) -> dict[str, str]:
    """Every placeholder's value for `subject` ("" when unknown)."""
    full_name = subject.customer_name.strip()
    order = order if order is not None else order_in_question(subject)
    return {
        "first_name": full_name.split(" ", 1)[0] if full_name else "",
        "name": full_name,
        "order_number": order.number if order is not None else "",
        "agent_name": agent_name(agent),
        "ticket_number": _ticket_number(subject),
        "store_name": settings.STORE_NAME,
    }


MISSING_NOTES = {
    "first_name": lambda: _("The customer's name is not known, so the greeting has none."),
    "name": lambda: _("The customer's name is not known, so the greeting has none."),
    "order_number": lambda: _("No order of this customer is known: add the order number if the text needs one."),
    "ticket_number": lambda: _("This conversation has no ticket yet: the ticket number was left out."),
}


@dataclass(frozen=True)
class RenderedReply:
    shortcut: str
    title: str
    language: str
    text: str
    missing: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        notes = list(dict.fromkeys(MISSING_NOTES[name]() for name in self.missing if name in MISSING_NOTES))
        return {"shortcut": self.shortcut, "title": self.title, "language": self.language, "text": self.text,
                "note": " ".join(notes)}


def render_canned_reply(reply: CannedReply, values: dict[str, str]) -> RenderedReply:
    text, missing = fill(reply.body, values)
    return RenderedReply(reply.shortcut, reply.title, reply.language, text.strip(), missing)


def offered_replies(subject: Subject, *, agent) -> list[RenderedReply]:
    """The active canned replies for `subject`, rendered, by shortcut: each shortcut in the customer's language,
    or in another language when it has no version in theirs (the agent sees which)."""
    by_shortcut: dict[str, CannedReply] = {}
    for reply in CannedReply.objects.filter(active=True).order_by("shortcut", "language")[:MAX_OFFERED * 2]:
        chosen = by_shortcut.get(reply.shortcut)
        if chosen is None or (reply.language == subject.language and chosen.language != subject.language) or (
                chosen.language not in (subject.language, "en") and reply.language == "en"):
            by_shortcut[reply.shortcut] = reply
    if not by_shortcut:
        return []
    values = placeholder_values(subject, agent=agent)
    return [render_canned_reply(reply, values) for reply in list(by_shortcut.values())[:MAX_OFFERED]]


def order_facts(order: Order) -> dict:
    """What the console's side panel shows of an order, for the assistant's draft."""
    def day(value):
        if isinstance(value, datetime):
            return timezone.localtime(value).date().isoformat()
        return value.isoformat() if value else None

    return {
        "number": order.number, "status": order.status, "placed_at": day(order.placed_at),
        "shipped_at": day(order.shipped_at), "delivered_at": day(order.delivered_at),
        "expected_delivery": day(order.expected_delivery), "carrier": order.carrier,
        "tracking_number": order.tracking_number, "total": str(order.total), "refunded_total": str(order.refunded_total),
        "currency": order.currency,
        "items": [item.product.name if item.quantity == 1 else f"{item.quantity} × {item.product.name}"
                  for item in order.items.select_related("product")],
    }


def facts_for_draft(subject: Subject, *, agent) -> dict:
    """What a suggested reply may be grounded in besides the conversation: the same values as the placeholders
    (so /shortcut and the draft name the same order), and the order's facts."""
    order = order_in_question(subject)
    values = placeholder_values(subject, agent=agent, order=order)
    return {"customer_first_name": values["first_name"], "agent_name": values["agent_name"],
            "ticket_number": values["ticket_number"], "order": order_facts(order) if order is not None else None}
