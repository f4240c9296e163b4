"""Orders and refunds in the admin: money and order state are read-only; refunds are decided by actions."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderItem, Refund
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, RefundFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def split(moment) -> dict:
    return {"0": moment.date().isoformat(), "1": moment.time().strftime("%H:%M:%S")} if moment else {"0": "", "1": ""}


def order_post(order, **changes) -> dict:
    """Every field of the order as a full change form would post it, plus `changes`."""
    data = {"number": order.number, "customer": order.customer_id, "status": order.status, "total": order.total,
            "refunded_total": order.refunded_total, "currency": order.currency,
            "expected_delivery": order.expected_delivery.isoformat(), "carrier": order.carrier,
            "tracking_number": order.tracking_number, "notes": order.notes,
            "items-TOTAL_FORMS": 0, "items-INITIAL_FORMS": 0, "refunds-TOTAL_FORMS": 0, "refunds-INITIAL_FORMS": 0,
            "_save": "Save"}
    for name in ("placed_at", "shipped_at", "delivered_at"):
        data.update({f"{name}_{part}": value for part, value in split(getattr(order, name)).items()})
    data.update(changes)
    return data


@pytest.mark.parametrize("field, hostile", [
    ("status", "refunded"),
    ("refunded_total", "0.00"),
    ("total", "100000.00"),
    ("currency", "EUR"),
    ("delivered_at_0", "2099-01-01"),
    ("number", "ORD-99999"),
])
def test_posting_a_changed_money_or_state_field_of_an_order_changes_nothing(client, superuser, field, hostile):
    order = OrderFactory(refunded_total=Decimal("10.00"), status=Order.Status.PARTIALLY_REFUNDED)
    before = Order.objects.filter(pk=order.pk).values().get()
    client.force_login(superuser)
    response = client.post(reverse("admin:orders_order_change", args=[order.pk]), order_post(order, **{field: hostile}))
    assert response.status_code == 302
    assert Order.objects.filter(pk=order.pk).values().get() == before


def test_an_order_cannot_be_given_to_another_customer_in_the_admin(client, superuser):
    order = OrderFactory()
    attacker = CustomerFactory(email="attacker@example.com")
    client.force_login(superuser)
    client.post(reverse("admin:orders_order_change", args=[order.pk]), order_post(order, customer=attacker.pk))
    order.refresh_from_db()
    assert order.customer != attacker


def test_the_shipping_details_of_an_order_stay_editable_and_only_they_are_written(client, superuser):
    """A full save would write back refunded_total as loaded, over a refund completing at the same moment."""
    order = OrderFactory()
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("admin:orders_order_change", args=[order.pk]), order_post(order, tracking_number="1ZNEW"))
    order.refresh_from_db()
    assert order.tracking_number == "1ZNEW"
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "orders_order"')]
    assert updates and not any("refunded_total" in sql or '"status"' in sql for sql in updates)


def test_the_items_of_an_order_cannot_be_changed_in_the_admin(client, superuser):
    item = OrderItemFactory(unit_price=Decimal("89.99"))
    order = item.order
    client.force_login(superuser)
    client.post(reverse("admin:orders_order_change", args=[order.pk]), order_post(order, **{
        "items-TOTAL_FORMS": 2, "items-INITIAL_FORMS": 1, "items-0-id": item.pk, "items-0-order": order.pk,
        "items-0-product": item.product_id, "items-0-quantity": 9, "items-0-unit_price": "0.01",
        "items-1-order": order.pk, "items-1-product": item.product_id, "items-1-quantity": 1,
        "items-1-unit_price": "1.00"}))
    item.refresh_from_db()
    assert (item.quantity, item.unit_price) == (1, Decimal("89.99"))
    assert OrderItem.objects.filter(order=order).count() == 1


def test_orders_cannot_be_added_or_deleted_in_the_admin(client, superuser):
    order = OrderFactory()
    client.force_login(superuser)
    assert client.get(reverse("admin:orders_order_add")).status_code == 403
    assert client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


@pytest.mark.parametrize("field, hostile", [("status", "completed"), ("amount", "999.00"), ("decided_by", "1")])
def test_posting_a_changed_refund_changes_nothing(client, superuser, field, hostile):
    refund = RefundFactory(status=Refund.Status.PENDING_APPROVAL, amount=Decimal("80.00"))
    before = Refund.objects.filter(pk=refund.pk).values().get()
    client.force_login(superuser)
    response = client.post(reverse("admin:orders_refund_change", args=[refund.pk]), {field: hostile, "_save": "Save"})
    assert response.status_code == 403
    assert Refund.objects.filter(pk=refund.pk).values().get() == before


def test_the_refund_page_offers_no_save_button(client, superuser):
    refund = RefundFactory(status=Refund.Status.PENDING_APPROVAL)
    client.force_login(superuser)
    page = client.get(reverse("admin:orders_refund_change", args=[refund.pk])).content.decode()
    assert 'name="_save"' not in page
