"""The conversations and all tickets in the admin: for reading, and for actions that call the services.

A conversation's workflow state (status, outcome, counters, the turn lease, the verified identity, the assigned
agent) is only ever changed by the services, which keep it consistent and wake the sockets after commit; here the
change page is read-only and the changes are actions. The browser session's fingerprint and the client address
hash are never shown: the first identifies a live credential.

Canned replies are edited here by admins: the list puts each shortcut's English and French versions next to each
other (and says which language is missing), the change page shows the other language's text beside the form, and
a body naming an unknown {placeholder} is refused with the list of those allowed.

The Refunds list (orders.admin.RefundAdmin) is registered here with its decisions, Approve and Decline, which go
through desk.refunds.decide_refund like the ticket page's buttons: the customer's chat, their email and the approval
ticket are told, whichever page the decision came from. A decline asks for its reason on an intermediate page.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conversations.models import Conversation, ConversationEvent, Message
from desk import takeover
from desk.forms import DeclineRefundForm
from desk.models import CannedReply
from desk.refunds import decide_refund
from helpdesk.admin import ReadOnlyInline, StatusHistoryAdmin
from helpdesk.exceptions import HelpdeskError
from orders.admin import RefundAdmin
from orders.models import Language, Refund
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
    """All tickets (tickets.admin.TicketAdmin) with its actions, which go through the services the console uses."""

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


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Canned replies, each shortcut's languages side by side (the list is ordered by shortcut, then language)."""

    list_display = ["shortcut_typed", "language", "title", "active", "other_languages", "updated_at"]
    list_display_links = ["shortcut_typed", "title"]
    list_filter = ["language", "active"]
    search_fields = ["shortcut", "title", "body"]
    ordering = ["shortcut", "language"]
    fields = ["title", "shortcut", "language", "body", "active", "other_versions"]
    readonly_fields = ["other_versions"]

    @admin.display(description=_("shortcut"), ordering="shortcut")
    def shortcut_typed(self, reply):
        return f"/{reply.shortcut}"

    def _others(self, reply):
        return {other.language: other for other in CannedReply.objects.filter(shortcut=reply.shortcut)
                .exclude(pk=reply.pk)}

    def _add_link(self, reply, language) -> str:
        query = urlencode({"shortcut": reply.shortcut, "language": language, "title": reply.title})
        return f"{reverse('admin:desk_cannedreply_add')}?{query}"

    @admin.display(description=_("other languages"))
    def other_languages(self, reply):
        others = self._others(reply)
        links = []
        for code, label in Language.choices:
            if code == reply.language:
                continue
            if code in others:
                links.append((reverse("admin:desk_cannedreply_change", args=[others[code].pk]), label, ""))
            else:
                links.append((self._add_link(reply, code), gettext("add %(language)s") % {"language": label},
                              "missing"))
        return format_html_join(" · ", '<a href="{}" class="{}">{}</a>',
                                ((url, css, text) for url, text, css in links))

    @admin.display(description=_("in the other languages"))
    def other_versions(self, reply):
        if reply.pk is None:
            return gettext("Save this reply first; then its other languages show here.")
        others = self._others(reply)
        rows = []
        for code, label in Language.choices:
            if code == reply.language:
                continue
            other = others.get(code)
            if other is None:
                rows.append(format_html('{}: <a href="{}">{}</a>', label, self._add_link(reply, code),
                                        gettext("not written yet, add it")))
            else:
                rows.append(format_html('<strong>{}</strong> (<a href="{}">{}</a>)<pre class="canned-other">{}</pre>',
                                        label, reverse("admin:desk_cannedreply_change", args=[other.pk]),
                                        gettext("edit"), other.body))
        return format_html_join("", "<div>{}</div>", ((row,) for row in rows))
