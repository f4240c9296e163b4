"""Reads for the queue, the desk page an agent works from all day: its views (mine, unassigned, all open) with
their counts, and its rows in the order a team answers them.

The order: live hand-offs whose customer is waiting in the chat right now first, then by priority (urgent first),
then the tickets still owed a first answer by their SLA target (most overdue first), then the oldest. Each view shows
at most QUEUE_CAP rows (and says how many it has); "All tickets" (the Ticket changelist) searches the rest.

The page and its live fragment are one read (queue_page): the rows, the counts of the tabs and the waiting count
of the tab title come from the same queries at the same moment, so they never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conversations.models import Conversation
from helpdesk.emails import canonical_email_or_blank
from orders.models import Customer
from tickets.models import Ticket
from tickets.sla import FirstResponseState, first_response_state, short_duration

QUEUE_CAP = 100  # rows per view

OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)

# A hand-off whose customer is in the chat now, waiting for a person to join (nobody has taken it yet).
CUSTOMER_WAITING = Q(kind=Ticket.Kind.HANDOFF, status__in=OPEN_STATUSES, assignee__isnull=True,
                     conversation__status=Conversation.Status.WAITING)

# A chat that is still going on (the console is where the agent works it).
_LIVE_CHAT = (Conversation.Status.BOT, Conversation.Status.WAITING, Conversation.Status.AGENT)


@dataclass(frozen=True)
class QueueView:
    key: str
    label: str

    def matches(self, user) -> Q:
        if self.key == "mine":
            return Q(assignee=user)
        if self.key == "unassigned":
            return Q(assignee__isnull=True)
        return Q()


VIEWS = (
    QueueView("mine", gettext_lazy("Mine")),
    QueueView("unassigned", gettext_lazy("Unassigned")),
    QueueView("open", gettext_lazy("All open")),
)
DEFAULT_VIEW = "open"


def view_named(key: str) -> QueueView:
    """The view `key` names; the default one (all open) for anything else."""
    return next((view for view in VIEWS if view.key == key), next(v for v in VIEWS if v.key == DEFAULT_VIEW))


@dataclass(frozen=True)
class QueueTab:
    view: QueueView
    count: int
    current: bool


@dataclass(frozen=True)
class QueueAction:
    kind: str  # take_over (an unassigned hand-off whose customer waits), console (another chat), ticket
    label: str
    url: str


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    customer: Customer | None  # the store's customer the ticket is about (desk.customers.customer_of's rule)
    customer_waiting: bool  # a live hand-off whose customer waits in the chat
    chat_label: str  # the live chat's state, for a ticket with one ("waiting in the chat", "with Sam"); else ""
    waiting: str  # how long the ticket has been open, as the queue says it ("12 min", "3 h 05 min")
    sla: FirstResponseState
    action: QueueAction


@dataclass(frozen=True)
class QueuePage:
    view: QueueView
    tabs: tuple[QueueTab, ...]
    rows: tuple[QueueRow, ...]
    total: int  # in the current view (the rows are the first QUEUE_CAP of them)
    waiting: int  # customers waiting in the chat for a person (the tab title's count)
    waiting_tickets: tuple[Ticket, ...]  # …their hand-offs, whichever the view (the notification names them)

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


def open_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.filter(status__in=OPEN_STATUSES)


def queue_order(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Customers waiting in the chat first, then urgent to low, then by first-response target (tickets still owed
    their first answer, the most overdue first), then the oldest."""
    return queryset.annotate(
        customer_waiting=Case(When(CUSTOMER_WAITING, then=Value(0)), default=Value(1), output_field=IntegerField()),
        first_response_order=Case(When(first_response_at__isnull=True, then=F("first_response_due_at")),
                                  default=None, output_field=DateTimeField()),
    ).order_by("customer_waiting", "priority_rank", F("first_response_order").asc(nulls_last=True), "created_at",
               "pk")


def waiting_count() -> int:
    """Customers waiting in the chat for a person to take their hand-off."""
    return Ticket.objects.filter(CUSTOMER_WAITING).count()


def _view_counts(user) -> dict[str, int]:
    return open_tickets().aggregate(**{view.key: Count("pk", filter=view.matches(user)) for view in VIEWS})


def _customers_by_email(tickets: list[Ticket]) -> dict[str, Customer]:
    """The store's customers of the tickets identified by a checked email (one query for the page)."""
    emails = {canonical_email_or_blank(ticket.customer_email) for ticket in tickets
              if ticket.email_verified and not (ticket.conversation_id and ticket.conversation.customer_id)}
    emails.discard("")
    if not emails:
        return {}
    query = Q()
    for email in emails:
        query |= Q(email__iexact=email)
    return {canonical_email_or_blank(customer.email): customer for customer in Customer.objects.filter(query)}


def _customer(ticket: Ticket, by_email: dict[str, Customer]) -> Customer | None:
    """As desk.customers.customer_of: the conversation's customer, or the one of a checked email."""
    if ticket.conversation_id and ticket.conversation.customer_id:
        return ticket.conversation.customer
    if ticket.email_verified:
        return by_email.get(canonical_email_or_blank(ticket.customer_email))
    return None


def _holder_name(user) -> str:
    return user.first_name or user.get_username()


def _chat_label(ticket: Ticket) -> str:
    conversation = ticket.conversation
    if conversation is None or conversation.status not in _LIVE_CHAT:
        return ""
    if conversation.status == Conversation.Status.WAITING:
        return _("waiting in the chat")
    if conversation.status == Conversation.Status.AGENT and conversation.assigned_agent_id:
        return _("in the chat with %(name)s") % {"name": _holder_name(conversation.assigned_agent)}
    return _("in the chat with the assistant")


def _action(ticket: Ticket, customer_waiting: bool) -> QueueAction:
    """Take over: an unassigned hand-off whose customer waits (the console, where the take-over happens). Open
    console: another chat still going on. Open ticket: everything else."""
    conversation = ticket.conversation
    if customer_waiting:
        return QueueAction("take_over", _("Take over"), reverse("agent-console", args=[conversation.pk]))
    if conversation is not None and conversation.status in _LIVE_CHAT:
        return QueueAction("console", _("Open console"), reverse("agent-console", args=[conversation.pk]))
    return QueueAction("ticket", _("Open ticket"), reverse("desk-ticket", args=[ticket.number]))


def _row(ticket: Ticket, customer: Customer | None, now: datetime) -> QueueRow:
    waiting = bool(ticket.customer_waiting == 0)
    return QueueRow(
        ticket=ticket,
        customer=customer,
        customer_waiting=waiting,
        chat_label=_chat_label(ticket),
        waiting=short_duration(max(now - ticket.created_at, timedelta(0))),
        sla=first_response_state(ticket, now),
        action=_action(ticket, waiting),
    )


def queue_page(*, user, view: str, now: datetime) -> QueuePage:
    """The queue as `user` sees it in `view` (mine, unassigned, open; anything else is open) at `now`."""
    current = view_named(view)
    counts = _view_counts(user)
    tickets = list(
        queue_order(open_tickets().filter(current.matches(user)))
        .select_related("assignee", "conversation__customer", "conversation__assigned_agent")[:QUEUE_CAP]
    )
    by_email = _customers_by_email(tickets)
    waiting_tickets = tuple(queue_order(Ticket.objects.filter(CUSTOMER_WAITING)).only("number", "subject"))
    return QueuePage(
        view=current,
        tabs=tuple(QueueTab(view=v, count=counts[v.key], current=v.key == current.key) for v in VIEWS),
        rows=tuple(_row(ticket, _customer(ticket, by_email), now) for ticket in tickets),
        total=counts[current.key],
        waiting=len(waiting_tickets),
        waiting_tickets=waiting_tickets,
    )
