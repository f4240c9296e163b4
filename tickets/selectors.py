"""Reads of tickets for the customer's pages: their requests, one of them (only if it is theirs), its public thread.

A customer's tickets are the ones filed for their email address, compared in canonical form
(helpdesk.emails.canonical_email_or_blank): a ticket opened as a guest with the same address is theirs too.
"""

from django.db.models import QuerySet

from helpdesk.emails import canonical_email_or_blank

from .models import Ticket, TicketComment


def tickets_of_customer(email: str) -> QuerySet[Ticket]:
    """The tickets filed for `email` (a customer's stored address), most recent activity first; none when `email`
    is not a valid address (a malformed stored value matches nothing)."""
    canonical = canonical_email_or_blank(email)
    if not canonical:
        return Ticket.objects.none()
    return Ticket.objects.filter(customer_email__iexact=canonical).order_by("-updated_at", "-pk")


def ticket_of_customer(*, number: str, email: str) -> Ticket | None:
    """Ticket `number` if it was filed for `email`; None for an unknown number and for somebody else's ticket
    alike, so the answer never tells whether a number exists."""
    if not isinstance(number, str) or not number or len(number) > 20:
        return None
    return tickets_of_customer(email).filter(number=number.strip().upper()).first()


def public_thread(ticket: Ticket) -> list[TicketComment]:
    """The replies the customer may read, oldest first, with their authors: internal notes are never part of it."""
    return list(TicketComment.objects.filter(ticket=ticket, public=True).select_related("author")
                .order_by("created_at", "pk"))
