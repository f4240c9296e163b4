"""Service levels on the KPI page: the tickets' first-response time (median, 90th percentile) and the first-response
targets missed, against values computed by hand."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from analytics.metrics import compute_kpis
from tests.factories import StaffFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
START, END = NOW - timedelta(days=10), NOW + timedelta(days=1)


def ticket(*, created_hours_ago=5.0, answered_after_minutes=None, due_after_minutes=60, status="open",
           solved_after_minutes=None, language="en"):
    created = NOW - timedelta(hours=created_hours_ago)
    item = TicketFactory(status=status, language=language)
    Ticket.objects.filter(pk=item.pk).update(
        created_at=created,
        first_response_at=created + timedelta(minutes=answered_after_minutes) if answered_after_minutes else None,
        first_response_due_at=created + timedelta(minutes=due_after_minutes) if due_after_minutes else None,
        solved_at=created + timedelta(minutes=solved_after_minutes) if solved_after_minutes else None,
    )
    return item


def test_no_tickets_no_service_level_figures():
    kpis = compute_kpis(START, END)
    assert kpis.first_responses == 0 and kpis.median_ticket_first_response_seconds is None
    assert kpis.p90_ticket_first_response_seconds is None and kpis.sla_breach_rate is None


def test_the_median_and_90th_percentile_of_first_responses():
    for minutes in (1, 2, 3, 4, 5, 6, 7, 8, 9, 100):
        ticket(answered_after_minutes=minutes, due_after_minutes=None)
    ticket(answered_after_minutes=None)  # not answered yet: no first-response time
    kpis = compute_kpis(START, END)
    assert kpis.first_responses == 10
    assert kpis.median_ticket_first_response_seconds == 5.5 * 60  # between the 5th and 6th
    assert kpis.p90_ticket_first_response_seconds == 9 * 60  # nearest rank: the 9th of 10


def test_a_first_response_outside_the_range_is_not_counted():
    ticket(created_hours_ago=24 * 30, answered_after_minutes=10)
    assert compute_kpis(START, END).first_responses == 0


def test_answered_late_or_unanswered_past_the_target_are_breaches_and_the_share_is_of_tickets_with_a_target():
    ticket(answered_after_minutes=30)  # in time
    ticket(answered_after_minutes=90)  # late
    ticket(answered_after_minutes=None)  # open, 5 hours old, due after one: overdue
    ticket(created_hours_ago=0.5, answered_after_minutes=None)  # open, not due yet
    ticket(answered_after_minutes=None, status="solved", solved_after_minutes=120)  # solved without answer, late
    ticket(answered_after_minutes=None, status="solved", solved_after_minutes=20)  # solved in time
    ticket(answered_after_minutes=None, due_after_minutes=None)  # no target: not counted
    kpis = compute_kpis(START, END)
    assert (kpis.sla_breaches, kpis.sla_tickets) == (3, 6) and kpis.sla_breach_rate == 0.5


def test_the_language_filter_applies_to_tickets_too():
    ticket(answered_after_minutes=90, language="fr")
    ticket(answered_after_minutes=10, language="en")
    french = compute_kpis(START, END, "fr")
    assert french.first_responses == 1 and french.sla_breaches == 1 and french.sla_tickets == 1


def test_the_kpi_page_shows_the_service_levels(client):
    manager = StaffFactory(username="maya")
    manager.user_permissions.add(Permission.objects.get(codename="view_support_kpis"))
    client.force_login(manager)
    ticket(answered_after_minutes=90)
    ticket(answered_after_minutes=30)
    page = client.get(reverse("kpi-dashboard")).content.decode()
    assert "First response, median" in page and "1 h 00" in page  # (30 + 90) / 2 minutes
    assert "First response, 90th percentile" in page and "1 h 30" in page
    assert "1 of 2 tickets with a target (50%)" in " ".join(page.split())
