"""Amounts on the desk's and the admin's pages are written in their currency and the agent's language: the ticket
page's refund and transcript cards, the orders and refunds lists."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from orders.models import Order, Refund
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    MessageFactory,
    OrderFactory,
    RefundFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = AgentFactory(username="sam", first_name="Sam")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_order", "view_refund", "change_refund"]))
    client.force_login(user)
    return client


def test_the_ticket_pages_refund_states_amount_total_and_refunded_in_their_currency(agent):
    order = OrderFactory(total=Decimal("1299.00"), refunded_total=Decimal("39.98"), currency=Order.Currency.EUR,
                         status=Order.Status.PARTIALLY_REFUNDED)
    refund = RefundFactory(order=order, amount=Decimal("649.50"), status=Refund.Status.PENDING_APPROVAL)
    ticket = TicketFactory(refund=refund)
    page = agent.get(reverse("desk-ticket", args=[ticket.number])).content.decode()
    assert "€649.50" in page and "€1,299.00" in page and "(refunded €39.98)" in page
    assert "Approve the refund of €649.50" in page and "649.50 EUR" not in page


def test_the_ticket_pages_refund_follows_the_agents_language(agent):
    refund = RefundFactory(order=OrderFactory(currency=Order.Currency.EUR), amount=Decimal("39.98"),
                           status=Refund.Status.PENDING_APPROVAL)
    ticket = TicketFactory(refund=refund)
    page = agent.get(reverse("desk-ticket", args=[ticket.number]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "39,98\u00a0€" in page


def test_a_refund_card_in_the_ticket_transcript_states_its_amount_in_its_currency(agent):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, seq=1, role="agent", text="Done.", content=[{"type": "text", "text": "Done."}],
                   action={"items": [{"kind": "refund", "order_id": "ORD-10001", "amount": "39.98", "currency": "EUR"}]})
    ticket = TicketFactory(conversation=conversation)
    page = agent.get(reverse("desk-ticket", args=[ticket.number])).content.decode()
    assert "Refund made: €39.98, Order ORD-10001" in page and "EUR" not in page


def test_the_orders_list_writes_totals_in_the_orders_currency(agent):
    OrderFactory(total=Decimal("1299.00"), refunded_total=Decimal("39.98"), currency=Order.Currency.EUR)
    OrderFactory(total=Decimal("89.99"), currency=Order.Currency.USD)
    page = agent.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "€1,299.00" in page and "€39.98" in page and "$89.99" in page


def test_the_refunds_list_writes_each_amount_in_its_currency(agent):
    RefundFactory(order=OrderFactory(currency=Order.Currency.EUR), amount=Decimal("39.98"))
    page = agent.get(reverse("admin:orders_refund_changelist")).content.decode()
    assert "€39.98" in page


def test_an_orders_page_writes_its_items_and_refunds_in_its_currency(client):
    from tests.factories import OrderItemFactory, UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    order = OrderFactory(total=Decimal("1299.00"), currency=Order.Currency.EUR)
    OrderItemFactory(order=order, unit_price=Decimal("649.50"), quantity=2)
    RefundFactory(order=order, amount=Decimal("39.98"))
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "€1,299.00" in page and "€649.50" in page and "€39.98" in page
