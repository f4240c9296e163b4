"""The refund policy, in one place.

Every refund, whoever asks for it (the assistant's tool, an agent in the admin), passes `check_refund_allowed`.
Its messages are safe to show to the customer. Settings: REFUND_WINDOW_DAYS (30), REFUND_APPROVAL_THRESHOLD (200, in
the order's currency: above it a person approves the refund before money moves).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from .exceptions import RefundNotAllowed
from .models import Order, Refund

REFUND_TIMING = "within 5-7 business days, on your original payment method"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RefundDecision:
    amount: Decimal
    needs_approval: bool


def refund_window_days() -> int:
    return settings.REFUND_WINDOW_DAYS


def approval_threshold() -> Decimal:
    return Decimal(settings.REFUND_APPROVAL_THRESHOLD)


def parse_amount(raw) -> Decimal | None:
    """None for a full refund; otherwise a positive Decimal with at most 2 decimal places."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise RefundNotAllowed("The refund amount must be a number.", code="invalid_amount")
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise RefundNotAllowed("The refund amount must be a number.", code="invalid_amount") from None
    if not amount.is_finite() or amount <= 0:
        raise RefundNotAllowed("The refund amount must be more than zero.", code="invalid_amount")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise RefundNotAllowed("The refund amount can have at most two decimals.", code="invalid_amount")
    return amount.quantize(CENT)


def check_refund_allowed(*, order: Order, reason: str, amount: Decimal | None, now: datetime | None = None) -> RefundDecision:
    """Raise RefundNotAllowed unless `order` may be refunded `amount` (None = all that is left) for `reason`."""
    now = now or timezone.now()
    if reason not in Refund.Reason.values:
        raise RefundNotAllowed("That is not a refund reason I can use.", code="invalid_reason")
    if order.status == Order.Status.CANCELLED:
        raise RefundNotAllowed(
            f"Order {order.number} was cancelled, so nothing was charged for it.", code="order_cancelled"
        )
    if order.status == Order.Status.REFUNDED or order.refundable_amount <= 0:
        raise RefundNotAllowed(f"Order {order.number} has already been fully refunded.", code="already_refunded")

    if reason == Refund.Reason.NOT_RECEIVED:
        _check_not_received(order, now)
    else:
        _check_within_window(order, now)

    refundable = order.refundable_amount
    if amount is None:
        amount = refundable
    if amount > refundable:
        raise RefundNotAllowed(
            f"The most that can still be refunded on {order.number} is {refundable} {order.currency}.",
            code="amount_over_refundable",
        )
    return RefundDecision(amount=amount, needs_approval=amount > approval_threshold())


def _check_within_window(order: Order, now: datetime) -> None:
    if order.delivered_at is None:
        raise RefundNotAllowed(
            f"Order {order.number} hasn't been delivered yet. A refund for a return can be made once it arrives.",
            code="not_delivered",
        )
    deadline = order.delivered_at + timedelta(days=refund_window_days())
    if now > deadline:
        raise RefundNotAllowed(
            f"Order {order.number} was delivered on {order.delivered_at:%B %d, %Y}, more than "
            f"{refund_window_days()} days ago, so it is outside our return window.",
            code="outside_window",
        )


def _check_not_received(order: Order, now: datetime) -> None:
    if order.delivered_at is not None:
        raise RefundNotAllowed(
            f"Our carrier reports order {order.number} as delivered on {order.delivered_at:%B %d, %Y}. "
            "A person from our team can open an investigation with the carrier.",
            code="delivered",
        )
    if order.shipped_at is None or order.expected_delivery is None:
        raise RefundNotAllowed(
            f"Order {order.number} hasn't shipped yet, so it can't be reported as not received.",
            code="not_shipped",
        )
    if timezone.localdate(now) <= order.expected_delivery:
        raise RefundNotAllowed(
            f"Order {order.number} is still on its way: it is expected by {order.expected_delivery:%B %d, %Y}.",
            code="not_yet_late",
        )
