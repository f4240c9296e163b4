"""The emails a ticket sends its customer, through the services that announce them: ticket opened, a public reply,
solved (with the rating link), a hand-off taken offline (with and without the time the team is back). Each holds
the ticket number in its subject, a text body and an HTML alternative, the store's name, and links that start with
PUBLIC_URL and open that very ticket; each is written in the ticket's language and sent once."""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import override_settings

from tests.factories import AgentFactory, TicketFactory
from tickets import notifications
from tickets.links import ticket_for_token
from tickets.services import add_internal_note, create_follow_up, reply_as_customer, reply_to_customer, solve_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_store")]

PUBLIC_URL = "https://help.maison-test.example"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/support/link/(?P<token>[^/\s\"<]+)/(?P<anchor>#rate)?")


@pytest.fixture
def public_store():
    with override_settings(PUBLIC_URL=PUBLIC_URL, STORE_NAME="Maison Test"):
        yield


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the block's on-commit callbacks, so the outbox sends what the block queued."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def follow_up(**extra):
    return create_follow_up(subject="My headphones crackle", category="technical", priority="medium",
                            description="The left ear crackles.", customer_email="emma.martin@example.com",
                            customer_name="Emma", **extra)


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def links_in(text: str) -> list[re.Match]:
    return list(LINK.finditer(text))


def assert_links_open(ticket, message, *, anchor=None):
    """Every link of the text and the HTML starts with PUBLIC_URL and its token opens `ticket`."""
    for body in (message.body, html_of(message)):
        found = links_in(body)
        assert found, "no link to the ticket"
        for link in found:
            assert ticket_for_token(link["token"]) == ticket
        if anchor:
            assert any(link["anchor"] == anchor for link in found)


# --- ticket opened ---------------------------------------------------------------------------------------------------
def test_a_new_follow_up_emails_its_number_and_link_to_the_customer(committed):
    with committed():
        ticket = follow_up()
    [message] = mail.outbox
    assert message.to == ["emma.martin@example.com"]
    assert ticket.number in message.subject
    assert ticket.number in message.body and ticket.number in html_of(message)
    assert "Hello Emma," in message.body and "My headphones crackle" in message.body
    assert "Maison Test" in message.body and "Maison Test" in html_of(message)
    assert_links_open(ticket, message)


def test_the_ticket_opened_email_is_written_in_french_for_a_french_ticket(committed):
    with committed():
        ticket = follow_up(language="fr")
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] Nous avons bien reçu votre demande"
    assert "Bonjour Emma," in message.body and "Le numéro de votre demande est" in message.body
    assert '<html lang="fr"' in html_of(message) and "Voir votre demande" in html_of(message)
    assert "Hello" not in message.body


def test_announcing_the_same_ticket_twice_sends_one_email(committed):
    with committed():
        ticket = follow_up()
        notifications.ticket_opened(ticket)
    assert len(mail.outbox) == 1


def test_a_ticket_without_an_email_address_sends_nothing(committed):
    with committed():
        notifications.ticket_opened(TicketFactory(customer_email=""))
    assert mail.outbox == []


# --- hand-off taken offline ------------------------------------------------------------------------------------------
def test_an_offline_hand_off_says_we_answer_by_email_and_when_the_team_is_back(committed):
    back = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # a Monday, 9:00 in Paris
    with committed():
        ticket = follow_up(offline=True, answer_expected_at=back)
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] We'll answer you by email"
    assert "nobody could join the chat" in message.body
    assert "Our team is back on Monday, December 7 at 09:00 (Paris time)" in message.body
    assert "Our team is back on Monday, December 7 at 09:00 (Paris time)" in html_of(message)
    assert_links_open(ticket, message)


def test_an_offline_hand_off_without_an_expected_time_promises_an_answer_as_soon_as_possible(committed):
    with committed():
        ticket = follow_up(offline=True)
    [message] = mail.outbox
    assert ticket.number in message.subject
    assert "as soon as possible" in message.body and "back on" not in message.body
    assert_links_open(ticket, message)


def test_an_offline_hand_off_in_french_gives_the_time_in_french_and_in_the_stores_time_zone(committed, settings):
    settings.BUSINESS_TIMEZONE = "Europe/Paris"
    back = datetime(2026, 7, 6, 7, 30, tzinfo=UTC)  # summer time: 9:30 in Paris
    with committed():
        ticket = follow_up(offline=True, answer_expected_at=back, language="fr")
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] Nous vous répondrons par e-mail"
    assert "sera de retour le lundi 6 juillet à 09:30 (heure de Paris)" in message.body
    assert "personne n’a pu rejoindre la conversation" in message.body


# --- a public reply ----------------------------------------------------------------------------------------------------
def test_an_agents_public_reply_is_emailed_with_its_text_and_a_link_to_answer(committed):
    ticket = TicketFactory(customer_email="emma.martin@example.com", customer_name="Emma")
    sam = AgentFactory(username="sam", first_name="Sam")
    with committed():
        reply_to_customer(ticket=ticket, agent=sam, body="Could you send a photo of the <serial> label?")
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] New reply to your request"
    assert "Sam from our team replied to your request" in message.body
    assert "Could you send a photo of the <serial> label?" in message.body
    assert "photo of the &lt;serial&gt; label?" in html_of(message) and "<serial>" not in html_of(message)
    assert_links_open(ticket, message)


def test_a_reply_in_french_is_introduced_in_french(committed):
    ticket = TicketFactory(customer_email="lucas@example.fr", language="fr")
    with committed():
        reply_to_customer(ticket=ticket, agent=AgentFactory(first_name="Léa"), body="Bonjour, c'est réglé.")
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] Nouvelle réponse à votre demande"
    assert "Léa, de notre équipe, a répondu à votre demande" in message.body
    assert "Pour répondre, ouvrez votre demande" in message.body


def test_a_reply_announced_twice_is_emailed_once(committed):
    ticket = TicketFactory()
    with committed():
        comment = reply_to_customer(ticket=ticket, agent=AgentFactory(), body="Done.")
        notifications.reply_posted(comment)
    assert len(mail.outbox) == 1


def test_an_internal_note_and_the_customers_own_reply_email_nobody(committed):
    ticket = TicketFactory()
    with committed():
        add_internal_note(ticket=ticket, agent=AgentFactory(), body="Customer seems upset.")
        reply_as_customer(ticket=ticket, body="Any news?")
    assert mail.outbox == []


# --- solved ------------------------------------------------------------------------------------------------------------
def test_a_solved_follow_up_emails_a_rating_link_to_the_ticket_page(committed):
    ticket = TicketFactory(customer_email="emma.martin@example.com")
    with committed():
        solve_ticket(ticket=ticket, actor="agent", user=AgentFactory())
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] Your request is solved"
    assert "How did we do?" in message.body
    assert_links_open(ticket, message, anchor="#rate")


def test_solving_a_ticket_twice_emails_once(committed):
    ticket = TicketFactory()
    with committed():
        solve_ticket(ticket=ticket, actor="agent")
        solve_ticket(ticket=ticket, actor="agent")
    assert len(mail.outbox) == 1


def test_the_solved_email_is_written_in_french_for_a_french_ticket(committed):
    ticket = TicketFactory(language="fr")
    with committed():
        solve_ticket(ticket=ticket, actor="agent")
    [message] = mail.outbox
    assert message.subject == f"[{ticket.number}] Votre demande est résolue"
    assert "Qu’avez-vous pensé de notre aide" in message.body and "Évaluer notre aide" in html_of(message)


def test_an_offline_refund_approval_quotes_the_customers_words_not_the_teams_subject(committed):
    with committed():
        create_follow_up(subject="Approve refund of 1299.00 EUR on ORD-66210", category="refund", priority="high",
                         description="Refund above the threshold", customer_email="emma.martin@example.com",
                         offline=True, question="My laptop from ORD-66210 is defective, I want a refund.")
    [message] = mail.outbox
    for text in (message.body, html_of(message)):
        assert "My laptop from ORD-66210 is defective" in text and "Approve refund" not in text
