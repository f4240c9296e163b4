"""Customers, the catalogue, orders and the refund ledger in the admin.

Money and order state (status, totals, refunded total, the dates the refund policy reads, the owner) are written by
the services only: here they are read-only, and no order or refund is added or deleted by hand.

Amounts are shown in their currency, written for the reader's language (helpdesk.money): "€39.98", "39,98 €".
A customer's row and page lead to their page in the desk (URL name `desk-customer`, reversed by name: orders never
imports the desk), for the staff who may open it.

RefundAdmin (the refund ledger) is registered by desk.admin, which adds the Approve and Decline actions: a decision
closes the loop with the customer (their chat, an email, the approval ticket solved: desk.refunds.decide_refund),
which only the desk knows how to do, and orders never imports the desk.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import LedgerAdmin, ReadOnlyInline, StatusHistoryAdmin
from helpdesk.money import format_money

from .models import Customer, Order, OrderItem, Product, Refund

# Who may open a customer's page in the desk (desk.permissions.is_support_agent checks it again): the link is
# offered only to them, so nobody is sent to a refusal.
DESK_PERMISSION = "tickets.change_ticket"


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """The customers, and the way to their page in the desk. For the staff who may open it, a customer's name in the
    list opens that page (the orders, refunds, conversations and tickets an agent came for; the record's own page
    is read-only for agents) and their email opens the record, where an admin edits the name or language; the
    change page has a button to the desk page (templates/admin/orders/customer/change_form.html)."""

    list_display = ["name", "email", "language", "user", "created_at"]
    list_filter = ["language"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]

    def get_list_display(self, request):
        if request.user.has_perm(DESK_PERMISSION):
            return ["desk_page", *self.list_display[1:]]
        return self.list_display

    def get_list_display_links(self, request, list_display):
        if "desk_page" in list_display:
            return ["email"]
        return super().get_list_display_links(request, list_display)

    @admin.display(description=_("name"), ordering="name")
    def desk_page(self, customer):
        return format_html('<a class="desk-customer-link" href="{}" title="{}">{}</a>',
                           reverse("desk-customer", args=[customer.pk]), _("Their page in the desk"),
                           customer.name or customer.email)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and request.user.has_perm(DESK_PERMISSION):
            extra_context["desk_customer_url"] = reverse("desk-customer", args=[object_id])
        return super().changeform_view(request, object_id, form_url, extra_context)


def _money(field: str, description):
    """A list / read-only column: `field` of the row in the row's currency (`currency`, or its order's)."""

    @admin.display(description=description, ordering=field)
    def column(self, row):
        currency = getattr(row, "currency", "") or row.order.currency
        return format_money(getattr(row, field), currency)

    return column


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "price"]
    list_filter = ["category"]
    search_fields = ["sku", "name"]


class OrderItemInline(ReadOnlyInline):
    """What was bought, at what price: part of the order's record."""

    model = OrderItem
    fields = ["product", "quantity", "price"]

    @admin.display(description=_("unit price"))
    def price(self, item):
        return format_money(item.unit_price, item.order.currency)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["refund_amount", "reason", "status", "requested_by", "created_at"]
    refund_amount = _money("amount", _("amount"))


@admin.register(Order)
class OrderAdmin(StatusHistoryAdmin, admin.ModelAdmin):
    list_display = ["number", "customer", "status", "order_total", "order_refunded", "placed_at", "carrier"]
    list_filter = ["status", "currency", "carrier"]
    search_fields = ["number", "customer__email", "customer__name", "tracking_number"]
    date_hierarchy = "placed_at"
    inlines = [OrderItemInline, RefundInline]
    list_select_related = ["customer"]
    # The owner decides who may see the order; the dates, total and refunded total decide what may be refunded.
    shown_readonly = ["number", "customer", "status", "placed_at", "shipped_at", "delivered_at", "order_total",
                      "order_refunded", "status_history"]
    # The raw money fields stay read-only too (shown above in their currency), so no form ever carries them.
    readonly_fields = [*shown_readonly, "total", "refunded_total", "currency"]
    fields = [*shown_readonly, "expected_delivery", "carrier", "tracking_number", "notes"]
    order_total = _money("total", _("total"))
    order_refunded = _money("refunded_total", _("refunded total"))

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
    list_display = ["order", "refund_amount", "reason", "status", "requested_by", "created_at", "decided_by",
                    "decided_at"]
    list_filter = ["status", "reason", "requested_by"]
    search_fields = ["order__number", "order__customer__email", "idempotency_key"]
    list_select_related = ["order", "decided_by"]
    # The ledger is written by services only: the admin reads it (decisions are actions, added by desk.admin).
    readonly_fields = [f.name for f in Refund._meta.fields]
    refund_amount = _money("amount", _("amount"))
