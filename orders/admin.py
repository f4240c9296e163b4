from django.contrib import admin, messages

from helpdesk.exceptions import HelpdeskError

from . import services
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


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ["product"]


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["amount", "currency", "reason", "status", "requested_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "status", "total", "refunded_total", "currency", "placed_at", "carrier"]
    list_filter = ["status", "currency", "carrier"]
    search_fields = ["number", "customer__email", "customer__name", "tracking_number"]
    date_hierarchy = "placed_at"
    raw_id_fields = ["customer"]
    # The refund policy reads these: money and workflow fields change through services only, never by hand.
    readonly_fields = ["total", "refunded_total", "currency", "status"]
    inlines = [OrderItemInline, RefundInline]
    list_select_related = ["customer"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["order", "amount", "currency", "reason", "status", "requested_by", "created_at"]
    list_filter = ["status", "reason", "requested_by"]
    search_fields = ["order__number", "order__customer__email", "idempotency_key"]
    list_select_related = ["order"]
    actions = ["approve", "decline"]
    # The ledger is written by services only: the admin reads it and decides pending approvals.
    readonly_fields = [f.name for f in Refund._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, verb):
        for refund in queryset:
            try:
                verb(refund=refund, user=request.user)
            except HelpdeskError as error:
                self.message_user(request, f"{refund}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{refund}: done.", messages.SUCCESS)

    @admin.action(description="Approve selected refunds (the money moves now)", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, services.approve_refund)

    @admin.action(description="Decline selected refunds", permissions=["change"])
    def decline(self, request, queryset):
        self._decide(request, queryset, services.decline_refund)
