"""The reads behind the customer's pages: their tickets by address, one of them only if it is theirs, its public
thread."""

import pytest

from tests.factories import AgentFactory, TicketFactory
from tickets import selectors, services

pytestmark = pytest.mark.django_db


def test_a_customers_tickets_are_found_whatever_the_spelling_of_their_stored_address():
    ticket = TicketFactory(customer_email="emma.martin@example.com")

    assert list(selectors.tickets_of_customer("Emma.Martin@Example.COM")) == [ticket]


def test_a_malformed_stored_address_matches_no_ticket():
    TicketFactory(customer_email="")

    assert list(selectors.tickets_of_customer("not an address")) == []
    assert list(selectors.tickets_of_customer("")) == []


def test_a_customers_tickets_leave_out_everyone_elses():
    mine = TicketFactory(customer_email="emma.martin@example.com")
    TicketFactory(customer_email="someone.else@example.com")

    assert list(selectors.tickets_of_customer("emma.martin@example.com")) == [mine]


def test_a_ticket_of_another_customer_is_none_like_an_unknown_number():
    theirs = TicketFactory(customer_email="someone.else@example.com")

    assert selectors.ticket_of_customer(number=theirs.number, email="emma.martin@example.com") is None
    assert selectors.ticket_of_customer(number="TCK-0000000", email="emma.martin@example.com") is None


def test_a_customer_finds_their_ticket_by_its_number_in_any_case():
    mine = TicketFactory(customer_email="emma.martin@example.com")

    assert selectors.ticket_of_customer(number=mine.number.lower(), email="emma.martin@example.com") == mine


def test_the_public_thread_leaves_out_internal_notes():
    ticket = TicketFactory()
    agent = AgentFactory()
    services.add_internal_note(ticket=ticket, agent=agent, body="Note for the team")
    reply = services.reply_to_customer(ticket=ticket, agent=agent, body="Hello")
    answer = services.reply_as_customer(ticket=ticket, body="Thanks")

    assert selectors.public_thread(ticket) == [reply, answer]
