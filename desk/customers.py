"""Reads for the customer page of the desk: who a conversation or a ticket is about, and everything about them.

A conversation names its customer when they were logged in, or through the email they verified in the chat; a
ticket through its conversation, or its email when that email was checked (a guest may type anybody's address, so
an unchecked one never links to somebody's orders)."""

from django.db.models import Q

from conversations.models import Conversation
from orders.models import Customer, Order, Refund
from orders.services import find_customer_by_email
from tickets.models import Ticket


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


def customer_page_context(customer: Customer) -> dict:
    """The customer page: their orders (with items), refunds, conversations and tickets, newest first."""
    email_match = Q(customer_email__iexact=customer.email, email_verified=True)
    return {
        "customer": customer,
        "orders": Order.objects.filter(customer=customer).prefetch_related("items__product").order_by("-placed_at"),
        "refunds": Refund.objects.filter(order__customer=customer).select_related("order", "decided_by")
        .order_by("-created_at"),
        "conversations": Conversation.objects.filter(Q(customer=customer) | Q(verified_email__iexact=customer.email))
        .select_related("assigned_agent").order_by("-started_at"),
        "tickets": Ticket.objects.filter(email_match | Q(conversation__customer=customer)).distinct()
        .select_related("assignee").order_by("-created_at"),
    }
