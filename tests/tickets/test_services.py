"""The tickets app's verbs the admin calls: solving (once, whatever copy of the row the caller holds) and edits."""

import pytest

from tests.factories import AgentFactory, TicketFactory
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_ticket_solved_from_two_stale_copies_is_solved_once_and_the_queue_told_once(
        monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("helpdesk.realtime._send", lambda group, event: sent.append(event))
    ticket = TicketFactory()
    first, second = Ticket.objects.get(pk=ticket.pk), Ticket.objects.get(pk=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.solve_ticket(ticket=first, actor="system")
    solved_at = Ticket.objects.get(pk=ticket.pk).solved_at
    with django_capture_on_commit_callbacks(execute=True):
        services.solve_ticket(ticket=second, actor="system")
    assert second.status == Ticket.Status.SOLVED and second.solved_at == solved_at
    assert [event["change"] for event in sent] == ["solved"]


def test_editing_a_stale_copy_of_a_ticket_keeps_the_assignee_and_status_set_meanwhile():
    ticket = TicketFactory(priority=Ticket.Priority.LOW)
    stale = Ticket.objects.get(pk=ticket.pk)
    agent = AgentFactory()
    services.take_ticket(ticket=ticket, agent=agent)
    services.edit_ticket(ticket=stale, subject="Charger broken", category=Ticket.Category.TECHNICAL,
                         priority=Ticket.Priority.URGENT, description="Sparks.")
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.status == Ticket.Status.OPEN
    assert (ticket.subject, ticket.priority, ticket.priority_rank) == ("Charger broken", "urgent", 0)


def test_an_edit_that_changes_nothing_does_not_wake_the_queue(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("helpdesk.realtime._send", lambda group, event: sent.append(event))
    ticket = TicketFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_ticket(ticket=ticket, subject=ticket.subject, category=ticket.category,
                             priority=ticket.priority, description=ticket.description)
    assert sent == []
