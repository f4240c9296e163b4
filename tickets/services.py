"""The tickets app's verbs: open follow-ups and hand-offs, take one (atomically), solve.

Every change of the queue wakes the agents' queue group after commit so the admin changelist updates live.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from helpdesk.emails import check_email
from helpdesk.realtime import agents_queue_group, broadcast_on_commit
from helpdesk.statuses import Actor

from .exceptions import AlreadyTaken
from .models import Ticket

HANDOFF_PRIORITY = {"normal": Ticket.Priority.MEDIUM, "high": Ticket.Priority.HIGH, "urgent": Ticket.Priority.URGENT}


def _notify_queue(ticket: Ticket, change: str) -> None:
    broadcast_on_commit(
        agents_queue_group(),
        {"type": "queue.changed", "change": change, "ticket": ticket.number, "kind": ticket.kind},
    )


@transaction.atomic
def create_follow_up(
    *, subject: str, category: str, priority: str, description: str, customer_email: str, conversation_id=None,
    email_verified: bool = False,
) -> Ticket:
    """File a follow-up ticket for `customer_email`, stored in canonical form (InvalidEmail if it is not one address).

    `email_verified` is True only when the caller checked the email (the logged-in customer's, or one verified
    against an order); an email a guest merely typed is recorded as unverified, whoever it belongs to.
    """
    customer_email = check_email(customer_email)
    ticket = Ticket.objects.create(
        kind=Ticket.Kind.FOLLOW_UP,
        subject=subject[:200],
        category=category,
        priority=priority,
        description=description,
        customer_email=customer_email,
        email_verified=email_verified,
        conversation_id=conversation_id,
    )
    _notify_queue(ticket, "created")
    return ticket


def open_handoff_for(conversation_id) -> Ticket | None:
    return (
        Ticket.objects.filter(conversation_id=conversation_id, kind=Ticket.Kind.HANDOFF)
        .exclude(status__in=[Ticket.Status.SOLVED, Ticket.Status.CLOSED])
        .first()
    )


@transaction.atomic
def open_handoff(
    *,
    conversation_id,
    subject: str,
    reason: str,
    priority: str,
    summary: str,
    customer_email: str = "",
    category: str = Ticket.Category.OTHER,
    refund=None,
) -> tuple[Ticket, bool]:
    """Open the conversation's live hand-off, or return the one already open (raising its priority if needed).

    Returns (ticket, created).
    """
    existing = open_handoff_for(conversation_id)
    if existing is not None:
        if Ticket.PRIORITY_RANK[priority] < existing.priority_rank:
            existing.priority = priority
            existing.reason = reason[:300]
            existing.save(update_fields=["priority", "reason", "updated_at"])
            _notify_queue(existing, "updated")
        return existing, False
    ticket = Ticket.objects.create(
        kind=Ticket.Kind.HANDOFF,
        subject=subject[:200],
        category=category,
        priority=priority,
        reason=reason[:300],
        summary=summary,
        description=summary,
        customer_email=customer_email,
        email_verified=bool(customer_email),  # a hand-off carries only the conversation's verified email
        conversation_id=conversation_id,
        refund=refund,
    )
    _notify_queue(ticket, "created")
    return ticket, True


def queue_position(ticket: Ticket) -> int:
    """1 for the next hand-off an agent will take; counts unassigned open hand-offs ahead of this one."""
    ahead = Ticket.objects.filter(
        kind=Ticket.Kind.HANDOFF,
        assignee__isnull=True,
        status__in=[Ticket.Status.NEW, Ticket.Status.OPEN],
    ).filter(
        Q(priority_rank__lt=ticket.priority_rank)
        | Q(priority_rank=ticket.priority_rank, created_at__lt=ticket.created_at)
        | Q(priority_rank=ticket.priority_rank, created_at=ticket.created_at, pk__lt=ticket.pk)
    )
    return ahead.count() + 1


def take_ticket(*, ticket: Ticket, agent) -> Ticket:
    """Assign `ticket` to `agent` unless someone else already has it (a conditional update: exactly one wins, and
    only the winner's move to open is in the ticket's history)."""
    now = timezone.now()
    claimed = Ticket.claim_transition(
        ticket.pk, Ticket.Status.OPEN, actor=Actor.AGENT, user=agent,
        where=(Q(assignee__isnull=True) | Q(assignee=agent)) & ~Q(status__in=[Ticket.Status.SOLVED,
                                                                              Ticket.Status.CLOSED]),
        assignee=agent, assigned_at=now, updated_at=now,
    )
    ticket.refresh_from_db()
    if not claimed:
        if ticket.assignee_id and ticket.assignee_id != agent.pk:
            name = ticket.assignee.get_full_name() or ticket.assignee.get_username()
            raise AlreadyTaken(f"{name} has already taken this conversation.")
        raise AlreadyTaken("This ticket is already solved.", code="ticket_solved")
    _notify_queue(ticket, "taken")
    return ticket


# The statuses the model's pipeline lets go to solved (not solved itself: solving twice changes nothing).
SOLVABLE_STATUSES = Ticket.sources_of(Ticket.Status.SOLVED)


@transaction.atomic
def solve_ticket(*, ticket: Ticket, actor: str, user=None) -> Ticket:
    """Mark `ticket` solved by `actor` (`user`: the person) — a no-op if it already is. One conditional UPDATE:
    a concurrent solve or take cannot be overwritten by this copy of the row, and the queue is told once.

    A live hand-off's conversation is not ended here (tickets knows nothing of chats): staff solve a hand-off
    through desk.takeover.solve_from_queue, which closes the conversation and, with it, this ticket.
    """
    now = timezone.now()
    solved = Ticket.claim_transition(ticket.pk, Ticket.Status.SOLVED, actor=actor, user=user,
                                     where=Q(status__in=SOLVABLE_STATUSES), solved_at=now, updated_at=now)
    ticket.refresh_from_db()
    if solved:
        _notify_queue(ticket, "solved")
    return ticket


@transaction.atomic
def edit_ticket(*, ticket: Ticket, subject: str, category: str, priority: str, description: str) -> Ticket:
    """Change what staff may edit by hand: subject, category, priority (which moves it in the queue) and
    description. Only those columns are written, so the row's workflow state (status, assignee) as another
    process just set it is kept; the queue is told when something it shows changed."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    changes = {"subject": subject[:200], "category": category, "priority": priority, "description": description}
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if changed:
        for name in changed:
            setattr(locked, name, changes[name])
        locked.save(update_fields=[*changed, "updated_at"])
        _notify_queue(locked, "updated")
    return locked


def release_ticket(*, ticket: Ticket, agent) -> Ticket:
    """The agent hands the conversation back to the assistant: the hand-off is done."""
    return solve_ticket(ticket=ticket, actor=Actor.AGENT, user=agent)
