"""The refund policy and ledger: every branch, and money moving at most once."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections
from django.test import override_settings

from orders.exceptions import RefundNotAllowed
from orders.models import Order, Refund
from orders.services import approve_refund, request_refund
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def refund(order, *, reason="defective", amount=None, key="k1"):
    return request_refund(order=order, reason=reason, amount=amount, requested_by="assistant", idempotency_key=key)


def test_a_delivered_order_within_the_window_is_refunded_in_full():
    order = OrderFactory(total=Decimal("89.99"))
    outcome = refund(order)
    assert outcome.completed and not outcome.replayed
    assert outcome.refund.amount == Decimal("89.99")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert order.refunded_total == Decimal("89.99")


def test_the_same_request_twice_pays_once():
    order = OrderFactory(total=Decimal("89.99"))
    refund(order, key="same")
    again = refund(order, key="same")
    assert again.replayed
    assert Refund.objects.count() == 1
    order.refresh_from_db()
    assert order.refunded_total == Decimal("89.99")


def test_a_partial_refund_leaves_the_rest_refundable():
    order = OrderFactory(total=Decimal("100.00"))
    refund(order, amount=Decimal("40"), key="a")
    refund(order, amount=Decimal("40"), key="b")
    with pytest.raises(RefundNotAllowed) as error:
        refund(order, amount=Decimal("40"), key="c")
    assert error.value.code == "amount_over_refundable"
    order.refresh_from_db()
    assert order.refunded_total == Decimal("80.00")
    assert order.status == Order.Status.PARTIALLY_REFUNDED


def test_an_order_delivered_outside_the_window_is_refused_and_nothing_moves():
    order = OrderFactory(old=True)
    with pytest.raises(RefundNotAllowed) as error:
        refund(order)
    assert error.value.code == "outside_window"
    assert not Refund.objects.exists()


@override_settings(REFUND_WINDOW_DAYS=3)
def test_the_window_comes_from_settings():
    order = OrderFactory()  # delivered 5 days ago
    with pytest.raises(RefundNotAllowed):
        refund(order)


def test_not_received_is_refused_while_the_order_is_still_on_time():
    order = OrderFactory(in_transit=True)
    with pytest.raises(RefundNotAllowed) as error:
        refund(order, reason="not_received")
    assert error.value.code == "not_yet_late"


def test_not_received_is_refunded_once_the_order_is_late():
    order = OrderFactory(late=True)
    assert refund(order, reason="not_received").completed


def test_a_cancelled_order_is_not_refunded():
    order = OrderFactory(status=Order.Status.CANCELLED, delivered_at=None)
    with pytest.raises(RefundNotAllowed) as error:
        refund(order)
    assert error.value.code == "order_cancelled"


def test_an_amount_above_the_threshold_waits_for_a_person_and_moves_no_money():
    order = OrderFactory(total=Decimal("1299.00"))
    outcome = refund(order)
    assert outcome.needs_approval
    order.refresh_from_db()
    assert order.refunded_total == 0


def test_an_approved_refund_moves_the_money_once():
    order = OrderFactory(total=Decimal("1299.00"))
    pending = refund(order).refund
    agent = UserFactory()
    approve_refund(refund=pending, user=agent)
    with pytest.raises(RefundNotAllowed):
        approve_refund(refund=pending, user=agent)
    order.refresh_from_db()
    assert order.refunded_total == Decimal("1299.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("89.991"), Decimal("90.00")])
def test_invalid_amounts_are_refused(amount):
    from orders.policy import parse_amount

    order = OrderFactory(total=Decimal("89.99"))
    with pytest.raises(RefundNotAllowed):
        refund(order, amount=parse_amount(amount))
    assert not Refund.objects.exists()


def _concurrent_refunds(order, keys):
    barrier = threading.Barrier(len(keys))
    outcomes, errors = [], []

    def worker(key):
        close_old_connections()
        try:
            barrier.wait()
            outcomes.append(refund(Order.objects.get(pk=order.pk), amount=Decimal("40"), key=key))
        except RefundNotAllowed as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_identical_refunds_pay_exactly_once():
    order = OrderFactory(total=Decimal("100.00"))
    outcomes, errors = _concurrent_refunds(order, ["same-key"] * 20)
    assert not errors
    assert sum(not o.replayed for o in outcomes) == 1
    order.refresh_from_db()
    assert order.refunded_total == Decimal("40.00")
    assert Refund.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_partial_refunds_never_exceed_the_total():
    order = OrderFactory(total=Decimal("100.00"))
    outcomes, errors = _concurrent_refunds(order, [f"k{i}" for i in range(6)])
    assert len(outcomes) == 2 and len(errors) == 4
    order.refresh_from_db()
    assert order.refunded_total == Decimal("80.00")
