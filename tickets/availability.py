"""Who is there to answer: the support agents, whether each is available, the business hours, and what the customers
waiting in a live chat are told.

A support agent is an active staff user with the `tickets.change_ticket` permission (directly, through a group, or
as a superuser): the query twin of desk.permissions.is_support_agent. An agent is available unless their
AgentAvailability row says away; logging out of the site sets them away, logging in available again (the auth
signals, connected in TicketsConfig.ready: the only hook Django gives for a logout).

`staffing()` says whether a live hand-off can reach a person now (open hours and an available agent); when it
cannot, conversations.handoff files a follow-up instead. While customers wait, every move of the queue (a hand-off
created, taken, solved or re-prioritised, an agent's availability changed) tells each waiting conversation its
place in line and how many agents are available, after commit (`announce_waits_on_commit`).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from helpdesk.realtime import agents_queue_group, broadcast_on_commit, conversation_group

from . import hours
from .exceptions import InvalidAvailability
from .models import AgentAvailability, Ticket

PERMISSION_APP, PERMISSION_CODENAME = "tickets", "change_ticket"
# Waiting conversations told their place at each move of the queue; further down the line they learn it on their
# next connect or resume (their wait is long anyway).
MAX_ANNOUNCED_WAITS = 500


def support_agents() -> QuerySet:
    """Users who may work the desk: active staff with tickets.change_ticket, directly, by group or as superusers."""
    User = get_user_model()
    direct = User.user_permissions.through.objects.filter(
        user=OuterRef("pk"), permission__codename=PERMISSION_CODENAME, permission__content_type__app_label=PERMISSION_APP,
    )
    by_group = User.groups.through.objects.filter(
        user=OuterRef("pk"), group__permissions__codename=PERMISSION_CODENAME, group__permissions__content_type__app_label=PERMISSION_APP,
    )
    return User.objects.filter(is_active=True, is_staff=True).filter(
        Q(is_superuser=True) | Exists(direct) | Exists(by_group))


def available_agents() -> QuerySet:
    """Support agents who take live chats now: those who did not say they are away."""
    return support_agents().exclude(availability__status=AgentAvailability.Status.AWAY)


def agents_available() -> int:
    return available_agents().count()


def is_support_agent(user) -> bool:
    return bool(user and getattr(user, "pk", None) and support_agents().filter(pk=user.pk).exists())


def availability_of(user) -> str:
    """The user's status: available unless they said they are away."""
    status = AgentAvailability.objects.filter(user_id=user.pk).values_list("status", flat=True).first()
    return status or AgentAvailability.Status.AVAILABLE


@transaction.atomic
def set_availability(user, status: str) -> bool:
    """Set whether `user` takes live chats now (AgentAvailability.Status; InvalidAvailability otherwise). True if
    it changed: then the agents' queue and every waiting customer are told, after commit."""
    if status not in AgentAvailability.Status.values:
        raise InvalidAvailability(f"Choose one of: {', '.join(AgentAvailability.Status.values)}.")
    row, created = AgentAvailability.objects.get_or_create(user_id=user.pk, defaults={"status": status})
    if created:
        changed = status != AgentAvailability.Status.AVAILABLE  # no row meant available
    else:
        changed = bool(AgentAvailability.objects.filter(pk=row.pk).exclude(status=status)
                       .update(status=status, updated_at=timezone.now()))
    if changed:
        broadcast_on_commit(agents_queue_group(), {"type": "queue.changed", "change": "availability",
                                                   "ticket": None, "kind": None, "assignee": user.pk})
        announce_waits_on_commit()
    return changed


# --- staffing -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Staffing:
    """Whether a person can answer a live chat now: `open_now` (business hours), `agents_available`, and when the
    team is next back (`next_opening`, None while open)."""

    open_now: bool
    agents_available: int
    next_opening: datetime | None

    @property
    def live(self) -> bool:
        """A hand-off now reaches a person in the chat."""
        return self.open_now and self.agents_available > 0


def staffing(now: datetime | None = None) -> Staffing:
    now = now or timezone.now()
    business = hours.business_hours()
    open_now = business.is_open(now)
    return Staffing(open_now=open_now, agents_available=agents_available(),
                    next_opening=None if open_now else business.next_opening(now))


# --- the wait -----------------------------------------------------------------------------------------------------
def _waiting_line() -> QuerySet:
    """Live hand-offs nobody has taken yet, in the order agents take them (tickets.services.queue_position's)."""
    return (Ticket.objects.filter(kind=Ticket.Kind.HANDOFF, assignee__isnull=True,
                                  status__in=[Ticket.Status.NEW, Ticket.Status.OPEN])
            .order_by("priority_rank", "created_at", "pk"))


def position_in_line(ticket: Ticket) -> int:
    """1 for the next hand-off an agent will take: the untaken hand-offs ahead of `ticket`, plus one."""
    ahead = _waiting_line().filter(
        Q(priority_rank__lt=ticket.priority_rank)
        | Q(priority_rank=ticket.priority_rank, created_at__lt=ticket.created_at)
        | Q(priority_rank=ticket.priority_rank, created_at=ticket.created_at, pk__lt=ticket.pk)
    )
    return ahead.count() + 1


def wait_for(conversation_id) -> dict | None:
    """What the customer of a waiting conversation is shown: {"position", "agents_available"}; None when the
    conversation has no untaken hand-off (a person has it, or it is back with the assistant)."""
    ticket = _waiting_line().filter(conversation_id=conversation_id).first()
    if ticket is None:
        return None
    return {"position": position_in_line(ticket), "agents_available": agents_available()}


def announce_waits() -> None:
    """Tell every waiting conversation its place in line and the agents available (a `chat.wait` event on its
    group, which the customer's socket forwards as a `wait` frame)."""
    line = list(_waiting_line().values_list("conversation_id", flat=True)[:MAX_ANNOUNCED_WAITS])
    if not line:
        return
    available = agents_available()
    for position, conversation_id in enumerate(line, start=1):
        if conversation_id is not None:
            broadcast_on_commit(conversation_group(conversation_id),
                                {"type": "chat.wait", "position": position, "agents_available": available})


def announce_waits_on_commit() -> None:
    """After the current transaction commits (the queue as it then stands), tell the waiting customers."""
    transaction.on_commit(announce_waits)


# --- logging in and out -------------------------------------------------------------------------------------------
def _logged_in(sender, request, user, **kwargs) -> None:
    if is_support_agent(user):
        set_availability(user, AgentAvailability.Status.AVAILABLE)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and is_support_agent(user):
        set_availability(user, AgentAvailability.Status.AWAY)


def connect_login_signals() -> None:
    """An agent who logs out is away; one who logs in is available (called once, from TicketsConfig.ready)."""
    user_logged_in.connect(_logged_in, dispatch_uid="tickets.availability.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="tickets.availability.logged_out")
