from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Customer, Order
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_customer_emails_are_unique_whatever_their_case():
    CustomerFactory(email="Emma.Martin@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(email="emma.martin@EXAMPLE.com")
    assert Customer.objects.count() == 1


def test_order_numbers_are_unique():
    OrderFactory(number="ORD-12345")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(number="ORD-12345")


def test_the_database_refuses_refunds_above_the_order_total():
    order = OrderFactory(total=Decimal("50.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(refunded_total=Decimal("50.01"))
    order.refresh_from_db()
    assert order.refunded_total == 0


def test_an_order_cannot_jump_back_in_its_pipeline():
    from orders.exceptions import InvalidStatusTransition

    order = OrderFactory.build(status=Order.Status.DELIVERED)
    with pytest.raises(InvalidStatusTransition):
        order.transition_to(Order.Status.PENDING, actor="system")
