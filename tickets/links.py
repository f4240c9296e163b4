"""The signed, expiring link that lets a guest open their ticket from an email, with no account.

The token names the ticket and a fingerprint of its customer's email, signed with SECRET_KEY and timestamped: it
cannot be edited to name another ticket, it stops working after TICKET_LINK_MAX_AGE_DAYS, and it stops working if
the ticket's email changes. Whoever holds the link reads and answers that one ticket, nothing else.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .exceptions import ExpiredTicketLink, InvalidTicketLink
from .models import Ticket

_SALT = "tickets.guest-link"


def _email_fingerprint(email: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{email.lower()}".encode()).hexdigest()[:16]


def link_token(ticket: Ticket) -> str:
    return signing.dumps({"t": ticket.pk, "e": _email_fingerprint(ticket.customer_email)}, salt=_SALT, compress=True)


def ticket_for_token(token: str) -> Ticket:
    """The ticket `token` opens; ExpiredTicketLink past its age (its ticket number attached, to offer a fresh
    link), InvalidTicketLink when it was tampered with or no longer matches the ticket."""
    max_age = timedelta(days=settings.TICKET_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired:
        payload = _payload_ignoring_age(token)
        error = ExpiredTicketLink()
        error.ticket = _matching_ticket(payload)
        raise error from None
    except signing.BadSignature:
        raise InvalidTicketLink() from None
    ticket = _matching_ticket(payload)
    if ticket is None:
        raise InvalidTicketLink()
    return ticket


def _payload_ignoring_age(token: str) -> dict:
    try:
        return signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return {}


def _matching_ticket(payload) -> Ticket | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        return None
    ticket = Ticket.objects.filter(pk=payload["t"]).first()
    if ticket is None or not ticket.customer_email or payload.get("e") != _email_fingerprint(ticket.customer_email):
        return None
    return ticket


def ticket_url(ticket: Ticket) -> str:
    """The absolute link to `ticket` for its customer's emails (PUBLIC_URL + the signed path)."""
    return settings.PUBLIC_URL + reverse("storefront:ticket-link", args=[link_token(ticket)])
