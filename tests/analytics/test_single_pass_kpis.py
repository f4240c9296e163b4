"""The KPIs computed in one pass per table give exactly the figures of the previous query-per-figure implementation,
on a generated dataset (a seeded mix of every case the definitions distinguish), and stay within a query budget.

The reference below is that implementation, kept as the oracle: a count, a median read, a reopened count, three
passes over the messages. It is not used by the application.
"""

import random
from datetime import timedelta

import pytest
from django.db.models import Avg, Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from analytics.metrics import FIRST_RESPONSE, PRICE_PER_MILLION, RESOLUTION, compute_kpis, conversations_in
from assistant.limits import FREE_MODELS
from conversations.models import Conversation, Message
from orders.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
START, END = NOW - timedelta(days=20), NOW + timedelta(days=1)


def per_figure_kpis(start, end, language=None) -> dict:
    """The figures as the previous implementation computed them, one query (or more) each."""
    conversations = conversations_in(start, end, language)
    closed_q = Q(status=Conversation.Status.CLOSED)
    totals = conversations.aggregate(
        count=Count("pk"), closed=Count("pk", filter=closed_q),
        auto=Count("pk", filter=closed_q & Q(outcome=Conversation.Outcome.RESOLVED_BY_ASSISTANT,
                                             escalated_at__isnull=True, agent_joined_at__isnull=True)),
        escalated=Count("pk", filter=Q(escalated_at__isnull=False)), csat=Avg("csat_score"),
        csat_count=Count("csat_score"), **{f"csat_{n}": Count("pk", filter=Q(csat_score=n)) for n in range(1, 6)},
        resolution=Avg(RESOLUTION, filter=closed_q & Q(closed_at__isnull=False)),
        first_response=Avg(FIRST_RESPONSE, filter=Q(first_response_at__isnull=False)))
    closed = (conversations.filter(status=Conversation.Status.CLOSED, closed_at__isnull=False)
              .annotate(resolution=RESOLUTION).order_by("resolution"))
    count = closed.count()
    middle = list(closed.values_list("resolution", flat=True)[(count - 1) // 2: count // 2 + 1]) if count else []
    identified = conversations.filter(status=Conversation.Status.CLOSED, closed_at__isnull=False).filter(
        Q(customer__isnull=False) | ~Q(verified_email=""))
    reopened = identified.filter(Exists(Conversation.objects.filter(reopened_from=OuterRef("pk")))).count()
    identified_count = identified.count()
    messages = Message.objects.filter(conversation__in=conversations.values("pk"))
    visible = messages.aggregate(
        visible=Count("pk", filter=Q(role__in=["customer", "assistant", "agent"]) & ~Q(text="")),
        tool_calls=Sum("tool_calls"), tool_errors=Sum("tool_errors"))
    columns = {"input": Sum("input_tokens"), "output": Sum("output_tokens"), "cache_read": Sum("cache_read_tokens"),
               "cache_write": Sum("cache_write_tokens")}
    paid = {key: value or 0 for key, value in messages.exclude(model__in=FREE_MODELS).aggregate(**columns).items()}
    every = {key: value or 0 for key, value in messages.aggregate(**columns).items()}
    tool_calls = visible["tool_calls"] or 0
    per_token = PRICE_PER_MILLION["input"] / 1_000_000
    ratio = (lambda part, whole: part / whole if whole else None)  # noqa: E731
    return {
        "conversations": totals["count"], "closed": totals["closed"],
        "csat_average": round(totals["csat"], 2) if totals["csat"] is not None else None,
        "csat_responses": totals["csat_count"],
        "csat_distribution": {n: totals[f"csat_{n}"] for n in range(1, 6)},
        "auto_resolution_rate": ratio(totals["auto"], totals["closed"]),
        "escalation_rate": ratio(totals["escalated"], totals["count"]),
        "avg_resolution_seconds": totals["resolution"].total_seconds() if totals["resolution"] is not None else None,
        "avg_first_response_seconds": (totals["first_response"].total_seconds()
                                       if totals["first_response"] is not None else None),
        "median_resolution_seconds": sum(d.total_seconds() for d in middle) / len(middle) if middle else None,
        "reopen_rate": ratio(reopened, identified_count),
        "messages_per_conversation": ratio(visible["visible"], totals["count"]),
        "tool_calls": tool_calls,
        "tool_failure_rate": ratio(visible["tool_errors"] or 0, tool_calls),
        "tokens": every,
        "estimated_cost_usd": round(paid["input"] * per_token + paid["cache_write"] * per_token * 1.25
                                    + paid["cache_read"] * per_token * 0.1
                                    + paid["output"] * PRICE_PER_MILLION["output"] / 1_000_000, 4),
    }


@pytest.fixture
def generated():
    """A seeded mix: open and closed, escalated or not, rated or not, identified, verified or anonymous, reopened,
    two languages, durations to the microsecond (odd and even counts per language), free and paid model calls,
    tool failures, messages without text, and conversations outside the range."""
    rng = random.Random(17)
    customers = [CustomerFactory() for _ in range(4)]
    conversations = []
    for n in range(57):
        closed = rng.random() < 0.8
        escalated = rng.random() < 0.3
        item = Conversation.objects.create(
            customer=rng.choice(customers) if rng.random() < 0.4 else None,
            verified_email=f"guest{n}@example.com" if rng.random() < 0.3 else "",
            status=Conversation.Status.CLOSED if closed else rng.choice(["bot", "waiting", "agent"]),
            outcome=rng.choice(["resolved_by_assistant", "resolved_by_assistant", "resolved_by_agent", "abandoned"])
            if closed else "",
            csat_score=rng.choice([None, 1, 2, 3, 4, 5]) if closed else None,
            language=rng.choice(["en", "fr"]),
            reopened_from=rng.choice(conversations) if conversations and rng.random() < 0.15 else None)
        started = NOW - timedelta(days=rng.choice([0.5, 3, 7.25, 19, 25]), microseconds=rng.randrange(10**6))
        Conversation.objects.filter(pk=item.pk).update(
            started_at=started,
            first_response_at=started + timedelta(microseconds=rng.randrange(1, 9 * 10**6)) if rng.random() < 0.8
            else None,
            escalated_at=started + timedelta(seconds=20) if escalated else None,
            agent_joined_at=started + timedelta(seconds=50) if escalated and rng.random() < 0.6 else None,
            closed_at=started + timedelta(microseconds=rng.randrange(10**6, 900 * 10**6))
            if closed and rng.random() < 0.85 else None)
        conversations.append(item)
        for seq in range(1, rng.randrange(1, 6)):
            role = rng.choice(["customer", "assistant", "agent", "tool", "system"])
            Message.objects.create(
                conversation=item, seq=seq, role=role, text=rng.choice(["", "some text"]),
                model=rng.choice([*FREE_MODELS, "claude-sonnet-5-5", "claude-haiku-4-5"]),
                input_tokens=rng.randrange(5000), output_tokens=rng.randrange(900),
                cache_read_tokens=rng.randrange(20000), cache_write_tokens=rng.randrange(3000),
                tool_calls=rng.randrange(3) if role == "tool" else 0,
                tool_errors=rng.randrange(2) if role == "tool" else 0)
    assert Customer.objects.count() >= 4
    return conversations


@pytest.mark.parametrize("language", [None, "en", "fr"])
def test_the_single_pass_kpis_equal_the_per_figure_queries_on_a_generated_dataset(generated, language):
    kpis = compute_kpis(START, END, language)
    reference = per_figure_kpis(START, END, language)
    assert {key: getattr(kpis, key) for key in reference} == reference


def test_the_kpis_of_a_range_take_a_fixed_number_of_queries_whatever_the_data(
        generated, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        compute_kpis(START, END)
