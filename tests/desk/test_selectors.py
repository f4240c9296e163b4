"""What the agent console shows about a customer."""

import pytest

from desk.selectors import console_context
from tests.factories import ConversationFactory
from tickets import services as tickets
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_guests_ticket_filed_under_a_customers_email_is_not_shown_in_that_customers_history(emma):
    guest_claim = tickets.create_follow_up(subject="Refund me", category="refund", priority="high", description="…",
                                           customer_email=emma.email, email_verified=False)
    own = tickets.create_follow_up(subject="Charger", category="technical", priority="low", description="…",
                                   customer_email=emma.email, email_verified=True)
    conversation = ConversationFactory(customer=emma, verified_email=emma.email)
    shown = list(console_context(conversation)["earlier_tickets"])
    assert own in shown and guest_claim not in shown


def test_a_hand_off_carries_the_conversations_verified_email_as_verified(emma):
    conversation = ConversationFactory(customer=emma, verified_email=emma.email)
    ticket, _ = tickets.open_handoff(conversation_id=conversation.pk, subject="Help", reason="asked", priority="high",
                                     summary="", customer_email=conversation.verified_email)
    assert Ticket.objects.get(pk=ticket.pk).email_verified
