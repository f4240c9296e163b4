"""The conversations and the support queue in the admin: for reading, and for actions that call the services.

A conversation's workflow state (status, outcome, counters, the turn lease, the verified identity, the assigned
agent) is only ever changed by the services, which keep it consistent and wake the sockets after commit; here the
change page is read-only and the changes are actions. The browser session's fingerprint and the client address
hash are never shown: the first identifies a live credential.

The Refunds list (orders.admin.RefundAdmin) is registered here with its decisions, Approve and Decline, which go
through desk.refunds.decide_refund like the ticket page's buttons: the customer's chat, their email and the approval
ticket are told, whichever page the decision came from. A decline asks for its reason on an intermediate page.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation, ConversationEvent, Message
from desk import takeover
from desk.forms import DeclineRefundForm
from desk.refunds import decide_refund
from helpdesk.admin import ReadOnlyInline, StatusHistoryAdmin
from helpdesk.exceptions import HelpdeskError
from orders.admin import RefundAdmin
from orders.models import Refund
from tickets.admin import TicketAdmin
from tickets.models import Ticket


def run_for_each(model_admin, request, queryset, verb, done: str) -> None:
    """Call `verb(row)` for each selected row, each in its own transaction (inside the service): one refusal
    (a HelpdeskError) is reported as an error message and does not stop the others."""
    for row in queryset:
        try:
            verb(row)
        except HelpdeskError as error:
            model_admin.message_user(request, f"{row}: {error.message}", messages.ERROR)
        else:
            model_admin.message_user(request, f"{row}: {done}", messages.SUCCESS)


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["seq", "role", "text", "sentiment_score", "created_at"]


class EventInline(ReadOnlyInline):
    model = ConversationEvent
    fields = ["created_at", "kind", "actor", "actor_user", "detail"]


@admin.register(Conversation)
class ConversationAdmin(StatusHistoryAdmin, admin.ModelAdmin):
    list_display = ["short_id", "customer", "verified_email", "status", "outcome", "language", "csat_score", "started_at",
                    "console"]
    list_filter = ["status", "outcome", "language", "backend", "csat_score"]
    search_fields = ["id", "verified_email", "customer__email", "customer__name"]
    date_hierarchy = "started_at"
    list_select_related = ["customer"]
    # Never shown, not even read-only: the session fingerprint identifies a live credential.
    exclude = ["session_key_hash", "client_address_hash"]
    readonly_fields = ["id", "started_at", "last_activity_at", "status_history"]
    inlines = [EventInline, MessageInline]
    actions = ["close"]

    def has_add_permission(self, request):
        return False  # conversations start in the chat

    def has_change_permission(self, request, obj=None):
        """Change permission allows the actions (obj None); the change page itself is read-only, always."""
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # the record of truth: its customer's socket, its tickets and the KPIs point at it

    @admin.action(description=_("Close selected conversations"), permissions=["change"])
    def close(self, request, queryset):
        run_for_each(self, request, queryset,
                     lambda conversation: takeover.close_as_staff(conversation_id=conversation.pk, user=request.user),
                     gettext("closed."))

    @admin.display(description=_("console"))
    def console(self, conversation):
        return format_html('<a href="{}">{}</a>', reverse("agent-console", args=[conversation.pk]), _("Open console"))


@admin.register(Ticket)
class SupportQueueAdmin(TicketAdmin):
    """The queue (tickets.admin.TicketAdmin) with its actions, which go through the services the console uses."""

    actions = ["mark_solved", "assign_to_me"]

    @admin.action(description=_("Mark selected tickets solved (a hand-off's chat is closed)"), permissions=["change"])
    def mark_solved(self, request, queryset):
        run_for_each(self, request, queryset,
                     lambda ticket: takeover.solve_from_queue(ticket_id=ticket.pk, user=request.user), gettext("solved."))

    @admin.action(description=_("Assign selected tickets to me (a waiting hand-off is taken over)"),
                  permissions=["change"])
    def assign_to_me(self, request, queryset):
        run_for_each(self, request, queryset,
                     lambda ticket: takeover.assign_from_queue(ticket_id=ticket.pk, user=request.user),
                     gettext("assigned."))


@admin.register(Refund)
class RefundDecisionAdmin(RefundAdmin):
    """The refund ledger (orders.admin.RefundAdmin) with the decisions, through desk.refunds.decide_refund."""

    list_display = [*RefundAdmin.list_display, "approval_ticket"]
    actions = ["approve", "decline"]

    @admin.action(description=_("Approve selected refunds (the money moves now; the customer is told)"),
                  permissions=["change"])
    def approve(self, request, queryset):
        run_for_each(self, request, queryset,
                     lambda refund: decide_refund(refund=refund, user=request.user, approve=True),
                     gettext("approved; the customer is told."))

    @admin.action(description=_("Decline selected refunds (asks for the reason the customer is told)"),
                  permissions=["change"])
    def decline(self, request, queryset):
        """First the page asking for the reason (told to each customer); with it, each refund is declined."""
        form = DeclineRefundForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            run_for_each(self, request, queryset,
                         lambda refund: decide_refund(refund=refund, user=request.user, approve=False, note=reason),
                         gettext("declined; the customer is told why."))
            return None
        return TemplateResponse(request, "admin/orders/refund/decline_selected.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Decline refunds"),
            "opts": self.model._meta,
            "refunds": queryset.select_related("order"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.display(description=_("approval ticket"))
    def approval_ticket(self, refund):
        ticket = refund.approval_tickets.order_by("created_at").first()
        if ticket is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("desk-ticket", args=[ticket.number]), ticket.number)
