"""The KPI page as a manager reads it: money in its currency and language, a data table beside every chart, and
trends whose x-axis keeps the days without conversations."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from analytics import charts
from conversations.models import Conversation
from orders.models import Refund
from tests.factories import ConversationFactory, MessageFactory, OrderFactory, RefundFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = StaffFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_support_kpis"))
    client.force_login(user)
    return client


def started(days_ago: int, **fields) -> Conversation:
    conversation = ConversationFactory(**fields)
    Conversation.objects.filter(pk=conversation.pk).update(started_at=timezone.now() - timedelta(days=days_ago))
    return conversation


def dashboard(client, days: int = 4, **headers) -> str:
    today = timezone.localdate()
    return client.get(reverse("kpi-dashboard"), {"start": str(today - timedelta(days=days - 1)), "end": str(today)},
                      **headers).content.decode()


def data_table(page: str, caption: str) -> str:
    match = re.search(r"<table>\s*<caption>" + re.escape(caption) + r".*?</table>", page, re.S)
    assert match, f"no data table captioned {caption!r}"
    return match[0]


def test_refund_totals_are_written_in_their_currency_not_as_raw_sums(manager):
    conversation = started(1)
    for amount in ("19.99", "19.99"):
        RefundFactory(order=OrderFactory(currency="EUR"), amount=Decimal(amount), currency="EUR",
                      status=Refund.Status.COMPLETED, conversation=conversation)
    page = dashboard(manager)
    assert "€39.98" in page and "39.98000" not in page and "39.98 EUR" not in page


def test_refund_totals_follow_the_managers_language(manager):
    conversation = started(1)
    RefundFactory(order=OrderFactory(currency="EUR"), amount=Decimal("39.98"), currency="EUR",
                  status=Refund.Status.COMPLETED, conversation=conversation)
    page = dashboard(manager, HTTP_ACCEPT_LANGUAGE="fr")
    assert "39,98\u00a0€" in page


def test_the_conversations_chart_has_a_data_table_with_a_row_per_day_of_the_range(manager):
    started(3)
    started(3)
    started(0)
    table = data_table(dashboard(manager, days=4), "Conversations per day")
    rows = re.findall(r'<tr><th scope="row"><time datetime="([\d-]+)">.*?</time></th><td class="num">(\d+)</td>', table)
    today = timezone.localdate()
    assert rows == [(str(today - timedelta(days=n)), count) for n, count in ((3, "2"), (2, "0"), (1, "0"), (0, "1"))]


def test_the_rate_and_csat_tables_say_no_data_on_a_day_without_conversations(manager):
    started(1, status="closed", outcome="resolved_by_assistant", csat_score=5)
    page = dashboard(manager, days=2)
    rates = data_table(page, "Auto-resolution and escalation rates per day")
    csat = data_table(page, "Average CSAT per day")
    assert rates.count('<th scope="row">') == 2 and csat.count('<th scope="row">') == 2
    assert "100%" in rates and "—" in rates and "5.00" in csat and "—" in csat


def test_a_line_is_broken_on_a_day_without_a_value_and_keeps_every_day_on_the_axis():
    days = [timezone.localdate() - timedelta(days=n) for n in range(4, -1, -1)]
    svg = charts.line_chart("Rates", days, {"Escalation": [0.5, 0.25, None, 0.5, 1.0]})
    lines = re.findall(r'<polyline class="line line-0" points="([^"]+)"', svg)
    assert len(lines) == 2  # before and after the empty day, not one line across it
    first, second = ([float(point.split(",")[0]) for point in line.split()] for line in lines)
    step = first[1] - first[0]
    assert second[0] - first[-1] == pytest.approx(2 * step)  # the empty day keeps its place


def test_a_lone_day_between_empty_days_is_a_dot():
    days = [timezone.localdate() - timedelta(days=n) for n in range(2, -1, -1)]
    svg = charts.line_chart("CSAT", days, {"CSAT": [None, 4.0, None]}, max_value=5, unit="", scale=1)
    assert svg.count("<circle") == 1 and "<polyline" not in svg


def test_a_range_without_any_conversation_says_so_instead_of_drawing_empty_charts(manager):
    page = dashboard(manager)
    assert "Conversations per day: no data in this range." in page and '<svg class="chart"' not in page


def test_the_page_takes_a_fixed_number_of_queries_however_many_conversations_and_messages(
        manager, django_assert_max_num_queries):
    for days_ago in range(4):
        for _ in range(3):
            conversation = started(days_ago, status="closed", outcome="resolved_by_assistant", csat_score=5)
            MessageFactory(conversation=conversation, seq=1, text="hi")
            MessageFactory(conversation=conversation, seq=2, role="assistant", text="hello", model="claude-sonnet-5-5")
    with django_assert_max_num_queries(10):
        assert "Support KPIs" in dashboard(manager)
