"""The refund policy, in one place.

Every refund, whoever asks for it (the assistant's tool, an agent in the admin), passes `check_refund_allowed`.
Its messages are safe to show to the customer. Settings: REFUND_WINDOW_DAYS (30), REFUND_APPROVAL_THRESHOLD (200, in
the order's currency: above it a person approves the refund before money moves).

The threshold applies to what the order would have been refunded IN TOTAL (completed refunds, refunds awaiting a
person's approval, and this one), not to each refund: otherwise 449.00 passes as 199.99 + 199.98 + 49.03, over any
number of calls, turns or conversations.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from helpdesk.money import format_money

from .exceptions import RefundNotAllowed
from .models import Order, Refund

# In English for the model (tool results); marked so that what the customer is shown can be translated.
REFUND_TIMING = gettext_noop("within 5-7 business days, on your original payment method")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RefundDecision:
    amount: Decimal
    needs_approval: bool


def refund_window_days() -> int:
    return settings.REFUND_WINDOW_DAYS


def approval_threshold() -> Decimal:
    return Decimal(settings.REFUND_APPROVAL_THRESHOLD)


# A plain decimal written in ASCII digits: no sign, exponent, hex, "NaN"/"Infinity", separators or other scripts'
# digits (Decimal() would accept "1e309", "-0", "١٢"), at most 8 digits before the point (the column holds 10).
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")
MAX_AMOUNT = Decimal("99999999.99")


def parse_amount(raw) -> Decimal | None:
    """None for a full refund; otherwise a positive Decimal with at most 2 decimal places, or RefundNotAllowed.

    A JSON number (int or finite float) or a string holding a plain decimal ("49.90") is accepted; anything else
    (booleans, "1e309", "NaN", "Infinity", "-0", "0x10", huge exponents, lists) is refused, never raised past here.
    """
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise RefundNotAllowed("The refund amount must be a number.", code="invalid_amount")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise RefundNotAllowed("The refund amount must be a number.", code="invalid_amount")
    if isinstance(raw, str):
        text = raw.strip()
        if not _PLAIN_AMOUNT.fullmatch(text):
            raise RefundNotAllowed("The refund amount must be a plain number, like 49.90.", code="invalid_amount")
        amount = Decimal(text)
    else:
        if abs(raw) > MAX_AMOUNT:
            raise RefundNotAllowed("That refund amount is far too large.", code="invalid_amount")
        amount = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if amount <= 0:
        raise RefundNotAllowed("The refund amount must be more than zero.", code="invalid_amount")
    if amount > MAX_AMOUNT:
        raise RefundNotAllowed("That refund amount is far too large.", code="invalid_amount")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise RefundNotAllowed("The refund amount can have at most two decimals.", code="invalid_amount")
    return amount.quantize(CENT)


def committed_refunds(order: Order, *, excluding: Refund | None = None) -> Decimal:
    """What `order` has been refunded or promised: its completed refunds plus those awaiting approval (all but
    `excluding`). Call under the order's row lock, so no concurrent refund slips in between."""
    pending = Refund.objects.filter(order=order, status=Refund.Status.PENDING_APPROVAL)
    if excluding is not None:
        pending = pending.exclude(pk=excluding.pk)
    return order.refunded_total + (pending.aggregate(total=Sum("amount"))["total"] or Decimal("0"))


def check_refund_allowed(
    *, order: Order, reason: str, amount: Decimal | None, now: datetime | None = None, approving: Refund | None = None
) -> RefundDecision:
    """Raise RefundNotAllowed unless `order` may be refunded `amount` (None = all that is left) for `reason`.

    The decision says whether a person must approve it: when the order's completed and pending refunds plus this
    one pass the threshold. `approving` is the pending refund being decided (it is this one, not counted twice).
    Call under the order's row lock (orders.services does)."""
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
            f"The most that can still be refunded on {order.number} is {format_money(refundable, order.currency, 'en')}.",
            code="amount_over_refundable",
        )
    needs_approval = committed_refunds(order, excluding=approving) + amount > approval_threshold()
    return RefundDecision(amount=amount, needs_approval=needs_approval)


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
