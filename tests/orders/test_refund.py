"""The refund policy and ledger: every branch, and money moving at most once."""

from decimal import Decimal

import pytest
from django.test import override_settings

from orders.exceptions import RefundNotAllowed
from orders.models import Order, Refund
from orders.services import approve_refund, request_refund
from tests.concurrency import at_once
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
    """The same refund of 40.00 under each key, all at once: (outcomes, refusals)."""
    results = at_once(lambda key: refund(Order.objects.get(pk=order.pk), amount=Decimal("40"), key=key), keys,
                      expected=RefundNotAllowed)
    return ([outcome for _key, outcome in results if not isinstance(outcome, RefundNotAllowed)],
            [outcome for _key, outcome in results if isinstance(outcome, RefundNotAllowed)])


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


# --- the approval threshold applies to what the order is refunded in total ----------------------------------------
def _split(order, parts, *, prefix="split", conversation_id=None):
    return [request_refund(order=order, reason="defective", amount=Decimal(part), requested_by="assistant",
                           idempotency_key=f"{prefix}-{i}", conversation_id=conversation_id)
            for i, part in enumerate(parts)]


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
@pytest.mark.parametrize("parts, waits_for_a_person", [
    (["199.99", "199.98", "49.03"], [False, True, True]),
    (["150.00", "150.00"], [False, True]),
    (["40.00", "40.00", "40.00", "40.00", "40.01"], [False, False, False, False, True]),
    (["200.00", "0.01"], [False, True]),
])
def test_a_refund_split_in_parts_needs_approval_once_the_parts_pass_the_threshold(parts, waits_for_a_person):
    order = OrderFactory(total=Decimal("449.00"))
    outcomes = _split(order, parts)
    assert [o.needs_approval for o in outcomes] == waits_for_a_person
    order.refresh_from_db()
    assert order.refunded_total == sum(Decimal(p) for p, waits in zip(parts, waits_for_a_person, strict=False) if not waits)
    assert order.refunded_total <= Decimal("200")


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_a_refund_split_over_two_conversations_still_needs_approval():
    from tests.factories import ConversationFactory

    order = OrderFactory(total=Decimal("449.00"))
    first, second = ConversationFactory(), ConversationFactory()
    _split(order, ["199.99"], prefix="first", conversation_id=first.pk)
    [later] = _split(order, ["199.98"], prefix="second", conversation_id=second.pk)
    assert later.needs_approval
    order.refresh_from_db()
    assert order.refunded_total == Decimal("199.99")


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_a_refund_awaiting_approval_counts_towards_the_threshold_of_the_next_one():
    order = OrderFactory(total=Decimal("449.00"))
    pending, small = _split(order, ["300.00", "10.00"])
    assert pending.needs_approval and small.needs_approval
    order.refresh_from_db()
    assert order.refunded_total == 0


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_a_declined_refund_no_longer_counts_towards_the_threshold():
    from orders.services import decline_refund

    order = OrderFactory(total=Decimal("449.00"))
    [pending] = _split(order, ["300.00"], prefix="big")
    [while_pending] = _split(order, ["50.00"], prefix="while-pending")
    assert while_pending.needs_approval
    decline_refund(refund=pending.refund, user=UserFactory(), reason="Used, not defective")
    decline_refund(refund=while_pending.refund, user=UserFactory(), reason="Used, not defective")
    [after] = _split(order, ["50.00"], prefix="after")
    assert after.completed


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_a_pending_refund_that_passes_the_threshold_can_still_be_approved():
    order = OrderFactory(total=Decimal("449.00"))
    _first, pending = _split(order, ["199.99", "199.98"])
    approve_refund(refund=pending.refund, user=UserFactory())
    order.refresh_from_db()
    assert order.refunded_total == Decimal("399.97")


def test_an_agent_cannot_approve_a_refund_they_asked_for():
    agent = UserFactory()
    order = OrderFactory(total=Decimal("1299.00"))
    pending = request_refund(order=order, reason="defective", amount=None, requested_by="agent",
                             idempotency_key="agent-1", user=agent).refund
    with pytest.raises(RefundNotAllowed) as error:
        approve_refund(refund=pending, user=agent)
    assert error.value.code == "own_refund"
    order.refresh_from_db()
    assert order.refunded_total == 0 and Refund.objects.get().status == Refund.Status.PENDING_APPROVAL


@pytest.mark.django_db(transaction=True)
@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_concurrent_parts_of_a_split_refund_never_move_more_than_the_threshold_without_a_person():
    order = OrderFactory(total=Decimal("449.00"))
    _concurrent_refunds(order, [f"part{i}" for i in range(8)])  # 8 × 40.00, all at once
    order.refresh_from_db()
    assert order.refunded_total <= Decimal("200")
    assert Refund.objects.filter(status=Refund.Status.COMPLETED).count() == 5
    assert Refund.objects.filter(status=Refund.Status.PENDING_APPROVAL).count() == 3


# --- amounts ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    "1e309", "NaN", "nan", "Infinity", "-Infinity", "inf", "-0", "0x10", "1e3", "1E+2", "4e1", "1e999999999",
    "1e-999999999", "+40", "40,00", "4_0", "٤٠", "４０", " ", "", "40.", ".5", "1" * 400, float("inf"), float("nan"),
    -0.0, 10**400, 1e300, 5e-324, [40], {"value": 40}, True, False,
])
def test_an_amount_that_is_not_a_plain_positive_number_is_refused(raw):
    from orders.policy import parse_amount

    with pytest.raises(RefundNotAllowed) as error:
        parse_amount(raw)
    assert error.value.code == "invalid_amount"


def test_the_admin_cannot_edit_what_the_refund_policy_reads():
    from django.contrib.admin.sites import site

    from orders.admin import OrderAdmin

    readonly = set(OrderAdmin(Order, site).get_readonly_fields(request=None))
    assert {"total", "refunded_total", "currency", "status"} <= readonly


# --- the decision -------------------------------------------------------------------------------------------------
def test_an_approval_records_who_decided_when_and_their_note():
    pending = refund(OrderFactory(total=Decimal("1299.00"))).refund
    agent = UserFactory()
    approved = approve_refund(refund=pending, user=agent, note="  Checked the photos.  ")
    assert (approved.decided_by, approved.decision_note) == (agent, "Checked the photos.")
    assert approved.decided_at is not None and approved.completed_at is not None


def test_a_decline_records_its_reason_and_moves_no_money():
    from orders.services import decline_refund

    order = OrderFactory(total=Decimal("1299.00"))
    declined = decline_refund(refund=refund(order).refund, user=UserFactory(), reason="Dropped, not defective.")
    assert declined.status == Refund.Status.DECLINED and declined.decision_note == "Dropped, not defective."
    assert declined.decided_at is not None and declined.completed_at is None
    order.refresh_from_db()
    assert order.refunded_total == 0


@pytest.mark.parametrize("reason, code", [("", "reason_required"), ("   ", "reason_required"), (None, "reason_required"),
                                          ("x" * 501, "reason_too_long")])
def test_a_decline_without_a_usable_reason_is_refused_and_nothing_changes(reason, code):
    from orders.services import decline_refund

    pending = refund(OrderFactory(total=Decimal("1299.00"))).refund
    with pytest.raises(RefundNotAllowed) as error:
        decline_refund(refund=pending, user=UserFactory(), reason=reason)
    assert error.value.code == code
    pending.refresh_from_db()
    assert pending.status == Refund.Status.PENDING_APPROVAL and pending.decided_by is None


def test_a_declined_refund_cannot_be_approved_afterwards():
    from orders.services import decline_refund

    order = OrderFactory(total=Decimal("1299.00"))
    pending = refund(order).refund
    decline_refund(refund=pending, user=UserFactory(), reason="No.")
    with pytest.raises(RefundNotAllowed) as error:
        approve_refund(refund=pending, user=UserFactory())
    assert error.value.code == "already_decided"
    order.refresh_from_db()
    assert order.refunded_total == 0
