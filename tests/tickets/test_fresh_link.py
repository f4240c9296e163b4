"""A new link for a guest whose emailed link expired: to the ticket's own address, at most once per 10 minutes."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from helpdesk.models import OutboundEmail
from tests.factories import TicketFactory
from tickets import services
from tickets.links import ticket_for_token

pytestmark = pytest.mark.django_db


def test_a_fresh_link_is_emailed_in_the_tickets_language_and_opens_the_ticket(django_capture_on_commit_callbacks):
    ticket = TicketFactory(customer_email="guest@example.com", language="fr", customer_name="Jo")

    with django_capture_on_commit_callbacks(execute=True):
        services.email_fresh_link(ticket=ticket)

    email = OutboundEmail.objects.get(kind="ticket_link")
    assert (email.to, email.language) == ("guest@example.com", "fr")
    (message,) = mail.outbox
    assert ticket.number in message.subject
    token = message.body.split("/support/link/", 1)[1].split("/", 1)[0]
    assert ticket_for_token(token) == ticket


def test_a_second_fresh_link_within_ten_minutes_is_not_sent():
    ticket = TicketFactory()

    services.email_fresh_link(ticket=ticket)
    services.email_fresh_link(ticket=ticket)

    assert OutboundEmail.objects.filter(kind="ticket_link").count() == 1


def test_two_asks_two_minutes_apart_across_a_ten_minute_mark_send_one_link(monkeypatch):
    ticket = TicketFactory()
    mark = datetime.fromtimestamp((int(time.time()) // 600 + 1) * 600, tz=UTC)
    for moment in (mark - timedelta(minutes=1), mark + timedelta(minutes=1)):
        monkeypatch.setattr("tickets.notifications.timezone.now", lambda moment=moment: moment)
        services.email_fresh_link(ticket=ticket)

    assert OutboundEmail.objects.filter(kind="ticket_link").count() == 1


def test_a_fresh_link_can_be_asked_for_again_after_ten_minutes(monkeypatch):
    ticket = TicketFactory()
    services.email_fresh_link(ticket=ticket)
    later = timezone.now() + timedelta(minutes=11)
    monkeypatch.setattr("tickets.notifications.timezone.now", lambda: later)

    services.email_fresh_link(ticket=ticket)

    assert OutboundEmail.objects.filter(kind="ticket_link").count() == 2


def test_a_fresh_link_for_another_ticket_is_not_held_back():
    services.email_fresh_link(ticket=TicketFactory())
    services.email_fresh_link(ticket=TicketFactory())

    assert OutboundEmail.objects.filter(kind="ticket_link").count() == 2


def test_a_ticket_without_an_address_emails_nothing():
    services.email_fresh_link(ticket=TicketFactory(customer_email=""))

    assert not OutboundEmail.objects.exists()
