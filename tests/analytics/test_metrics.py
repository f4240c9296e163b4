"""Every KPI against values computed by hand on factory data, and empty ranges."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.metrics import compute_kpis, daily_series, day_range
from conversations.models import Conversation
from tests.factories import ConversationFactory, CustomerFactory, MessageFactory, OrderFactory, RefundFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
START, END = NOW - timedelta(days=10), NOW + timedelta(days=1)


def conversation(started_days_ago=1, minutes=2, *, status="closed", outcome="resolved_by_assistant", csat=None,
                 escalated=False, agent=False, language="en", first_response_seconds=None, **fields):
    started = NOW - timedelta(days=started_days_ago)
    item = ConversationFactory(status=status, outcome=outcome if status == "closed" else "", csat_score=csat,
                               language=language, **fields)
    Conversation.objects.filter(pk=item.pk).update(
        started_at=started,
        closed_at=started + timedelta(minutes=minutes) if status == "closed" else None,
        escalated_at=started + timedelta(seconds=30) if escalated else None,
        agent_joined_at=started + timedelta(seconds=60) if agent else None,
        first_response_at=started + timedelta(seconds=first_response_seconds) if first_response_seconds else None,
    )
    item.refresh_from_db()
    return item


@pytest.fixture
def five():
    """Five conversations: 3 resolved by the assistant, 1 by an agent, 1 still open with the assistant."""
    return [
        conversation(minutes=1, csat=5, first_response_seconds=2),
        conversation(minutes=2, csat=4, first_response_seconds=4),
        conversation(minutes=3, csat=5),
        conversation(minutes=10, csat=2, outcome="resolved_by_agent", escalated=True, agent=True),
        conversation(status="bot", outcome=""),
    ]


def test_an_empty_range_has_no_figures_and_no_errors():
    kpis = compute_kpis(START, END)
    assert kpis.conversations == 0 and kpis.csat_average is None and kpis.auto_resolution_rate is None
    assert kpis.median_resolution_seconds is None and kpis.reopen_rate is None and kpis.tool_failure_rate is None
    assert all(kpi.met is None for kpi in kpis.headline())
    rows = daily_series(START, END)
    assert rows and all(row["conversations"] == 0 and row["csat"] is None and row["escalation_rate"] is None
                        for row in rows)


def test_csat_average_and_distribution(five):
    kpis = compute_kpis(START, END)
    assert kpis.csat_average == 4.0 and kpis.csat_responses == 4
    assert kpis.csat_distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 2}


def test_auto_resolution_counts_closed_conversations_with_no_person(five):
    assert compute_kpis(START, END).auto_resolution_rate == 3 / 4


def test_escalation_rate_is_over_all_conversations(five):
    assert compute_kpis(START, END).escalation_rate == 1 / 5


def test_resolution_time_average_and_median(five):
    kpis = compute_kpis(START, END)
    assert kpis.avg_resolution_seconds == pytest.approx((60 + 120 + 180 + 600) / 4)
    assert kpis.median_resolution_seconds == pytest.approx((120 + 180) / 2)


def test_first_response_time_average(five):
    assert compute_kpis(START, END).avg_first_response_seconds == pytest.approx(3)


def test_a_conversation_reopened_by_a_later_one_counts_against_identified_closed_ones():
    customer = CustomerFactory()
    first = conversation(started_days_ago=9, customer=customer)
    conversation(started_days_ago=5, customer=customer, reopened_from=first)
    conversation(started_days_ago=8, verified_email="guest@example.com")  # never reopened
    conversation(started_days_ago=3)  # anonymous: not counted
    assert compute_kpis(START, END).reopen_rate == pytest.approx(1 / 3)


def test_messages_tools_tokens_and_cost():
    item = conversation()
    MessageFactory(conversation=item, seq=1, role="customer", text="hi")
    MessageFactory(conversation=item, seq=2, role="assistant", text="hello", model="claude-sonnet-5-5",
                   input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=1_000_000)
    MessageFactory(conversation=item, seq=3, role="tool", text="", tool_calls=2, tool_errors=1)
    MessageFactory(conversation=item, seq=4, role="assistant", text="offline", model="offline-assistant",
                   input_tokens=500)
    kpis = compute_kpis(START, END)
    assert kpis.messages_per_conversation == 3
    assert kpis.tool_calls == 2 and kpis.tool_failure_rate == 0.5
    assert kpis.tokens["input"] == 1_000_500 and kpis.tokens["cache_read"] == 1_000_000
    assert kpis.estimated_cost_usd == pytest.approx(3.0 + 1.5 + 0.3)


def test_refunds_made_in_the_conversations_count_and_total():
    item = conversation()
    order = OrderFactory(total=Decimal("100"))
    RefundFactory(order=order, conversation=item, amount=Decimal("40"))
    RefundFactory(order=order, conversation=item, amount=Decimal("10"), status="pending_approval")
    RefundFactory(order=order, amount=Decimal("5"))  # not from a conversation in range
    kpis = compute_kpis(START, END)
    assert kpis.refunds_count == 1 and kpis.refunds_total == {"USD": Decimal("40.00")}


def test_the_language_filter_and_the_range_select_conversations():
    conversation(language="fr", csat=3)
    conversation(language="en", csat=5)
    conversation(started_days_ago=30, csat=1)
    assert compute_kpis(START, END, "fr").csat_average == 3
    assert compute_kpis(START, END).conversations == 2


def test_targets_are_met_or_missed_as_the_source_document_says(five):
    headline = {kpi.key: kpi for kpi in compute_kpis(START, END).headline()}
    assert headline["csat"].met is False  # 4.0 is not above 4.2
    assert headline["auto_resolution_rate"].met is True  # 75% > 70%
    assert headline["escalation_rate"].met is False  # 20% is not below 20%
    assert headline["avg_resolution_seconds"].met is False  # 240 s > 180 s


def test_the_daily_series_has_one_row_per_day_with_rates():
    conversation(started_days_ago=2, escalated=True, outcome="resolved_by_agent", agent=True)
    conversation(started_days_ago=2)
    conversation(started_days_ago=1, csat=4)
    rows = {row["day"]: row for row in daily_series(START, END)}
    two, one = (timezone.localtime(NOW - timedelta(days=n)).date() for n in (2, 1))
    assert (rows[two]["conversations"], rows[one]["conversations"]) == (2, 1)
    assert rows[two]["escalation_rate"] == 0.5 and rows[two]["auto_resolution_rate"] == 0.5 and rows[one]["csat"] == 4


def test_a_trend_keeps_the_days_without_conversations_in_their_place():
    first, last = timezone.localdate() - timedelta(days=4), timezone.localdate()
    start, end = day_range(first, last)
    conversation(started_days_ago=4)
    conversation(started_days_ago=0)
    rows = daily_series(start, end)
    assert [row["day"] for row in rows] == [first + timedelta(days=n) for n in range(5)]
    assert [row["conversations"] for row in rows] == [1, 0, 0, 0, 1]
    assert rows[2]["escalation_rate"] is None and rows[2]["csat"] is None  # no rate on a day without conversations
