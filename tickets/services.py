"""The tickets app's verbs: open follow-ups and hand-offs, take one (atomically), write in the thread, move the
status, solve, rate.

The status pipeline is new -> open (a person has it) -> pending (waiting for the customer's answer) -> solved ->
closed; a customer's reply reopens a pending, solved or closed ticket. Every move leaves a history row
(helpdesk.statuses). Every change of the queue wakes the agents' queue group after commit, so the queue and the
ticket's page update live; every email is queued in the same transaction (tickets.notifications).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from helpdesk.emails import check_email
from helpdesk.realtime import agents_queue_group, broadcast_on_commit
from helpdesk.statuses import Actor

from . import availability, hours, notifications
from .exceptions import AlreadyTaken, InvalidTicketRating, InvalidTicketReply
from .models import Ticket, TicketComment

MAX_COMMENT_CHARS = 5000

HANDOFF_PRIORITY = {"normal": Ticket.Priority.MEDIUM, "high": Ticket.Priority.HIGH, "urgent": Ticket.Priority.URGENT}


# The changes of a live hand-off that move the waiting line (its customers are told their new place).
LINE_CHANGES = {"created", "updated", "taken", "solved"}


def _notify_queue(ticket: Ticket, change: str) -> None:
    broadcast_on_commit(
        agents_queue_group(),
        {"type": "queue.changed", "change": change, "ticket": ticket.number, "kind": ticket.kind,
         "assignee": ticket.assignee_id,
         # The consoles open on the ticket's conversation update its side panel (priority, notes).
         "conversation": str(ticket.conversation_id) if ticket.conversation_id else None},
    )
    if ticket.kind == Ticket.Kind.HANDOFF and change in LINE_CHANGES:
        availability.announce_waits_on_commit()


def first_response_due(priority: str, created_at):
    """When a person should first answer a ticket of `priority` opened at `created_at`: SLA_FIRST_RESPONSE_MINUTES
    of business hours (tickets.hours; around the clock with BUSINESS_HOURS=always)."""
    minutes = settings.SLA_FIRST_RESPONSE_MINUTES.get(priority)
    return hours.business_hours().add_open_minutes(created_at, minutes) if minutes else None


def _with_sla(ticket: Ticket) -> Ticket:
    ticket.first_response_due_at = first_response_due(ticket.priority, ticket.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=ticket.first_response_due_at)
    return ticket


@transaction.atomic
def create_follow_up(
    *, subject: str, category: str, priority: str, description: str, customer_email: str, conversation_id=None,
    question: str = "",
    email_verified: bool = False, language: str = "en", customer_name: str = "", offline: bool = False,
    answer_expected_at=None, reason: str = "", summary: str = "", refund=None,
) -> Ticket:
    """File a follow-up ticket for `customer_email`, stored in canonical form (InvalidEmail if it is not one address),
    and email the customer its number and link (in `language`).

    `email_verified` is True only when the caller checked the email (the logged-in customer's, or one verified
    against an order); an email a guest merely typed is recorded as unverified, whoever it belongs to. `offline`:
    the follow-up replaces a live hand-off nobody could take (the email says so, and when to expect an answer:
    `answer_expected_at`, as the customer reads it); `reason` says why the conversation was handed to a person
    (which marks it as such a follow-up), `summary` is the hand-off's summary for the agent, `refund` the refund
    awaiting a person's approval, if that is what it is about.
    """
    customer_email = check_email(customer_email)
    ticket = Ticket.objects.create(
        kind=Ticket.Kind.FOLLOW_UP,
        subject=subject[:200],
        category=category,
        priority=priority,
        description=description,
        question=question,
        customer_email=customer_email,
        customer_name=customer_name[:120],
        language=language,
        email_verified=email_verified,
        conversation_id=conversation_id,
        reason=reason[:300],
        summary=summary,
        refund=refund,
    )
    _with_sla(ticket)
    notifications.ticket_opened(ticket, offline=offline, answer_expected_at=answer_expected_at)
    _notify_queue(ticket, "created")
    return ticket


def open_follow_up_for(conversation_id) -> Ticket | None:
    """The conversation's open follow-up, if any: one per conversation, so a further request for a ticket, or a
    hand-off nobody can take, reuses it instead of filing (and emailing) another."""
    return (
        Ticket.objects.filter(conversation_id=conversation_id, kind=Ticket.Kind.FOLLOW_UP,
                              status__in=[Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING])
        .order_by("-created_at", "-pk")
        .first()
    )


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
    language: str = "en",
    customer_name: str = "",
    question: str = "",
) -> tuple[Ticket, bool]:
    """Open the conversation's live hand-off, or return the one already open (raising its priority if needed).

    Returns (ticket, created).
    """
    existing = open_handoff_for(conversation_id)
    if existing is not None:
        raise_priority(ticket=existing, priority=priority, reason=reason)
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
        customer_name=customer_name[:120],
        language=language,
        question=question,
        email_verified=bool(customer_email),  # a hand-off carries only the conversation's verified email
        conversation_id=conversation_id,
        refund=refund,
    )
    _with_sla(ticket)
    _notify_queue(ticket, "created")
    return ticket, True


def raise_priority(*, ticket: Ticket, priority: str, reason: str) -> Ticket:
    """A second hand-off of the same conversation: its ticket takes the higher priority (and its reason), moving up
    in the queue; a lower one changes nothing."""
    if Ticket.PRIORITY_RANK[priority] < ticket.priority_rank:
        ticket.priority = priority
        ticket.reason = reason[:300]
        ticket.first_response_due_at = first_response_due(priority, ticket.created_at)
        ticket.save(update_fields=["priority", "reason", "first_response_due_at", "updated_at"])
        _notify_queue(ticket, "updated")
    return ticket


def open_ticket_for_refund(refund) -> Ticket | None:
    """The open ticket asking a person to approve `refund`, if any."""
    return (Ticket.objects.filter(refund=refund, status__in=[Ticket.Status.NEW, Ticket.Status.OPEN,
                                                             Ticket.Status.PENDING])
            .order_by("-created_at", "-pk").first())


def queue_position(ticket: Ticket) -> int:
    """1 for the next hand-off an agent will take; counts unassigned open hand-offs ahead of this one."""
    return availability.position_in_line(ticket)


def take_ticket(*, ticket: Ticket, agent) -> Ticket:
    """Assign `ticket` to `agent` unless someone else already has it (a conditional update: exactly one wins, and
    only the winner's move to open is in the ticket's history)."""
    now = timezone.now()
    # Joining a live chat is the first response; assigning a follow-up is not (its first public reply is).
    responded = {"first_response_at": now} if ticket.kind == Ticket.Kind.HANDOFF and not ticket.first_response_at else {}
    claimed = Ticket.claim_transition(
        ticket.pk, Ticket.Status.OPEN, actor=Actor.AGENT, user=agent, **responded,
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


def transfer_ticket(*, ticket: Ticket, from_agent, to_agent) -> Ticket:
    """Give `ticket` from `from_agent` (who has it, or nobody does) to `to_agent`, its status unchanged. One
    conditional UPDATE: AlreadyTaken if someone else took it meanwhile or it is solved."""
    now = timezone.now()
    moved = (Ticket.objects.filter(Q(assignee__isnull=True) | Q(assignee=from_agent), pk=ticket.pk)
             .exclude(status__in=[Ticket.Status.SOLVED, Ticket.Status.CLOSED])
             .update(assignee=to_agent, assigned_at=now, updated_at=now))
    ticket.refresh_from_db()
    if not moved:
        raise AlreadyTaken("This ticket is no longer yours to transfer.", code="ticket_moved")
    _notify_queue(ticket, "transferred")
    return ticket


# The statuses the model's pipeline lets go to solved (not solved itself: solving twice changes nothing).
SOLVABLE_STATUSES = Ticket.sources_of(Ticket.Status.SOLVED)


@transaction.atomic
def solve_ticket(*, ticket: Ticket, actor: str, user=None, note: str = "", email_customer: bool | None = None) -> Ticket:
    """Mark `ticket` solved by `actor` (`user`: the person; `note`: why, in its history) — a no-op if it already
    is. One conditional UPDATE: a concurrent solve or take cannot be overwritten by this copy of the row, and the
    queue is told once. `email_customer`: whether the customer is emailed that it is solved (with a rating link);
    by default a follow-up's customer is, a hand-off's (who was in the chat) is not.

    A live hand-off's conversation is not ended here (tickets knows nothing of chats): staff solve a hand-off
    through desk.takeover.solve_from_queue, which closes the conversation and, with it, this ticket.
    """
    now = timezone.now()
    solved = Ticket.claim_transition(ticket.pk, Ticket.Status.SOLVED, actor=actor, user=user, note=note,
                                     where=Q(status__in=SOLVABLE_STATUSES), solved_at=now, updated_at=now)
    ticket.refresh_from_db()
    if solved:
        if email_customer or (email_customer is None and ticket.kind == Ticket.Kind.FOLLOW_UP):
            notifications.ticket_solved(ticket)
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
        if "priority" in changed:
            locked.first_response_due_at = first_response_due(priority, locked.created_at)
            changed.append("first_response_due_at")
        locked.save(update_fields=[*changed, "updated_at"])
        _notify_queue(locked, "updated")
    return locked


def release_ticket(*, ticket: Ticket, agent) -> Ticket:
    """The agent hands the conversation back to the assistant: the hand-off is done."""
    return solve_ticket(ticket=ticket, actor=Actor.AGENT, user=agent)


# --- the thread ---------------------------------------------------------------------------------------------------
def _clean_body(body) -> str:
    text = (body if isinstance(body, str) else "").replace("\x00", "").strip()
    if not text:
        raise InvalidTicketReply("Please write a message before sending.", code="empty_reply")
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidTicketReply(f"Please keep a message under {MAX_COMMENT_CHARS:,} characters.",
                                 code="reply_too_long")
    return text


@transaction.atomic
def reply_to_customer(*, ticket: Ticket, agent, body: str) -> TicketComment:
    """An agent's public reply: added to the thread and emailed to the customer. It is the ticket's first response
    if none came before; the ticket is now the agent's if it was no one's, and waits for the customer (pending)."""
    text = _clean_body(body)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    comment = TicketComment.objects.create(ticket=locked, public=True, author_kind=TicketComment.Author.AGENT,
                                           author=agent, body=text)
    now = timezone.now()
    fields = ["updated_at"]
    if locked.first_response_at is None:
        locked.first_response_at = now
        fields.append("first_response_at")
    if locked.assignee_id is None:
        locked.assignee, locked.assigned_at = agent, now
        fields += ["assignee", "assigned_at"]
    if locked.status in (Ticket.Status.NEW, Ticket.Status.OPEN):
        locked.transition_to(Ticket.Status.PENDING, actor=Actor.AGENT, user=agent, note=gettext_noop("Replied to the customer"))
        fields.append("status")
    locked.save(update_fields=fields)
    comment.ticket = locked
    notifications.reply_posted(comment)
    _notify_queue(locked, "replied")
    return comment


@transaction.atomic
def add_internal_note(*, ticket: Ticket, agent, body: str) -> TicketComment:
    """A note for the team only: never shown to the customer, never emailed."""
    text = _clean_body(body)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    comment = TicketComment.objects.create(ticket=locked, public=False, author_kind=TicketComment.Author.AGENT,
                                           author=agent, body=text)
    locked.save(update_fields=["updated_at"])
    _notify_queue(locked, "noted")
    return comment


# The statuses a customer's reply brings back to a person.
REOPENED_BY_CUSTOMER = (Ticket.Status.PENDING, Ticket.Status.SOLVED, Ticket.Status.CLOSED)


@transaction.atomic
def reply_as_customer(*, ticket: Ticket, body: str) -> TicketComment:
    """The customer answers (from their requests page or the emailed link): added to the thread; a pending, solved
    or closed ticket is open again, and the queue and the assignee see it live."""
    text = _clean_body(body)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    comment = TicketComment.objects.create(ticket=locked, public=True, author_kind=TicketComment.Author.CUSTOMER,
                                           body=text)
    fields = ["updated_at"]
    if locked.status in REOPENED_BY_CUSTOMER:
        locked.transition_to(Ticket.Status.OPEN, actor=Actor.CUSTOMER, note=gettext_noop("The customer replied"))
        locked.solved_at = None
        fields += ["status", "solved_at"]
    locked.save(update_fields=fields)
    _notify_queue(locked, "customer_replied")
    return comment


# What staff may set by hand from the ticket's page (solving goes through solve_ticket, taking through take_ticket).
MANUAL_STATUSES = (Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.CLOSED)


@transaction.atomic
def move_ticket(*, ticket: Ticket, status: str, user, note: str = "") -> Ticket:
    """Staff move a ticket to open, pending or closed (InvalidTicketTransition if its pipeline does not allow it);
    solved goes through solve_ticket, which emails the customer."""
    if status == Ticket.Status.SOLVED:
        return solve_ticket(ticket=ticket, actor=Actor.AGENT, user=user, note=note)
    if status not in MANUAL_STATUSES:
        raise Ticket.transition_error(f"A ticket cannot be set to {status} by hand.")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    locked.transition_to(status, actor=Actor.AGENT, user=user, note=note)
    fields = ["status", "updated_at"]
    if status == Ticket.Status.OPEN and locked.assignee_id is None:
        locked.assignee, locked.assigned_at = user, timezone.now()
        fields += ["assignee", "assigned_at"]
    locked.save(update_fields=fields)
    _notify_queue(locked, "updated")
    return locked


@transaction.atomic
def rate_ticket(*, ticket: Ticket, score, comment: str = "") -> Ticket:
    """The customer rates a solved ticket (1 to 5), from the link in the solved email; a new rating replaces it."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidTicketRating("The rating must be a whole number from 1 to 5.", code="invalid_rating")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status not in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        raise InvalidTicketRating("You can rate the request once it is solved.", code="not_solved")
    locked.csat_score = score
    locked.csat_comment = (comment or "").strip()[:1000]
    locked.save(update_fields=["csat_score", "csat_comment"])
    return locked


@transaction.atomic
def email_fresh_link(*, ticket: Ticket) -> None:
    """Someone opened an expired link to `ticket`: email a new one to the ticket's own address (never an address
    the visitor gives), at most once per ticket per 10 minutes. The row lock makes two requests at once take turns,
    so the second sees the first's email. Returns nothing: the page answers the same whatever happened."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.customer_email:
        notifications.fresh_link(locked)
