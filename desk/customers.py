"""Reads for the customer page of the desk: who a conversation or a ticket is about, and everything about them.

A conversation names its customer when they were logged in, or through the email they verified in the chat; a
ticket through its conversation, or its email when that email was checked (a guest may type anybody's address, so
an unchecked one never links to somebody's orders).

The page reads a bounded number of queries whatever the customer's history: one count per list, one query per
list (capped at PAGE_ROWS, newest first), and the prefetches of their rows (items and products, approval tickets).
"""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from conversations.models import Conversation
from helpdesk.emails import canonical_email_or_blank
from orders.models import Customer, Order, Refund
from orders.services import find_customer_by_email
from tickets.models import Ticket

PAGE_ROWS = 15  # per list; the count says how many there are in all, and the admin's list shows them all


def customer_of(subject) -> Customer | None:
    """The Customer a Conversation or a Ticket is about, or None (a guest who verified nothing). A Customer is
    its own (a page that looked its rows' customers up at once, as the queue does, passes them)."""
    if isinstance(subject, Customer):
        return subject
    if isinstance(subject, Ticket):
        if subject.conversation_id and subject.conversation.customer_id:
            return subject.conversation.customer
        return find_customer_by_email(subject.customer_email) if subject.email_verified else None
    if isinstance(subject, Conversation):
        if subject.customer_id:
            return subject.customer
        return find_customer_by_email(subject.verified_email) if subject.verified_email else None
    return None


def _their_email(customer: Customer, field: str, **verified) -> Q:
    """Rows whose `field` is the customer's address (when that address is valid: a blank one must match nothing,
    not every row without an email), with `verified` conditions."""
    email = canonical_email_or_blank(customer.email)
    return Q(**{f"{field}__iexact": email}, **verified) if email else Q(pk__in=[])


def customer_orders(customer: Customer) -> QuerySet:
    return Order.objects.filter(customer=customer).order_by("-placed_at", "-pk")


def customer_refunds(customer: Customer) -> QuerySet:
    return Refund.objects.filter(order__customer=customer).order_by("-created_at", "-pk")


def customer_conversations(customer: Customer) -> QuerySet:
    """Their conversations: logged in, or in which they verified their email."""
    return Conversation.objects.filter(Q(customer=customer) | _their_email(customer, "verified_email")).order_by(
        "-started_at")


def customer_tickets(customer: Customer) -> QuerySet:
    """Their tickets: from their conversations, or under their email once it was checked (never a guest's ticket
    under an address the guest only typed)."""
    return Ticket.objects.filter(
        Q(conversation__customer=customer) | _their_email(customer, "customer_email", email_verified=True)
    ).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class Shown:
    """The first rows of a list (newest first) and how many there are in all."""

    rows: list
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


def _shown(queryset: QuerySet) -> Shown:
    rows = list(queryset[:PAGE_ROWS])
    total = len(rows) if len(rows) < PAGE_ROWS else queryset.order_by().count()
    return Shown(rows=rows, total=total)


def customer_page_context(customer: Customer) -> dict:
    """The customer page: who they are, and their orders (with items), refunds (with the approval ticket, if any),
    conversations and tickets, newest first, each capped at PAGE_ROWS with its total count."""
    approval_tickets = Prefetch("approval_tickets", queryset=Ticket.objects.order_by("created_at", "pk"),
                                to_attr="approval_ticket_list")
    tickets = customer_tickets(customer)
    return {
        "customer": customer,
        "account": customer.user if customer.user_id else None,
        "orders": _shown(customer_orders(customer).prefetch_related("items__product")),
        "refunds": _shown(customer_refunds(customer).select_related("order", "decided_by", "requested_by_user")
                          .prefetch_related(approval_tickets)),
        "conversations": _shown(customer_conversations(customer).select_related("assigned_agent")),
        "tickets": _shown(tickets.select_related("assignee")),
        "open_tickets": tickets.filter(status__in=[Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING])
        .count(),
        "rows_per_list": PAGE_ROWS,
    }
