"""Support KPIs over a date range, computed by the database (aggregations, no Python loops over rows).

The range selects conversations by `started_at` in [start, end), optionally one language. Definitions:
- CSAT: average and distribution of the 1-5 ratings given.
- Auto-resolution rate: closed conversations resolved by the assistant with no person involved (never escalated,
  no agent joined) / closed conversations.
- Escalation rate: conversations handed to a person (escalated_at set) / all conversations.
- Resolution time: closed_at - started_at of closed conversations, average and median.
- Reopen rate: closed conversations that were reopened / closed conversations of identified customers. A
  conversation is reopened when the same customer comes back within 7 days of its close about one of the same
  orders: the later conversation links to it (Conversation.reopened_from) the moment it verifies that order
  (chat/tools.py). Anonymous conversations (never verified) cannot be followed and are left out of both sides.
- First response: first_response_at - started_at (first assistant or agent text), average.
- Messages per conversation: customer, assistant and agent messages with text / conversations.
- Tool calls and failure rate: tool results recorded, and the share refused or failed (Message.tool_calls/errors).
- Refunds: completed refunds made in these conversations, count and total per currency.
- Model tokens: input, output, cache reads and writes of every model call, and the estimated cost at the prices
  below (the offline assistant costs nothing).
- Ticket first response (service levels): first_response_at - created_at (a person's first public reply, or joining
  the live chat) of the tickets whose first response came in the range, in the ticket's language: median and 90th
  percentile (nearest rank).
- SLA breaches: tickets created in the range with a first-response target (first_response_due_at, in business
  hours) that missed it: answered after it, or not answered and overdue (still open past it, or solved after it
  with no response). Count and share of the tickets with a target.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assistant.limits import FREE_MODELS
from conversations.models import Conversation, Message
from orders.models import Refund
from tickets.models import Ticket

# US dollars per million tokens (Claude Sonnet list prices); cache writes 1.25x and reads 0.1x the input price.
PRICE_PER_MILLION = getattr(settings, "KPI_PRICE_PER_MILLION", {"input": 3.0, "output": 15.0})

TARGETS = {
    "csat": (">", 4.2),
    "auto_resolution_rate": (">", 0.70),
    "escalation_rate": ("<", 0.20),
    "avg_resolution_seconds": ("<", 180.0),
    "reopen_rate": ("<", 0.05),
}


@dataclass
class Kpi:
    key: str
    label: str
    value: float | None
    unit: str = ""

    @property
    def target(self) -> tuple[str, float] | None:
        return TARGETS.get(self.key)

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        sign, threshold = self.target
        return self.value > threshold if sign == ">" else self.value < threshold


@dataclass
class SupportKpis:
    start: datetime
    end: datetime
    language: str | None
    conversations: int = 0
    closed: int = 0
    csat_average: float | None = None
    csat_distribution: dict = field(default_factory=dict)
    csat_responses: int = 0
    auto_resolution_rate: float | None = None
    escalation_rate: float | None = None
    avg_resolution_seconds: float | None = None
    median_resolution_seconds: float | None = None
    reopen_rate: float | None = None
    avg_first_response_seconds: float | None = None
    messages_per_conversation: float | None = None
    tool_calls: int = 0
    tool_failure_rate: float | None = None
    refunds_count: int = 0
    refunds_total: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    estimated_cost_usd: float = 0.0
    first_responses: int = 0
    median_ticket_first_response_seconds: float | None = None
    p90_ticket_first_response_seconds: float | None = None
    sla_tickets: int = 0
    sla_breaches: int = 0
    sla_breach_rate: float | None = None

    def headline(self) -> list[Kpi]:
        """The source document's five KPIs, each with its target."""
        return [
            Kpi("csat", _("CSAT"), self.csat_average, "/5"),
            Kpi("auto_resolution_rate", _("Auto-resolution"), self.auto_resolution_rate, "%"),
            Kpi("escalation_rate", _("Escalation"), self.escalation_rate, "%"),
            Kpi("avg_resolution_seconds", _("Average resolution time"), self.avg_resolution_seconds, "s"),
            Kpi("reopen_rate", _("Reopen rate"), self.reopen_rate, "%"),
        ]


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    return (datetime.combine(first, time.min, tzinfo=tz), datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz))


def conversations_in(start: datetime, end: datetime, language: str | None = None):
    queryset = Conversation.objects.filter(started_at__gte=start, started_at__lt=end)
    return queryset.filter(language=language) if language else queryset


def _ratio(part, whole) -> float | None:
    return part / whole if whole else None


def _seconds(duration) -> float | None:
    return duration.total_seconds() if duration is not None else None


RESOLUTION = ExpressionWrapper(F("closed_at") - F("started_at"), output_field=DurationField())
FIRST_RESPONSE = ExpressionWrapper(F("first_response_at") - F("started_at"), output_field=DurationField())


CLOSED = Q(status=Conversation.Status.CLOSED)
RESOLVED = CLOSED & Q(closed_at__isnull=False)
AUTO_RESOLVED = CLOSED & Q(outcome=Conversation.Outcome.RESOLVED_BY_ASSISTANT, escalated_at__isnull=True,
                           agent_joined_at__isnull=True)
# Closed conversations of a customer who can be followed (identified or verified): the reopen rate's population.
IDENTIFIED_CLOSED = RESOLVED & (Q(customer__isnull=False) | ~Q(verified_email=""))


def reopened():
    """Conversations that a later conversation about one of the same orders reopened. An uncorrelated IN: the
    database collects the few reopened ones once (hashed) instead of probing for each conversation."""
    return Q(pk__in=Conversation.objects.filter(reopened_from__isnull=False).values("reopened_from"))


def compute_kpis(start: datetime, end: datetime, language: str | None = None) -> SupportKpis:
    """Every KPI of the range in a fixed handful of queries, whatever its size: one pass over the conversations
    (conditional aggregation), one read of the middle resolution times, one pass over their messages, the refunds
    and the tickets."""
    conversations = conversations_in(start, end, language)
    totals = conversations.aggregate(
        count=Count("pk"),
        closed=Count("pk", filter=CLOSED),
        auto=Count("pk", filter=AUTO_RESOLVED),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        csat=Avg("csat_score"),
        csat_count=Count("csat_score"),
        **{f"csat_{n}": Count("pk", filter=Q(csat_score=n)) for n in range(1, 6)},
        resolved=Count("pk", filter=RESOLVED),
        resolution=Avg(RESOLUTION, filter=RESOLVED),
        first_response=Avg(FIRST_RESPONSE, filter=Q(first_response_at__isnull=False)),
        identified_closed=Count("pk", filter=IDENTIFIED_CLOSED),
        reopened=Count("pk", filter=IDENTIFIED_CLOSED & reopened()),
    )
    kpis = SupportKpis(start=start, end=end, language=language)
    kpis.conversations = totals["count"]
    kpis.closed = totals["closed"]
    kpis.csat_average = round(totals["csat"], 2) if totals["csat"] is not None else None
    kpis.csat_responses = totals["csat_count"]
    kpis.csat_distribution = {n: totals[f"csat_{n}"] for n in range(1, 6)}
    kpis.auto_resolution_rate = _ratio(totals["auto"], totals["closed"])
    kpis.escalation_rate = _ratio(totals["escalated"], totals["count"])
    kpis.avg_resolution_seconds = _seconds(totals["resolution"])
    kpis.avg_first_response_seconds = _seconds(totals["first_response"])
    kpis.median_resolution_seconds = median_resolution_seconds(conversations, totals["resolved"])
    kpis.reopen_rate = _ratio(totals["reopened"], totals["identified_closed"])
    _message_kpis(kpis, conversations)
    _refund_kpis(kpis, conversations)
    _service_level_kpis(kpis, start, end, language)
    return kpis


def median_resolution_seconds(conversations, resolved: int) -> float | None:
    """The median in the database: read the one or two middle rows, in order, of the `resolved` (counted by the
    caller's aggregate) closed conversations."""
    if not resolved:
        return None
    ordered = conversations.filter(RESOLVED).annotate(resolution=RESOLUTION).order_by("resolution")
    middle = _ordered_seconds_at(ordered.values_list("resolution", flat=True), [(resolved - 1) // 2, resolved // 2])
    return sum(middle) / len(middle)


TICKET_FIRST_RESPONSE = ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
OPEN_TICKET_STATUSES = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING]


def _ordered_seconds_at(ordered, positions: list[int]) -> list[float]:
    """The values (durations, in seconds) at 0-based `positions` of a queryset ordered by them: one query."""
    low, high = min(positions), max(positions)
    values = [d.total_seconds() for d in ordered[low: high + 1]]
    return [values[position - low] for position in positions]


def ticket_first_response_percentiles(tickets) -> tuple[int, float | None, float | None]:
    """(count, median, 90th percentile) of the first-response time of `tickets` that have one, in seconds, in the
    database: count, then read the middle rows and the nearest-rank row in order."""
    answered = (tickets.filter(first_response_at__isnull=False).annotate(waited=TICKET_FIRST_RESPONSE)
                .order_by("waited").values_list("waited", flat=True))
    count = answered.count()
    if not count:
        return 0, None, None
    middle = [(count - 1) // 2, count // 2]
    p90 = math.ceil(0.9 * count) - 1
    values = _ordered_seconds_at(answered, [*middle, p90])
    return count, (values[0] + values[1]) / 2, values[2]


def sla_breached(now: datetime) -> Q:
    """Tickets that missed their first-response target (see the module)."""
    missed_unanswered = Q(first_response_at__isnull=True) & (
        Q(status__in=OPEN_TICKET_STATUSES, first_response_due_at__lt=now)
        | Q(solved_at__isnull=False, solved_at__gt=F("first_response_due_at")))
    return Q(first_response_at__gt=F("first_response_due_at")) | missed_unanswered


def _service_level_kpis(kpis: SupportKpis, start: datetime, end: datetime, language: str | None) -> None:
    tickets = Ticket.objects.filter(language=language) if language else Ticket.objects.all()
    answered_in_range = tickets.filter(first_response_at__gte=start, first_response_at__lt=end)
    (kpis.first_responses, kpis.median_ticket_first_response_seconds,
     kpis.p90_ticket_first_response_seconds) = ticket_first_response_percentiles(answered_in_range)
    with_target = tickets.filter(created_at__gte=start, created_at__lt=end, first_response_due_at__isnull=False)
    totals = with_target.aggregate(count=Count("pk"), breached=Count("pk", filter=sla_breached(timezone.now())))
    kpis.sla_tickets, kpis.sla_breaches = totals["count"], totals["breached"]
    kpis.sla_breach_rate = _ratio(totals["breached"], totals["count"])


TOKENS = {"input": "input_tokens", "output": "output_tokens", "cache_read": "cache_read_tokens",
          "cache_write": "cache_write_tokens"}


def _message_kpis(kpis: SupportKpis, conversations) -> None:
    """One pass over the conversations' messages, grouped by model (a handful of groups): visible ones, tools, and
    the tokens of every call, of which the paid models' are priced. Grouping evaluates the paid-or-free test once
    per group instead of once per message and token column."""
    per_model = (Message.objects.filter(conversation__in=conversations.values("pk")).values("model")
                 .annotate(visible=Count("pk", filter=Q(role__in=["customer", "assistant", "agent"]) & ~Q(text="")),
                           tool_calls=Sum("tool_calls"), tool_errors=Sum("tool_errors"),
                           **{key: Sum(column) for key, column in TOKENS.items()})
                 .order_by())
    totals = dict.fromkeys(["visible", "tool_calls", "tool_errors", *TOKENS], 0)
    paid = dict.fromkeys(TOKENS, 0)
    for row in per_model:
        for key in totals:
            totals[key] += row[key] or 0
        if row["model"] not in FREE_MODELS:
            for key in TOKENS:
                paid[key] += row[key] or 0
    kpis.messages_per_conversation = _ratio(totals["visible"], kpis.conversations)
    kpis.tool_calls = totals["tool_calls"]
    kpis.tool_failure_rate = _ratio(totals["tool_errors"], kpis.tool_calls)
    kpis.tokens = {key: totals[key] for key in TOKENS}
    per_token = PRICE_PER_MILLION["input"] / 1_000_000
    kpis.estimated_cost_usd = round(
        paid["input"] * per_token + paid["cache_write"] * per_token * 1.25 + paid["cache_read"] * per_token * 0.1
        + paid["output"] * PRICE_PER_MILLION["output"] / 1_000_000, 4)


def _refund_kpis(kpis: SupportKpis, conversations) -> None:
    refunds = Refund.objects.filter(conversation__in=conversations.values("pk"), status=Refund.Status.COMPLETED)
    by_currency = refunds.values("currency").annotate(count=Count("pk"), total=Sum("amount")).order_by("currency")
    kpis.refunds_count = sum(row["count"] for row in by_currency)
    kpis.refunds_total = {row["currency"]: row["total"] or Decimal("0") for row in by_currency}


def days_of(start: datetime, end: datetime) -> list[date]:
    """Every day (in the current time zone) that [start, end) touches, in order."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)] if last >= first else []


def daily_series(start: datetime, end: datetime, language: str | None = None) -> list[dict]:
    """One row per day of the range, days without conversations included (0 conversations, no rates, no CSAT), so
    that a trend's x-axis is true: counts and rates for the trend charts and their data tables."""
    rows = (
        conversations_in(start, end, language)
        .annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(
            conversations=Count("pk"),
            closed=Count("pk", filter=CLOSED),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
            auto=Count("pk", filter=AUTO_RESOLVED),
            csat=Avg("csat_score"),
        )
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    empty = {"conversations": 0, "closed": 0, "escalated": 0, "auto": 0, "csat": None}
    series = []
    for day in days_of(start, end):
        row = by_day.get(day, empty)
        series.append({
            "day": day,
            "conversations": row["conversations"],
            "escalation_rate": _ratio(row["escalated"], row["conversations"]),
            "auto_resolution_rate": _ratio(row["auto"], row["closed"]),
            "csat": row["csat"],
        })
    return series


def conversation_records(start: datetime, end: datetime, language: str | None = None):
    """Per-conversation rows for the CSV export, annotated in the database, streamed with iterator()."""
    return (
        conversations_in(start, end, language)
        .annotate(
            message_count=Count("messages", filter=Q(messages__role__in=["customer", "assistant", "agent"])),
            tool_call_count=Sum("messages__tool_calls"),
            resolution=RESOLUTION,
        )
        .select_related("customer")
        .order_by("started_at")
    )
