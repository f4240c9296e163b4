"""The orders app's verbs: identity-checked order access and the refund ledger.

Money moves at most once, on both databases: the refund is claimed with a conditional UPDATE on the order's
`refunded_total` (the database refuses to go past the total, and the CHECK constraint backs it up), the refund row
carries a unique idempotency key, and on PostgreSQL the order row is also locked for the whole decision.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .exceptions import OrderNotFound, RefundNotAllowed
from .models import Customer, Order, Refund
from .policy import REFUND_TIMING, check_refund_allowed

_ORDER_NUMBER = re.compile(r"^\s*#?\s*(?:ORD)?[\s-]*(\d{5})\s*$", re.IGNORECASE)


def check_order_number(raw) -> str:
    """Normalize what a customer or a model typed ("ord-78432", "#78432", "78432") to ORD-NNNNN."""
    match = _ORDER_NUMBER.match(str(raw or ""))
    if not match:
        raise OrderNotFound("Order numbers look like ORD-12345.", code="invalid_order_number")
    return f"ORD-{match.group(1)}"


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_customer_by_email(email: str) -> Customer | None:
    return Customer.objects.filter(email__iexact=normalize_email(email)).first()


def access_order(*, number: str, customer: Customer | None = None, email: str = "") -> Order:
    """The order `number` if it belongs to `customer` or to `email` (case-insensitive); else OrderNotFound.

    A missing order and somebody else's order raise the same error with the same message, so order numbers
    cannot be enumerated. With neither customer nor email, nothing is returned.
    """
    number = check_order_number(number)
    order = Order.objects.select_related("customer").prefetch_related("items__product").filter(number=number).first()
    if order is None:
        raise OrderNotFound()
    owner_email = normalize_email(order.customer.email)
    if customer is not None and order.customer_id == customer.pk:
        return order
    if email and normalize_email(email) == owner_email:
        return order
    raise OrderNotFound()


def order_summary(order: Order) -> dict:
    """What the customer may see of their own order (no internal ids)."""
    return {
        "order_id": order.number,
        "status": order.status,
        "placed_at": order.placed_at.date().isoformat(),
        "shipped_at": order.shipped_at.date().isoformat() if order.shipped_at else None,
        "delivered_at": order.delivered_at.date().isoformat() if order.delivered_at else None,
        "expected_delivery": order.expected_delivery.isoformat() if order.expected_delivery else None,
        "carrier": order.carrier or None,
        "tracking_number": order.tracking_number or None,
        "total": f"{order.total:.2f}",
        "refunded": f"{order.refunded_total:.2f}",
        "currency": order.currency,
        "items": [
            {"product": item.product.name, "quantity": item.quantity, "unit_price": f"{item.unit_price:.2f}"}
            for item in order.items.all()
        ],
        "delivery_notes": order.notes or None,
    }


@dataclass(frozen=True)
class RefundOutcome:
    refund: Refund
    replayed: bool  # True when this exact request had already been made: nothing moved this time

    @property
    def completed(self) -> bool:
        return self.refund.status == Refund.Status.COMPLETED

    @property
    def needs_approval(self) -> bool:
        return self.refund.status == Refund.Status.PENDING_APPROVAL

    @property
    def timing(self) -> str:
        return REFUND_TIMING


def request_refund(
    *,
    order: Order,
    reason: str,
    amount: Decimal | None,
    requested_by: str,
    idempotency_key: str,
    conversation_id=None,
    user=None,
) -> RefundOutcome:
    """Refund `order` under the policy, exactly once per idempotency key.

    Below the approval threshold the money moves now (status completed). Above it a refund awaiting a person's
    approval is recorded and no money moves; the caller opens the approval ticket.
    """
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return RefundOutcome(existing, replayed=True)
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
            if existing:
                return RefundOutcome(existing, replayed=True)
            decision = check_refund_allowed(order=locked, reason=reason, amount=amount)
            refund = Refund.objects.create(
                order=locked,
                amount=decision.amount,
                currency=locked.currency,
                reason=reason,
                status=Refund.Status.PENDING_APPROVAL if decision.needs_approval else Refund.Status.COMPLETED,
                requested_by=requested_by,
                requested_by_user=user,
                conversation_id=conversation_id,
                idempotency_key=idempotency_key,
            )
            if not decision.needs_approval:
                _move_money(locked, refund)
    except IntegrityError:
        # A concurrent identical request committed first: report its refund; nothing moved here.
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return RefundOutcome(existing, replayed=True)
    order.refresh_from_db()
    return RefundOutcome(refund, replayed=False)


def approve_refund(*, refund: Refund, user) -> Refund:
    """A person approves a refund that was above the threshold: the money moves now, once."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING_APPROVAL:
            raise RefundNotAllowed("This refund has already been decided.", code="already_decided")
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        check_refund_allowed(order=order, reason=refund.reason, amount=refund.amount)
        claimed = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING_APPROVAL).update(
            status=Refund.Status.COMPLETED, decided_by=user
        )
        if not claimed:
            raise RefundNotAllowed("This refund has already been decided.", code="already_decided")
        refund.refresh_from_db()
        _move_money(order, refund)
    return refund


def decline_refund(*, refund: Refund, user) -> Refund:
    updated = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING_APPROVAL).update(
        status=Refund.Status.DECLINED, decided_by=user
    )
    if not updated:
        raise RefundNotAllowed("This refund has already been decided.", code="already_decided")
    refund.refresh_from_db()
    return refund


def _move_money(order: Order, refund: Refund) -> None:
    """Add `refund` to the order's refunded total with a conditional UPDATE: it matches no row if that would pass
    the total, whatever another transaction did meanwhile. Call inside the refund's transaction."""
    claimed = Order.objects.filter(pk=order.pk, refunded_total__lte=F("total") - refund.amount).update(
        refunded_total=F("refunded_total") + refund.amount
    )
    if not claimed:
        raise RefundNotAllowed(
            f"The most that can still be refunded on {order.number} is {order.refundable_amount} {order.currency}.",
            code="amount_over_refundable",
        )
    order.refresh_from_db(fields=["refunded_total"])
    order.transition_to(
        Order.Status.REFUNDED if order.refunded_total >= order.total else Order.Status.PARTIALLY_REFUNDED
    )
    order.save(update_fields=["status"])
    Refund.objects.filter(pk=refund.pk).update(completed_at=timezone.now())
    refund.refresh_from_db(fields=["completed_at"])
