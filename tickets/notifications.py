"""The emails a ticket sends its customer, queued in the transaction of the change they announce (helpdesk.outbox).

Each is keyed by what it announces (this ticket opened, this reply, this solve), so a retried service call never
emails twice. The links start with PUBLIC_URL and open the ticket with its signed link (tickets.links), which works
for a guest and a logged-in customer alike.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from helpdesk.models import OutboundEmail
from helpdesk.outbox import queue_email

from .hours import describe_opening
from .links import ticket_url
from .models import Ticket, TicketComment


def _context(ticket: Ticket, **extra) -> dict:
    return {"ticket": ticket, "ticket_url": ticket_url(ticket), "customer_name": ticket.customer_name, **extra}


def ticket_opened(ticket: Ticket, *, offline: bool = False, answer_expected_at=None) -> None:
    """Ticket `ticket` was filed for its customer. `offline`: it came from a live hand-off that nobody could take
    (outside business hours, or no agent available) and is answered by email; `answer_expected_at`: when the team
    is back, if it is closed now (worded as the chat words it: tickets.hours.describe_opening)."""
    queue_email(key=f"ticket:{ticket.pk}:opened", kind="handoff_offline" if offline else "ticket_opened",
                to=ticket.customer_email, language=ticket.language,
                context=_context(ticket, answer_expected_at=answer_expected_at,
                                 back_at=describe_opening(answer_expected_at, ticket.language, relative=False)
                                 if answer_expected_at else ""))


def reply_posted(comment: TicketComment) -> None:
    """An agent's public reply: the customer reads it in the email and answers from the link."""
    if not comment.public or comment.author_kind != TicketComment.Author.AGENT:
        return
    ticket = comment.ticket
    author = comment.author
    name = (author.first_name or author.get_username()) if author else ""
    queue_email(key=f"ticket-comment:{comment.pk}", kind="ticket_reply", to=ticket.customer_email,
                language=ticket.language, context=_context(ticket, comment=comment, agent_name=name))


def ticket_solved(ticket: Ticket) -> None:
    """The ticket is solved: the customer is asked how it went (the link opens the rating on the ticket page)."""
    solved_at = ticket.solved_at or timezone.now()
    queue_email(key=f"ticket:{ticket.pk}:solved:{int(solved_at.timestamp())}", kind="ticket_solved",
                to=ticket.customer_email, language=ticket.language,
                context=_context(ticket, rate_url=ticket_url(ticket) + "#rate"))


# A fresh link is emailed at most once per ticket in this many seconds, however often it is asked for.
FRESH_LINK_INTERVAL_SECONDS = 600


def fresh_link(ticket: Ticket) -> None:
    """A new signed link to `ticket`, to its own address, because an old one expired. Keyed by the ticket and a
    10-minute bucket, and skipped when one went out in the last 10 minutes: asking again and again sends nothing
    more (the two racing in one bucket share the key, so only one is stored)."""
    now = timezone.now()
    prefix = f"ticket:{ticket.pk}:link:"
    since = now - timedelta(seconds=FRESH_LINK_INTERVAL_SECONDS)
    if OutboundEmail.objects.filter(key__startswith=prefix, created_at__gte=since).exists():
        return
    bucket = int(now.timestamp()) // FRESH_LINK_INTERVAL_SECONDS
    queue_email(key=f"{prefix}{bucket}", kind="ticket_link", to=ticket.customer_email, language=ticket.language,
                context=_context(ticket, max_age_days=settings.TICKET_LINK_MAX_AGE_DAYS))
