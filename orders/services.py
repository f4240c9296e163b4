"""The orders app's verbs: identity-checked order access, the look-up lock-out and the refund ledger.

Money moves at most once, on both databases: the refund is claimed with a conditional UPDATE on the order's
`refunded_total` (the database refuses to go past the total, and the CHECK constraint backs it up), the refund row
carries a unique idempotency key, and on PostgreSQL the order row is also locked for the whole decision.
"""

import operator
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from helpdesk.emails import InvalidEmail, canonical_email_or_blank, check_email
from helpdesk.money import format_money
from helpdesk.statuses import Actor

from .exceptions import OrderNotFound, RefundNotAllowed, VerificationLocked
from .models import Customer, LookupFailure, Order, Refund
from .policy import REFUND_TIMING, check_refund_allowed

__all__ = ["InvalidEmail", "check_email"]  # re-exported: the one email check, for callers of this app

_ORDER_NUMBER = re.compile(r"^\s*#?\s*(?:ORD)?[\s-]*(\d{5})\s*$", re.IGNORECASE)


def check_order_number(raw) -> str:
    """Normalize what a customer or a model typed ("ord-78432", "#78432", "78432") to ORD-NNNNN."""
    match = _ORDER_NUMBER.match(str(raw or ""))
    if not match:
        raise OrderNotFound("Order numbers look like ORD-12345.", code="invalid_order_number")
    return f"ORD-{match.group(1)}"


def find_customer_by_email(email: str) -> Customer | None:
    """The customer whose address is `email` (any spelling check_email accepts); None for an invalid one."""
    canonical = canonical_email_or_blank(email)
    if not canonical:
        return None
    return Customer.objects.filter(email__iexact=canonical).first()


def access_order(*, number: str, customer: Customer | None = None, email: str = "") -> Order:
    """The order `number` if it belongs to `customer` or to `email` (compared in canonical form); else OrderNotFound.

    A missing order and somebody else's order raise the same error with the same message, so order numbers
    cannot be enumerated. With neither customer nor email, nothing is returned. An `email` that is not a valid
    address matches nothing.
    """
    number = check_order_number(number)
    order = Order.objects.select_related("customer").prefetch_related("items__product").filter(number=number).first()
    if order is None:
        raise OrderNotFound()
    if customer is not None and order.customer_id == customer.pk:
        return order
    claimed = canonical_email_or_blank(email) if email else ""
    if claimed and claimed == canonical_email_or_blank(order.customer.email):
        return order
    raise OrderNotFound()


# --- the look-up lock-out -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LookupIdentity:
    """Who is looking orders up, as the keys of the lock-out: fingerprints of the browser session and of the client
    address (helpdesk.fingerprints), the logged-in customer, and the canonical email claimed (for a guest). Blank
    keys are not counted: they would match every other blank one."""

    session_key_hash: str = ""
    client_address_hash: str = ""
    customer: Customer | None = None
    email: str = ""

    def keys(self) -> Q | None:
        keys = [Q(session_key_hash=self.session_key_hash) if self.session_key_hash else None,
                Q(client_address_hash=self.client_address_hash) if self.client_address_hash else None,
                Q(customer=self.customer) if self.customer is not None else None,
                Q(email=self.email) if self.email else None]
        present = [key for key in keys if key is not None]
        return reduce(operator.or_, present) if present else None


def lookup_failures(identity: LookupIdentity) -> int:
    """The failed look-ups in the window (LOOKUP_LOCKOUT_WINDOW_SECONDS) of the most-failed key of `identity`.
    One query: the rows of any key in the window, counted per key."""
    keys = identity.keys()
    if keys is None:
        return 0
    per_key = {}
    if identity.session_key_hash:
        per_key["session"] = Count("pk", filter=Q(session_key_hash=identity.session_key_hash))
    if identity.client_address_hash:
        per_key["address"] = Count("pk", filter=Q(client_address_hash=identity.client_address_hash))
    if identity.customer is not None:
        per_key["customer"] = Count("pk", filter=Q(customer=identity.customer))
    if identity.email:
        per_key["email"] = Count("pk", filter=Q(email=identity.email))
    since = timezone.now() - timedelta(seconds=settings.LOOKUP_LOCKOUT_WINDOW_SECONDS)
    counts = LookupFailure.objects.filter(keys, created_at__gte=since).aggregate(**per_key)
    return max((count or 0 for count in counts.values()), default=0)


def check_lookup_allowed(*, identity: LookupIdentity) -> None:
    """Raise VerificationLocked when any key of `identity` has MAX_FAILED_VERIFICATIONS failures in the window,
    whatever conversation they came from."""
    if lookup_failures(identity) >= settings.MAX_FAILED_VERIFICATIONS:
        raise VerificationLocked()


def record_lookup_failure(*, identity: LookupIdentity) -> int:
    """Count a failed look-up against every key of `identity`; returns the attempts left (0 = now locked)."""
    if identity.keys() is not None:
        _insert_failure(identity)
    return max(settings.MAX_FAILED_VERIFICATIONS - lookup_failures(identity), 0)


def lookup_order(*, number: str, identity: LookupIdentity, customer: Customer | None, email: str) -> Order:
    """access_order under the lock-out: the order; or VerificationLocked when a key of `identity` is already locked;
    or OrderNotFound with `attempts_left` (0: this failure locked it; None: `identity` has no key to count).

    The attempt is recorded as a failure BEFORE the order is read and withdrawn if it succeeds, so look-ups made at
    the same time (several tool calls, tabs, processes) all count: none can check the lock, then fail, unseen by
    the others. A malformed order number is not an attempt (OrderNotFound with code invalid_order_number).
    """
    number = check_order_number(number)
    if identity.keys() is None:
        check_lookup_allowed(identity=identity)
        claim = None
    else:
        # One count, after the claim: a key already locked counts more than the limit with this attempt too, so
        # the count before it (check_lookup_allowed) would say nothing this one does not.
        claim = _insert_failure(identity)
        if lookup_failures(identity) > settings.MAX_FAILED_VERIFICATIONS:
            claim.delete()  # locked already, or a concurrent attempt took the last one: refused, not counted
            raise VerificationLocked()
    try:
        order = access_order(number=number, customer=customer, email=email)
    except OrderNotFound:
        error = OrderNotFound()
        error.attempts_left = (
            max(settings.MAX_FAILED_VERIFICATIONS - lookup_failures(identity), 0) if claim is not None else None)
        raise error from None
    except BaseException:
        if claim is not None:
            claim.delete()
        raise
    if claim is not None:
        claim.delete()
    return order


def _insert_failure(identity: LookupIdentity) -> LookupFailure:
    return LookupFailure.objects.create(
        session_key_hash=identity.session_key_hash, client_address_hash=identity.client_address_hash,
        customer=identity.customer, email=identity.email,
    )


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

    When the order's refunds so far (completed and awaiting approval) plus this one stay within the approval
    threshold, the money moves now (status completed). Past it, a refund awaiting a person's approval is recorded
    and no money moves; the caller opens the approval ticket. The decision is made under the order's row lock
    (select_for_update on PostgreSQL; SQLite's IMMEDIATE transactions serialize writers), so concurrent requests
    cannot each stay under the threshold.
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
                _move_money(locked, refund, actor=requested_by, user=user)
    except IntegrityError:
        # A concurrent identical request committed first: report its refund; nothing moved here.
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return RefundOutcome(existing, replayed=True)
    order.refresh_from_db()
    return RefundOutcome(refund, replayed=False)


MAX_DECISION_NOTE_CHARS = Refund._meta.get_field("decision_note").max_length


def check_decision_note(note, *, required: bool) -> str:
    """The decision's note as stored: stripped; RefundNotAllowed when a required one (a decline's reason, which the
    customer is told) is missing, or when it is longer than the column."""
    text = (note if isinstance(note, str) else "").replace("\x00", "").strip()
    if required and not text:
        raise RefundNotAllowed("A declined refund needs a reason: the customer is told why.", code="reason_required")
    if len(text) > MAX_DECISION_NOTE_CHARS:
        raise RefundNotAllowed(f"Please keep the reason under {MAX_DECISION_NOTE_CHARS} characters.",
                               code="reason_too_long")
    return text


def approve_refund(*, refund: Refund, user, note: str = "") -> Refund:
    """A person approves a refund that was above the threshold: the money moves now, once.

    The approver must not be the person who requested it (an agent cannot approve their own refund). The decision
    (who, when, and the approver's `note`) is recorded on the refund. A refund already decided is refused
    (RefundNotAllowed, code already_decided), so of two people deciding at once exactly one decides."""
    note = check_decision_note(note, required=False)
    with transaction.atomic():
        refund = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING_APPROVAL:
            raise RefundNotAllowed("This refund has already been decided.", code="already_decided")
        if refund.requested_by_user_id is not None and user is not None and refund.requested_by_user_id == user.pk:
            raise RefundNotAllowed("A refund is approved by another person than the one who asked for it.",
                                   code="own_refund")
        order = Order.objects.select_for_update().get(pk=refund.order_id)
        check_refund_allowed(order=order, reason=refund.reason, amount=refund.amount, approving=refund)
        claimed = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING_APPROVAL).update(
            status=Refund.Status.COMPLETED, decided_by=user, decided_at=timezone.now(), decision_note=note,
        )
        if not claimed:
            raise RefundNotAllowed("This refund has already been decided.", code="already_decided")
        refund.refresh_from_db()
        _move_money(order, refund, actor=Actor.AGENT, user=user)
    return refund


def decline_refund(*, refund: Refund, user, reason: str) -> Refund:
    """A person declines a refund awaiting approval, saying why (`reason`, told to the customer: required). No money
    moves. One conditional UPDATE: a refund already decided is refused (RefundNotAllowed, code already_decided)."""
    reason = check_decision_note(reason, required=True)
    updated = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING_APPROVAL).update(
        status=Refund.Status.DECLINED, decided_by=user, decided_at=timezone.now(), decision_note=reason,
    )
    if not updated:
        raise RefundNotAllowed("This refund has already been decided.", code="already_decided")
    refund.refresh_from_db()
    return refund


def _move_money(order: Order, refund: Refund, *, actor: str, user=None) -> None:
    """Add `refund` to the order's refunded total with a conditional UPDATE: it matches no row if that would pass
    the total, whatever another transaction did meanwhile; the order's move to (partially) refunded is recorded
    as `actor`'s (`user`: the person who asked or approved). Call inside the refund's transaction, under the
    order's row lock."""
    claimed = Order.objects.filter(pk=order.pk, refunded_total__lte=F("total") - refund.amount).update(
        refunded_total=F("refunded_total") + refund.amount
    )
    if not claimed:
        raise RefundNotAllowed(
            f"The most that can still be refunded on {order.number} is "
            f"{format_money(order.refundable_amount, order.currency, 'en')}.",
            code="amount_over_refundable",
        )
    order.refresh_from_db(fields=["refunded_total"])
    order.transition_to(
        Order.Status.REFUNDED if order.refunded_total >= order.total else Order.Status.PARTIALLY_REFUNDED,
        actor=actor, user=user, note=f"Refund of {format_money(refund.amount, refund.currency, 'en')}",
    )
    order.save(update_fields=["status"])
    Refund.objects.filter(pk=refund.pk).update(completed_at=timezone.now())
    refund.refresh_from_db(fields=["completed_at"])
