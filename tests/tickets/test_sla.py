"""First-response service levels: time left, breached, met, missed, and how the queue shows them."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import AgentFactory, TicketFactory
from tickets import services
from tickets.models import Ticket
from tickets.sla import FirstResponse, first_response_state, short_duration

pytestmark = pytest.mark.django_db


def ticket_due_in(minutes: float, **fields) -> Ticket:
    now = timezone.now()
    return TicketFactory(first_response_due_at=now + timedelta(minutes=minutes), **fields)


def test_an_unanswered_ticket_shows_the_time_left():
    ticket = ticket_due_in(12.5)
    state = first_response_state(ticket, timezone.now())
    assert state.state == FirstResponse.DUE and state.label == "12 min left"


def test_an_unanswered_ticket_past_its_target_is_breached_since_then():
    ticket = ticket_due_in(-5.2)
    state = first_response_state(ticket, timezone.now())
    assert state.state == FirstResponse.BREACHED and state.label == "breached 5 min ago"


def test_a_first_response_by_the_target_is_met():
    ticket = ticket_due_in(-30, first_response_at=timezone.now() - timedelta(minutes=40))
    state = first_response_state(ticket, timezone.now())
    assert state.state == FirstResponse.MET and state.label == "met"


def test_a_first_response_after_the_target_is_missed_by_how_long():
    ticket = TicketFactory()
    ticket.first_response_due_at = ticket.created_at + timedelta(minutes=60)
    ticket.first_response_at = ticket.created_at + timedelta(minutes=120)
    state = first_response_state(ticket, timezone.now())
    assert state.state == FirstResponse.MISSED and state.label == "answered 1 h late"


def test_a_ticket_without_a_target_has_no_service_level():
    state = first_response_state(TicketFactory(first_response_due_at=None), timezone.now())
    assert state.state == FirstResponse.NONE and state.label == "—"


def test_a_ticket_solved_without_an_answer_is_no_longer_counting_down():
    ticket = ticket_due_in(-5, status=Ticket.Status.SOLVED)
    assert first_response_state(ticket, timezone.now()).state == FirstResponse.NONE


def test_the_last_quarter_of_the_target_is_marked_soon():
    ticket = TicketFactory()
    ticket.first_response_due_at = ticket.created_at + timedelta(minutes=60)
    assert first_response_state(ticket, ticket.created_at + timedelta(minutes=50)).soon
    assert not first_response_state(ticket, ticket.created_at + timedelta(minutes=10)).soon


@pytest.mark.parametrize("delta, shown", [
    (timedelta(seconds=20), "1 min"), (timedelta(minutes=59, seconds=59), "59 min"), (timedelta(hours=3), "3 h"),
    (timedelta(hours=3, minutes=5), "3 h 05 min"), (timedelta(days=2), "2 d"), (timedelta(days=2, hours=4), "2 d 4 h"),
])
def test_durations_are_short_and_rounded_down(delta, shown):
    assert short_duration(delta) == shown


@override_settings(SLA_FIRST_RESPONSE_MINUTES={"urgent": 15, "high": 60, "medium": 480, "low": 1440})
def test_the_target_comes_from_the_priority_in_settings():
    ticket = services.create_follow_up(subject="Where is my parcel?", category="shipping", priority="urgent",
                                       description="", customer_email="emma@example.com")
    state = first_response_state(ticket, ticket.created_at)
    assert state.state == FirstResponse.DUE and state.label == "15 min left"


def test_the_queue_shows_the_first_response_column(client):
    ticket_due_in(-5, subject="Late one")
    ticket_due_in(30, subject="On time")
    client.force_login(AgentFactory())
    page = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "breached 5 min ago" in page and "29 min left" in page
    assert 'class="sla sla-breached"' in page


def test_the_queue_sorted_by_first_response_puts_the_most_overdue_first_and_the_answered_last(client):
    ticket_due_in(30, subject="Answered", first_response_at=timezone.now())
    ticket_due_in(30, subject="Due later")
    ticket_due_in(-20, subject="Most overdue")
    client.force_login(AgentFactory())
    changelist = reverse("admin:tickets_ticket_changelist")
    column = 1 + ["number", "priority_badge", "kind", "subject", "status", "waiting", "first_response", "assignee",
                  "take_over"].index("first_response")
    page = client.get(changelist, {"o": str(column)}).content.decode()
    assert page.index("Most overdue") < page.index("Due later") < page.index("Answered")


def test_the_queue_links_a_ticket_to_its_page_in_the_desk(client):
    ticket = TicketFactory(subject="Broken charger")
    client.force_login(AgentFactory())
    page = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert f'href="{reverse("desk-ticket", args=[ticket.number])}"' in page
