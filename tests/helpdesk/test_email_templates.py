"""The email templates (templates/emails), rendered as the outbox renders them: every kind has a subject, a text
version complete on its own and an accessible HTML version (its language, a preheader, each button also as a plain
link); the refund decisions say what the customer needs to know, in English and in French."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from helpdesk.outbox import queue_email, render_email
from tests.factories import OrderFactory, RefundFactory, TicketFactory
from tickets.links import ticket_for_token, ticket_url
from tickets.models import TicketComment

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://help.maison-test.example"
KINDS = ["ticket_opened", "handoff_offline", "ticket_reply", "ticket_solved", "refund_approved", "refund_declined"]


@pytest.fixture(autouse=True)
def public_store():
    with override_settings(PUBLIC_URL=PUBLIC_URL, STORE_NAME="Maison Test"):
        yield


@pytest.fixture
def ticket():
    return TicketFactory(customer_email="emma.martin@example.com", customer_name="Emma")


def refund_context(ticket=None, **extra) -> dict:
    order = OrderFactory(number="ORD-78432")
    refund = RefundFactory(order=order, amount=Decimal("39.98"), currency="EUR")
    return {"refund": refund, "order": order, "customer_name": "Emma", "ticket": ticket,
            "ticket_url": ticket_url(ticket) if ticket else "", **extra}


def context_for(kind: str, ticket) -> dict:
    if kind.startswith("refund_"):
        return refund_context(ticket, **({"reason": "The item was used."} if kind == "refund_declined" else {}))
    url = ticket_url(ticket)
    return {"ticket": ticket, "ticket_url": url, "customer_name": ticket.customer_name, **{
        "ticket_opened": {},
        "handoff_offline": {"answer_expected_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC)},
        "ticket_reply": {"agent_name": "Sam",
                         "comment": TicketComment(ticket=ticket, public=True, author_kind="agent", body="Fixed.")},
        "ticket_solved": {"rate_url": url + "#rate"},
    }[kind]}


# --- every kind ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_email_names_the_store_and_holds_the_ticket_number_in_its_subject(kind, ticket):
    subject, text, html = render_email(kind, context_for(kind, ticket), "en")
    assert subject.startswith(f"[{ticket.number}] ")
    assert "\n" not in subject
    assert "Maison Test" in text and "Maison Test" in html


@pytest.mark.parametrize("kind", KINDS)
def test_every_html_email_says_its_language_and_has_a_preheader_and_a_heading(kind, ticket):
    _subject, _text, html = render_email(kind, context_for(kind, ticket), "fr")
    assert '<html lang="fr" dir="ltr">' in html
    preheader = re.search(r'<div style="display:none;[^"]*">(.+?)</div>', html, re.S)
    assert preheader and preheader[1].strip()
    assert re.search(r"<h1[^>]*>\S.*?</h1>", html, re.S)


@pytest.mark.parametrize("kind", KINDS)
def test_every_button_of_an_html_email_is_also_a_plain_link(kind, ticket):
    _subject, _text, html = render_email(kind, context_for(kind, ticket), "en")
    buttons = re.findall(r'<a href="([^"]+)" style="display:inline-block;', html)
    assert buttons
    for url in buttons:
        assert f'>{url}</a>' in html


@pytest.mark.parametrize("kind", KINDS)
def test_every_text_email_is_complete_on_its_own_with_its_links_and_a_signature(kind, ticket):
    _subject, text, _html = render_email(kind, context_for(kind, ticket), "en")
    links = re.findall(re.escape(PUBLIC_URL) + r"/support/link/([^/\s]+)/", text)
    assert links and all(ticket_for_token(token) == ticket for token in links)
    assert "Hello Emma," in text
    assert "The Maison Test support team" in text
    assert "{%" not in text and "{{" not in text and "<" not in text


# --- refund approved -------------------------------------------------------------------------------------------------
def test_an_approved_refund_gives_the_amount_the_order_and_when_the_money_arrives(ticket):
    subject, text, html = render_email("refund_approved", refund_context(ticket), "en")
    assert subject == f"[{ticket.number}] Your refund of €39.98 for order ORD-78432 is approved"
    assert "we have approved your refund of €39.98 for order ORD-78432" in text
    assert "within 5-7 business days" in text and "within 5-7 business days" in html
    assert "<strong>€39.98</strong>" in html


def test_an_approved_refund_without_a_ticket_has_no_ticket_number_and_no_ticket_link():
    subject, text, html = render_email("refund_approved", refund_context(), "en")
    assert subject == "Your refund of €39.98 for order ORD-78432 is approved"
    assert "/support/link/" not in text and "/support/link/" not in html


def test_an_approved_refund_in_french_says_when_the_money_arrives_in_french(ticket):
    subject, text, _html = render_email("refund_approved", refund_context(ticket), "fr")
    assert subject == f"[{ticket.number}] Votre remboursement de 39,98 € pour la commande ORD-78432 est accepté"
    assert "sous 5 à 7 jours ouvrés" in text and "Bonjour Emma," in text


# --- refund declined -------------------------------------------------------------------------------------------------
def test_a_declined_refund_gives_the_amount_the_order_the_reason_and_the_link_to_answer(ticket):
    subject, text, html = render_email("refund_declined", refund_context(ticket, reason="The item was used."), "en")
    assert subject == f"[{ticket.number}] About your refund request for order ORD-78432"
    assert "a refund of €39.98 on order ORD-78432" in text and "we cannot approve it" in text
    assert "The reason: The item was used." in text
    assert "answer on your request" in text and ticket_url(ticket) in text
    assert ">Answer</a>" in html


def test_a_declined_refund_without_a_ticket_points_to_the_help_chat_on_the_store():
    subject, text, html = render_email("refund_declined", refund_context(reason="Too late."), "en")
    assert subject == "About your refund request for order ORD-78432"
    assert "write to us from the help chat" in text and f"{PUBLIC_URL}/" in text
    assert f'href="{PUBLIC_URL}/"' in html and "/support/link/" not in html


def test_a_declined_refunds_reason_is_escaped_in_html_and_verbatim_in_text(ticket):
    reason = 'Used & "worn" <b>twice</b>'
    _subject, text, html = render_email("refund_declined", refund_context(ticket, reason=reason), "en")
    assert reason in text
    assert "Used &amp; &quot;worn&quot; &lt;b&gt;twice&lt;/b&gt;" in html and "<b>twice" not in html


def test_a_declined_refund_in_french_gives_the_reason_in_french(ticket):
    subject, text, _html = render_email("refund_declined", refund_context(ticket, reason="Article utilisé."), "fr")
    assert subject == f"[{ticket.number}] Votre demande de remboursement pour la commande ORD-78432"
    assert "nous ne pouvons pas l’accepter" in text and "Le motif\u00a0: Article utilisé." in text


def test_a_refund_decision_queued_twice_is_stored_once(ticket):
    context = refund_context(ticket)
    first = queue_email(key=f"refund:{context['refund'].pk}:decided", kind="refund_approved",
                        to="emma.martin@example.com", language="en", context=context)
    again = queue_email(key=f"refund:{context['refund'].pk}:decided", kind="refund_approved",
                        to="emma.martin@example.com", language="en", context=context)
    assert first.pk == again.pk and ticket.number in first.subject


def test_a_refund_email_states_the_amount_in_its_currency_and_language(ticket):
    context = refund_context(ticket)
    _subject, english, html = render_email("refund_approved", context, "en")
    _subject, french, _html = render_email("refund_approved", context, "fr")
    assert "€39.98" in english and "<strong>€39.98</strong>" in html
    assert "39,98\u00a0€" in french and "EUR" not in french
