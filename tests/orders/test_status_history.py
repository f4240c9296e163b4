"""An order's status history: a refund that moves its status leaves one row naming who asked or approved."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from orders.exceptions import RefundNotAllowed
from orders.models import Order, OrderStatusChange
from orders.services import approve_refund, request_refund
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def refund(order, *, amount=None, key="k1", requested_by="assistant", user=None):
    return request_refund(order=order, reason="defective", amount=amount, requested_by=requested_by,
                          idempotency_key=key, user=user)


def test_the_assistants_full_refund_records_the_order_moving_to_refunded():
    order = OrderFactory(total=Decimal("89.99"))
    refund(order)
    change = OrderStatusChange.objects.get()
    assert (change.order, change.from_status, change.to_status) == (order, "delivered", "refunded")
    assert (change.actor, change.actor_user, change.note) == ("assistant", None, "Refund of $89.99")


def test_a_second_partial_refund_leaves_the_status_and_its_history_as_they_were():
    order = OrderFactory(total=Decimal("100.00"))
    refund(order, amount=Decimal("40"), key="a")
    refund(order, amount=Decimal("40"), key="b")
    assert list(OrderStatusChange.objects.values_list("from_status", "to_status")) == [
        ("delivered", "partially_refunded")]


def test_a_refused_refund_records_no_status_change():
    order = OrderFactory(old=True)
    with pytest.raises(RefundNotAllowed):
        refund(order)
    assert Order.objects.get(pk=order.pk).status == Order.Status.DELIVERED
    assert not OrderStatusChange.objects.exists()


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("50"))
def test_an_approved_refund_records_the_approver_as_the_agent_who_moved_the_order():
    approver = UserFactory(is_staff=True)
    order = OrderFactory(total=Decimal("89.99"))
    pending = refund(order).refund
    assert not OrderStatusChange.objects.exists()
    approve_refund(refund=pending, user=approver)
    change = OrderStatusChange.objects.get()
    assert (change.from_status, change.to_status, change.actor, change.actor_user) == ("delivered", "refunded",
                                                                                      "agent", approver)


def test_the_order_page_shows_its_status_history_read_only(client):
    order = OrderFactory(total=Decimal("89.99"))
    refund(order)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'class="status-history"' in page and "Delivered → Refunded" in page and "Refund of $89.99" in page
    assert 'name="status_changes' not in page
