"""The conversations and the support queue in the admin: for reading, and for actions that call the services.

A conversation's workflow state (status, outcome, counters, the turn lease, the verified identity, the assigned
agent) is only ever changed by the services, which keep it consistent and wake the sockets after commit; here the
change page is read-only and the changes are actions. The browser session's fingerprint and the client address
hash are never shown: the first identifies a live credential.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from helpdesk.exceptions import HelpdeskError
from tickets.admin import TicketAdmin
from tickets.models import Ticket

from . import takeover
from .models import Conversation, ConversationEvent, EvaluationRun, Message


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


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "role", "text", "sentiment_score", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ConversationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "actor_user", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["short_id", "customer", "verified_email", "status", "outcome", "language", "csat_score", "started_at",
                    "console"]
    list_filter = ["status", "outcome", "language", "backend", "csat_score"]
    search_fields = ["id", "verified_email", "customer__email", "customer__name"]
    date_hierarchy = "started_at"
    list_select_related = ["customer"]
    # Never shown, not even read-only: the session fingerprint identifies a live credential.
    exclude = ["session_key_hash", "client_address_hash"]
    readonly_fields = ["id", "started_at", "last_activity_at"]
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
                     "closed.")

    @admin.display(description="console")
    def console(self, conversation):
        return format_html('<a href="{}">Open console</a>', reverse("agent-console", args=[conversation.pk]))


@admin.register(Ticket)
class SupportQueueAdmin(TicketAdmin):
    """The queue (tickets.admin.TicketAdmin) with its actions, which go through the services the console uses."""

    actions = ["mark_solved", "assign_to_me"]

    @admin.action(description=_("Mark selected tickets solved (a hand-off's chat is closed)"), permissions=["change"])
    def mark_solved(self, request, queryset):
        run_for_each(self, request, queryset,
                     lambda ticket: takeover.solve_from_queue(ticket_id=ticket.pk, user=request.user), "solved.")

    @admin.action(description=_("Assign selected tickets to me (a waiting hand-off is taken over)"),
                  permissions=["change"])
    def assign_to_me(self, request, queryset):
        run_for_each(self, request, queryset,
                     lambda ticket: takeover.assign_from_queue(ticket_id=ticket.pk, user=request.user), "assigned.")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    """The latest evaluation runs, so a team sees whether a prompt, policy or FAQ change helped or hurt."""

    list_display = ["started_at", "backend", "label", "scenarios", "pass_rate_display", "change", "pass_hat_k",
                    "trials", "tokens", "duration_seconds"]
    list_filter = ["backend"]
    search_fields = ["label"]
    readonly_fields = ["started_at", "finished_at", "backend", "model", "trials", "scenarios_total",
                       "scenarios_passed", "pass_hat_k", "input_tokens", "output_tokens", "duration_seconds",
                       "label", "scenario_results"]
    exclude = ["results"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="scenarios passed")
    def scenarios(self, run):
        return f"{run.scenarios_passed}/{run.scenarios_total}"

    @admin.display(description="pass rate")
    def pass_rate_display(self, run):
        return f"{run.pass_rate:.0%}" if run.pass_rate is not None else "—"

    @admin.display(description="vs previous")
    def change(self, run):
        previous = (EvaluationRun.objects.filter(backend=run.backend, started_at__lt=run.started_at)
                    .order_by("-started_at").first())
        if previous is None or previous.pass_rate is None or run.pass_rate is None:
            return "—"
        delta = run.pass_rate - previous.pass_rate
        if abs(delta) < 1e-9:
            return "="
        return f"{'▲' if delta > 0 else '▼'} {abs(delta):.0%}"

    @admin.display(description="tokens")
    def tokens(self, run):
        return run.input_tokens + run.output_tokens

    @admin.display(description="results by scenario")
    def scenario_results(self, run):
        rows = sorted(run.results, key=lambda r: (r.get("passed", False), r.get("name", "")))
        return format_html_join(
            "", "<p><strong>{}</strong> {}{}</p>",
            ((("✔ " if r.get("passed") else "✘ ") + r.get("name", ""),
              f"pass^k {r.get('pass_hat_k', 0):.2f}",
              format_html("<br>— {}", "; ".join(r.get("failures", []))) if r.get("failures") else "")
             for r in rows),
        )
