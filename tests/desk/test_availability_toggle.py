"""Agents set themselves available or away from the queue and the console; both pages show who is there."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import AgentFactory, ConversationFactory, StaffFactory
from tickets import availability

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client):
    agent = AgentFactory(username="sam", first_name="Sam")
    client.force_login(agent)
    return agent


QUEUE = "desk-queue"


def test_an_agent_going_away_is_sent_back_to_the_page_they_were_on(client, sam):
    page = reverse(QUEUE) + "?view=mine"
    response = client.post(reverse("desk-availability"), {"status": "away", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert availability.availability_of(sam) == "away"


def test_coming_back_makes_the_agent_available_again(client, sam):
    availability.set_availability(sam, "away")
    client.post(reverse("desk-availability"), {"status": "available"})
    assert availability.availability_of(sam) == "available"


def test_a_next_address_on_another_site_goes_to_the_queue_instead(client, sam):
    response = client.post(reverse("desk-availability"), {"status": "away", "next": "https://evil.example/"})
    assert response["Location"] == reverse(QUEUE)


def test_an_unknown_status_is_an_error_message_not_a_crash_and_changes_nothing(client, sam):
    response = client.post(reverse("desk-availability"), {"status": "asleep"})
    assert response.status_code == 302 and availability.availability_of(sam) == "available"
    assert [m.message for m in get_messages(response.wsgi_request)] == ["Choose Available or Away."]


def test_the_toggle_only_accepts_posts(client, sam):
    assert client.get(reverse("desk-availability")).status_code == 405


def test_staff_who_are_not_support_agents_have_no_availability_to_set(client):
    client.force_login(StaffFactory(username="maya"))
    assert client.post(reverse("desk-availability"), {"status": "away"}).status_code == 403


def test_the_queue_shows_the_agents_status_and_how_many_agents_are_available(client, sam):
    AgentFactory(username="lea")
    page = client.get(reverse(QUEUE)).content.decode()
    assert 'id="desk-staffing"' in page and "2 agents available" in page
    assert 'value="available" class="availability-option current" aria-pressed="true"' in page
    availability.set_availability(sam, "away")
    page = client.get(reverse(QUEUE)).content.decode()
    assert "1 agent available" in page and 'value="away" class="availability-option current"' in page


def test_the_queue_says_when_nobody_is_there_and_chats_become_follow_ups(client, sam):
    availability.set_availability(sam, "away")
    page = client.get(reverse(QUEUE)).content.decode()
    assert "0 agents available" in page and "live chats become follow-ups by email" in page


def test_outside_business_hours_the_queue_says_until_when(client, sam, after_hours):
    page = client.get(reverse(QUEUE)).content.decode()
    assert "Outside business hours" in page and "(Paris time)" in page


def test_the_console_header_has_the_same_toggle(client, sam):
    conversation = ConversationFactory()
    page = client.get(reverse("agent-console", args=[conversation.pk])).content.decode()
    assert 'action="/admin/desk/availability/"' in page and f'value="/admin/console/{conversation.pk}/"' in page
