"""Reads for the desk: the queue's count, and everything an agent needs to know about a conversation's customer."""

from django.db.models import Q

from conversations.models import Conversation, ConversationEvent
from orders.models import Order
from tickets import availability
from tickets.hours import describe_opening
from tickets.models import Ticket


def console_context(conversation: Conversation) -> dict:
    email = conversation.verified_email or (conversation.customer.email if conversation.customer else "")
    customer_filter = Q(customer=conversation.customer) if conversation.customer else Q(customer__email__iexact=email)
    orders = (
        Order.objects.filter(customer_filter).select_related("customer").prefetch_related("items__product")
        .order_by("-placed_at")[:10]
        if (conversation.customer or email) else []
    )
    # Only tickets whose email was checked: a guest may file one under anybody's address.
    tickets = (Ticket.objects.filter(customer_email__iexact=email, email_verified=True)
               .exclude(conversation=conversation)[:10] if email else [])
    handoff = (
        conversation.tickets.filter(kind=Ticket.Kind.HANDOFF).order_by("-created_at").first()
    )
    decisions = conversation.events.filter(
        kind__in=[ConversationEvent.Kind.ESCALATION_DECISION, ConversationEvent.Kind.ESCALATED,
                  ConversationEvent.Kind.ABUSE_WARNING, ConversationEvent.Kind.AGENT_JOINED,
                  ConversationEvent.Kind.HANDED_BACK, ConversationEvent.Kind.VERIFICATION_FAILED,
                  ConversationEvent.Kind.LIMIT_HIT, ConversationEvent.Kind.FAULT, ConversationEvent.Kind.CLOSED]
    ).select_related("actor_user")
    earlier = Conversation.objects.filter(
        Q(customer=conversation.customer) if conversation.customer else Q(verified_email__iexact=email)
    ).exclude(pk=conversation.pk).order_by("-started_at")[:5] if (conversation.customer or email) else []
    return {
        "email": email,
        "orders": orders,
        "earlier_tickets": tickets,
        "handoff": handoff,
        "decisions": decisions,
        "earlier_conversations": earlier,
    }


def waiting_handoffs() -> int:
    """Live hand-offs no agent has taken yet (the queue's badge and the tab title)."""
    return Ticket.objects.filter(kind=Ticket.Kind.HANDOFF, assignee__isnull=True,
                                 status__in=[Ticket.Status.NEW, Ticket.Status.OPEN]).count()


def staffing_panel(user, *, language: str) -> dict:
    """What the desk's header shows an agent: their own status, how many agents are available, and whether the
    business is closed (and until when, worded in `language`)."""
    staffed = availability.staffing()
    return {
        "status": availability.availability_of(user),
        "agents_available": staffed.agents_available,
        "open_now": staffed.open_now,
        "back": describe_opening(staffed.next_opening, language) if staffed.next_opening else "",
    }
