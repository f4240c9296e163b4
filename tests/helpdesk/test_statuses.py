"""The status pipeline (helpdesk.statuses): allowed moves leave one history row, refused ones leave nothing.

The mixin is exercised on Ticket (any of the three models would do); the refusals on all three, since each
raises its own error with its own wording.
"""


import pytest
from django.db import DatabaseError
from django.db.models import Q

from conversations.exceptions import InvalidConversationTransition
from conversations.models import Conversation
from orders.exceptions import InvalidStatusTransition
from orders.models import Order
from tests.factories import AgentFactory, ConversationFactory, OrderFactory, TicketFactory
from tickets.exceptions import InvalidTicketTransition
from tickets.models import Ticket, TicketStatusChange

pytestmark = pytest.mark.django_db


def moves(row) -> list[tuple]:
    """The status history of `row` as (from, to, actor, actor_user id), oldest first."""
    return list(row.status_changes.values_list("from_status", "to_status", "actor", "actor_user"))


def test_an_allowed_move_records_one_change_with_its_actor_and_both_statuses():
    agent = AgentFactory()
    ticket = TicketFactory()
    ticket.transition_to(Ticket.Status.PENDING, actor="agent", user=agent, note="Waiting for the customer")
    ticket.save(update_fields=["status"])
    change = TicketStatusChange.objects.get()
    assert (change.ticket, change.from_status, change.to_status) == (ticket, "new", "pending")
    assert (change.actor, change.actor_user, change.note) == ("agent", agent, "Waiting for the customer")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.PENDING


@pytest.mark.parametrize("make, target, error, message", [
    (lambda: TicketFactory(), "xyz", InvalidTicketTransition, "A ticket cannot go from new to xyz."),
    (lambda: OrderFactory(), Order.Status.PENDING, InvalidStatusTransition,
     "An order cannot go from delivered to pending."),
    (lambda: ConversationFactory(status=Conversation.Status.CLOSED), Conversation.Status.AGENT,
     InvalidConversationTransition, "A conversation cannot go from closed to agent."),
])
def test_a_refused_move_raises_the_models_own_error_and_writes_nothing(make, target, error, message):
    row = make()
    before = row.status
    with pytest.raises(error, match=message) as refused:
        row.transition_to(target, actor="system")
    assert refused.value.code == error.code
    row.save()
    assert row.status == before and type(row).objects.get(pk=row.pk).status == before
    assert not row.status_changes.exists()


def test_moving_to_the_status_a_row_already_has_records_nothing():
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    ticket.transition_to(Ticket.Status.OPEN, actor="agent")
    ticket.save(update_fields=["status"])
    assert not TicketStatusChange.objects.exists()


def test_creating_a_row_with_its_initial_status_records_nothing():
    TicketFactory(status=Ticket.Status.PENDING)
    assert not TicketStatusChange.objects.exists()


def test_the_status_is_not_saved_when_its_history_row_cannot_be_written(monkeypatch):
    ticket = TicketFactory()

    def refuse(*args, **kwargs):
        raise DatabaseError("history table unavailable")

    monkeypatch.setattr(TicketStatusChange.objects, "bulk_create", refuse)
    ticket.transition_to(Ticket.Status.OPEN, actor="system")
    with pytest.raises(DatabaseError):
        ticket.save(update_fields=["status"])
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW


def test_a_save_that_does_not_write_the_status_leaves_the_change_to_the_save_that_does():
    ticket = TicketFactory()
    ticket.transition_to(Ticket.Status.OPEN, actor="system")
    ticket.subject = "Renamed"
    ticket.save(update_fields=["subject"])
    assert not TicketStatusChange.objects.exists()
    ticket.save(update_fields=["status"])
    assert TicketStatusChange.objects.get().to_status == Ticket.Status.OPEN


def test_reloading_the_status_drops_a_change_that_was_never_saved():
    ticket = TicketFactory()
    ticket.transition_to(Ticket.Status.OPEN, actor="system")
    ticket.refresh_from_db()
    ticket.save()
    assert ticket.status == Ticket.Status.NEW and not TicketStatusChange.objects.exists()


def test_an_unknown_actor_is_refused_before_the_status_changes():
    ticket = TicketFactory()
    with pytest.raises(ValueError, match="Unknown actor"):
        ticket.transition_to(Ticket.Status.OPEN, actor="staff")
    assert ticket.status == Ticket.Status.NEW


def test_a_claimed_transition_records_the_status_the_row_really_had():
    ticket = TicketFactory()
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.PENDING)  # moved meanwhile, behind its back
    assert Ticket.claim_transition(stale.pk, Ticket.Status.OPEN, actor="system", subject="Claimed")
    change = TicketStatusChange.objects.get()
    assert (change.from_status, change.to_status, change.actor) == ("pending", "open", "system")
    assert Ticket.objects.values_list("status", "subject").get(pk=ticket.pk) == ("open", "Claimed")


def test_a_claim_whose_condition_no_longer_holds_changes_and_records_nothing():
    agent = AgentFactory()
    ticket = TicketFactory(assignee=agent)
    assert not Ticket.claim_transition(ticket.pk, Ticket.Status.OPEN, actor="system",
                                       where=Q(assignee__isnull=True), subject="Claimed")
    assert Ticket.objects.values_list("status", "subject").get(pk=ticket.pk) == ("new", ticket.subject)
    assert not TicketStatusChange.objects.exists()


def test_a_claim_the_pipeline_does_not_allow_changes_and_records_nothing():
    ticket = TicketFactory(status=Ticket.Status.CLOSED)
    assert not Ticket.claim_transition(ticket.pk, Ticket.Status.PENDING, actor="system")
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CLOSED
    assert not TicketStatusChange.objects.exists()


def test_a_claim_to_the_status_the_row_has_succeeds_and_records_nothing():
    ticket = TicketFactory(status=Ticket.Status.OPEN)
    assert Ticket.claim_transition(ticket.pk, Ticket.Status.OPEN, actor="system", subject="Claimed")
    assert Ticket.objects.get(pk=ticket.pk).subject == "Claimed"
    assert not TicketStatusChange.objects.exists()
