"""Who is there to answer: support agents, their availability, the business hours, logging in and out, and what
the customers waiting in a live chat are told when the queue moves."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from helpdesk.realtime import agents_queue_group, conversation_group
from tests.factories import AgentFactory, ConversationFactory, StaffFactory, UserFactory
from tickets import availability, services
from tickets.exceptions import InvalidAvailability
from tickets.models import AgentAvailability, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """What goes to the channel layer after commit, as (group, event) pairs."""
    captured = []
    monkeypatch.setattr("helpdesk.realtime._send", lambda group, event: captured.append((group, event)))
    return captured


def change_ticket_permission():
    return Permission.objects.get(codename="change_ticket", content_type__app_label="tickets")


def test_an_agent_without_a_row_is_available_and_one_who_said_away_is_not():
    sam, lea = AgentFactory(username="sam"), AgentFactory(username="lea")
    availability.set_availability(lea, AgentAvailability.Status.AWAY)
    assert list(availability.available_agents()) == [sam]
    assert availability.availability_of(sam) == "available" and availability.availability_of(lea) == "away"


def test_support_agents_are_active_staff_with_the_ticket_permission_directly_by_group_or_as_superusers():
    direct = AgentFactory(username="direct")
    grouped = StaffFactory(username="grouped")
    group = Group.objects.create(name="Support")
    group.permissions.add(change_ticket_permission())
    grouped.groups.add(group)
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    StaffFactory(username="manager")  # staff without the permission
    AgentFactory(username="gone", is_active=False)
    customer_with_the_permission = UserFactory(username="customer")
    customer_with_the_permission.user_permissions.add(change_ticket_permission())
    assert set(availability.support_agents()) == {direct, grouped, boss}
    assert availability.agents_available() == 3


def test_an_unknown_status_is_refused_and_changes_nothing():
    sam = AgentFactory(username="sam")
    with pytest.raises(InvalidAvailability):
        availability.set_availability(sam, "on holiday")
    assert not AgentAvailability.objects.exists()


def test_going_away_tells_the_queue_and_saying_it_twice_tells_it_once(sent, django_capture_on_commit_callbacks):
    sam = AgentFactory(username="sam")
    with django_capture_on_commit_callbacks(execute=True):
        assert availability.set_availability(sam, "away")
        assert not availability.set_availability(sam, "away")
    assert [event["change"] for group, event in sent if group == agents_queue_group()] == ["availability"]


def test_saying_available_when_already_available_tells_nobody(sent, django_capture_on_commit_callbacks):
    sam = AgentFactory(username="sam")
    with django_capture_on_commit_callbacks(execute=True):
        assert not availability.set_availability(sam, "available")
    assert sent == []


def test_logging_out_of_the_admin_sets_an_agent_away_and_logging_in_sets_them_available(client):
    sam = AgentFactory(username="sam")
    client.force_login(sam)
    client.post(reverse("admin:logout"))
    assert availability.availability_of(sam) == "away"
    client.force_login(sam)
    assert availability.availability_of(sam) == "available"


def test_logging_out_as_a_customer_records_no_availability(client):
    customer = UserFactory(username="emma")
    client.force_login(customer)
    client.post(reverse("storefront:logout"))
    assert not AgentAvailability.objects.exists()


def test_with_an_available_agent_in_open_hours_a_hand_off_reaches_a_person():
    AgentFactory(username="sam")
    staffed = availability.staffing()
    assert staffed.live and staffed.open_now and staffed.agents_available == 1 and staffed.next_opening is None


def test_with_nobody_available_a_hand_off_cannot_reach_a_person():
    availability.set_availability(AgentFactory(username="sam"), "away")
    staffed = availability.staffing()
    assert not staffed.live and staffed.open_now and staffed.agents_available == 0


def test_outside_business_hours_nobody_is_reached_even_with_agents_and_the_next_opening_is_known(after_hours):
    AgentFactory(username="sam")
    staffed = availability.staffing()
    assert not staffed.live and not staffed.open_now and staffed.next_opening == after_hours


def waiting(priority=Ticket.Priority.MEDIUM) -> Ticket:
    conversation = ConversationFactory(status="waiting")
    ticket, _created = services.open_handoff(conversation_id=conversation.pk, subject="Wants a person",
                                             reason="asked", priority=priority, summary="")
    return ticket


def test_each_waiting_customer_is_told_their_place_and_the_agents_available_when_the_queue_moves(
        sent, django_capture_on_commit_callbacks):
    AgentFactory(username="sam")
    first, second = waiting(), waiting()
    with django_capture_on_commit_callbacks(execute=True):
        urgent = waiting(Ticket.Priority.URGENT)
    told = {group: event for group, event in sent if event["type"] == "chat.wait"}
    assert told[conversation_group(urgent.conversation_id)] == {"type": "chat.wait", "position": 1,
                                                                 "agents_available": 1}
    assert told[conversation_group(first.conversation_id)]["position"] == 2
    assert told[conversation_group(second.conversation_id)]["position"] == 3


def test_a_taken_hand_off_leaves_the_line_and_the_others_move_up(sent, django_capture_on_commit_callbacks):
    sam = AgentFactory(username="sam")
    first, second = waiting(), waiting()
    with django_capture_on_commit_callbacks(execute=True):
        services.take_ticket(ticket=first, agent=sam)
    told = [(group, event["position"]) for group, event in sent if event["type"] == "chat.wait"]
    assert told == [(conversation_group(second.conversation_id), 1)]


def test_an_agent_going_away_tells_the_waiting_customers_how_many_agents_are_left(
        sent, django_capture_on_commit_callbacks):
    sam, _lea = AgentFactory(username="sam"), AgentFactory(username="lea")
    ticket = waiting()
    with django_capture_on_commit_callbacks(execute=True):
        availability.set_availability(sam, "away")
    assert [event for group, event in sent if group == conversation_group(ticket.conversation_id)] == [
        {"type": "chat.wait", "position": 1, "agents_available": 1}]


def test_a_conversation_with_no_untaken_hand_off_has_no_wait():
    sam = AgentFactory(username="sam")
    ticket = waiting()
    assert availability.wait_for(ticket.conversation_id) == {"position": 1, "agents_available": 1}
    services.take_ticket(ticket=ticket, agent=sam)
    assert availability.wait_for(ticket.conversation_id) is None


def test_a_follow_up_does_not_move_the_waiting_line(sent, django_capture_on_commit_callbacks):
    waiting()
    with django_capture_on_commit_callbacks(execute=True):
        services.create_follow_up(subject="Invoice", category="billing", priority="low", description="Copy please",
                                  customer_email="jane@example.com")
    assert not [event for group, event in sent if event["type"] == "chat.wait"]
