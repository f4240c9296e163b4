"""First-response service levels: is a ticket's first answer still due, late, or given in time?

The target is stored on the ticket when it is opened (`first_response_due_at`, from SLA_FIRST_RESPONSE_MINUTES per
priority, see tickets.services.first_response_due) and the first response when a person gives it
(`first_response_at`: their first public reply, or joining the live chat). This module only reads them, for the
queue's SLA column and the ticket's page.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from .models import Ticket


class FirstResponse:
    """The states (also the CSS class suffix of the queue's SLA column)."""

    DUE = "due"  # no answer yet, target ahead
    BREACHED = "breached"  # no answer yet, target passed
    MET = "met"  # answered by the target
    MISSED = "missed"  # answered after the target
    NONE = "none"  # no target, or closed without ever being answered


@dataclass(frozen=True)
class FirstResponseState:
    state: str
    due_at: datetime | None
    responded_at: datetime | None
    # How far from the target: the time left (due), since it passed (breached), to spare (met), too late (missed).
    delta: timedelta
    # Whether less than a quarter of the target's time is left (the queue shows it as urgent).
    soon: bool = False

    @property
    def label(self) -> str:
        """"12 min left", "breached 5 min ago", "met", "answered 3 h late", or "—"."""
        if self.state == FirstResponse.DUE:
            return _("%(duration)s left") % {"duration": short_duration(self.delta)}
        if self.state == FirstResponse.BREACHED:
            return _("breached %(duration)s ago") % {"duration": short_duration(self.delta)}
        if self.state == FirstResponse.MET:
            return _("met")
        if self.state == FirstResponse.MISSED:
            return _("answered %(duration)s late") % {"duration": short_duration(self.delta)}
        return "—"

    @property
    def waiting(self) -> bool:
        """No first response yet while a target runs (due or breached)."""
        return self.state in (FirstResponse.DUE, FirstResponse.BREACHED)


def short_duration(delta: timedelta) -> str:
    """A duration as the queue shows it, rounded down and never below a minute: "1 min", "3 h 05 min", "2 d 4 h"."""
    minutes = max(1, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours} if hours else _("%(days)d d") % {
            "days": days}
    if hours:
        return (_("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes} if minutes
                else _("%(hours)d h") % {"hours": hours})
    return _("%(minutes)d min") % {"minutes": minutes}


def first_response_state(ticket: Ticket, now: datetime) -> FirstResponseState:
    """Where `ticket` stands against its first-response target at `now`.

    Answered: met (by the target) or missed (after it). Not answered: due (time left) or breached (how long ago),
    while the ticket is open; a ticket solved or closed without an answer, or one without a target, has none.
    """
    due, responded = ticket.first_response_due_at, ticket.first_response_at
    if due is None:
        return FirstResponseState(FirstResponse.NONE, None, responded, timedelta(0))
    if responded is not None:
        if responded <= due:
            return FirstResponseState(FirstResponse.MET, due, responded, due - responded)
        return FirstResponseState(FirstResponse.MISSED, due, responded, responded - due)
    if not ticket.is_open:
        return FirstResponseState(FirstResponse.NONE, due, None, timedelta(0))
    if now < due:
        target = due - ticket.created_at if ticket.created_at else timedelta(0)
        left = due - now
        return FirstResponseState(FirstResponse.DUE, due, None, left, soon=left * 4 <= target)
    return FirstResponseState(FirstResponse.BREACHED, due, None, now - due)
