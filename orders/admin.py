"""Customers, the catalogue, orders and the refund ledger in the admin.

Money and order state (status, totals, refunded total, the dates the refund policy reads, the owner) are written by
the services only: here they are read-only, and no order or refund is added or deleted by hand.

RefundAdmin (the refund ledger) is registered by desk.admin, which adds the Approve and Decline actions: a decision
closes the loop with the customer (their chat, an email, the approval ticket solved: desk.refunds.decide_refund),
which only the desk knows how to do, and orders never imports the desk.
"""

from django.contrib import admin

from helpdesk.admin import LedgerAdmin, ReadOnlyInline, StatusHistoryAdmin

from .models import Customer, Order, OrderItem, Product, Refund


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "language", "user", "created_at"]
    list_filter = ["language"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "price"]
    list_filter = ["category"]
    search_fields = ["sku", "name"]


class OrderItemInline(ReadOnlyInline):
    """What was bought, at what price: part of the order's record."""

    model = OrderItem
    fields = ["product", "quantity", "unit_price"]


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["amount", "currency", "reason", "status", "requested_by", "created_at"]


@admin.register(Order)
class OrderAdmin(StatusHistoryAdmin, admin.ModelAdmin):
    list_display = ["number", "customer", "status", "total", "refunded_total", "currency", "placed_at", "carrier"]
    list_filter = ["status", "currency", "carrier"]
    search_fields = ["number", "customer__email", "customer__name", "tracking_number"]
    date_hierarchy = "placed_at"
    inlines = [OrderItemInline, RefundInline]
    list_select_related = ["customer"]
    # The owner decides who may see the order; the dates, total and refunded total decide what may be refunded.
    readonly_fields = ["number", "customer", "status", "placed_at", "shipped_at", "delivered_at", "total",
                       "refunded_total", "currency", "status_history"]
    fields = [*readonly_fields, "expected_delivery", "carrier", "tracking_number", "notes"]

    def has_add_permission(self, request):
        return False  # orders come from the store

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Write only the shipping details the form changed: a full save would write back refunded_total and
        status as they were when the page was loaded, over a refund that completed meanwhile."""
        if form.changed_data:
            obj.save(update_fields=form.changed_data)


class RefundAdmin(LedgerAdmin):
    list_display = ["order", "amount", "currency", "reason", "status", "requested_by", "created_at", "decided_by",
                    "decided_at"]
    list_filter = ["status", "reason", "requested_by"]
    search_fields = ["order__number", "order__customer__email", "idempotency_key"]
    list_select_related = ["order", "decided_by"]
    # The ledger is written by services only: the admin reads it (decisions are actions, added by desk.admin).
    readonly_fields = [f.name for f in Refund._meta.fields]
