"""Customers, the catalogue, orders and the refund ledger.

Money is Decimal. An order's `refunded_total` is the sum of its completed refunds, kept on the row so that the cap
"refunds never exceed the total" is a database CHECK and can be claimed with one conditional UPDATE (which also
holds on SQLite, where select_for_update does nothing).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from helpdesk.money import format_money
from helpdesk.statuses import StatusChange, StatusPipeline

from .exceptions import InvalidStatusTransition


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


class Customer(models.Model):
    email = models.EmailField()
    name = models.CharField(max_length=120)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="customer_email_unique_ci")]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]


class Product(models.Model):
    class Category(models.TextChoices):
        AUDIO = "audio", _("Audio")
        COMPUTING = "computing", _("Computing")
        PHONES = "phones", _("Phones & tablets")
        HOME = "home", _("Smart home")
        ACCESSORIES = "accessories", _("Accessories")

    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    category = models.CharField(max_length=20, choices=Category.choices)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")]

    def __str__(self):
        return self.name


class Order(StatusPipeline, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    ALLOWED_TRANSITIONS = {
        Status.PENDING: {Status.PAID, Status.CANCELLED},
        Status.PAID: {Status.SHIPPED, Status.CANCELLED, Status.REFUNDED, Status.PARTIALLY_REFUNDED},
        Status.SHIPPED: {Status.DELIVERED, Status.REFUNDED, Status.PARTIALLY_REFUNDED},
        Status.DELIVERED: {Status.REFUNDED, Status.PARTIALLY_REFUNDED},
        Status.PARTIALLY_REFUNDED: {Status.REFUNDED, Status.PARTIALLY_REFUNDED},
        Status.CANCELLED: set(),
        Status.REFUNDED: set(),
    }
    transition_error = InvalidStatusTransition
    transition_noun = "An order"

    class Currency(models.TextChoices):
        USD = "USD", "USD"
        EUR = "EUR", "EUR"

    number = models.CharField(max_length=9, unique=True, help_text="Public order number, ORD-NNNNN.")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    placed_at = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    expected_delivery = models.DateField(null=True, blank=True)
    carrier = models.CharField(max_length=40, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    refunded_total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    notes = models.TextField(blank=True, help_text="Customer's delivery notes, as typed at checkout.")

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer", "-placed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=F("total")),
                name="order_refunds_within_total",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def refundable_amount(self) -> Decimal:
        return self.total - self.refunded_total


class OrderStatusChange(StatusChange):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        indexes = [models.Index(fields=["order", "created_at"])]


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderitem_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderitem_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Refund(models.Model):
    class Reason(models.TextChoices):
        DEFECTIVE = "defective", _("Defective")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        NOT_RECEIVED = "not_received", _("Not received")
        CHANGED_MIND = "changed_mind", _("Changed mind")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Awaiting a person's approval")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")

    class RequestedBy(models.TextChoices):
        ASSISTANT = "assistant", _("Assistant")
        AGENT = "agent", _("Agent")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Order.Currency.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    requested_by = models.CharField(max_length=10, choices=RequestedBy.choices)
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(
        max_length=500, blank=True, help_text="Why it was declined (told to the customer), or the approver's note.")
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="refunds"
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"{format_money(self.amount, self.currency)} on {self.order}"


class LookupFailure(models.Model):
    """A failed order look-up (wrong number or identity). Counted per browser session, customer, client address and
    target email over a window, across conversations, so starting a new chat does not reset the lock-out."""

    created_at = models.DateTimeField(auto_now_add=True)
    session_key_hash = models.CharField(max_length=64, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    client_address_hash = models.CharField(max_length=64, blank=True)
    email = models.CharField(max_length=254, blank=True, help_text="The canonical email the look-up claimed.")

    class Meta:
        indexes = [
            models.Index(fields=["session_key_hash", "created_at"]),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["client_address_hash", "created_at"]),
            models.Index(fields=["email", "created_at"]),
        ]

    def __str__(self):
        return f"lookup failure {self.created_at:%Y-%m-%d %H:%M}"
