"""The agents' queue: the Ticket changelist, urgent first then longest waiting, live (see static/js/queue.js)."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from .models import Ticket

OPEN_STATUSES = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING]


class QueueFilter(admin.SimpleListFilter):
    """Open tickets by default: the queue is what still needs a person."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("done", _("Solved or closed")), ("all", _("All"))]

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "done":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "priority_badge", "kind", "subject", "status", "waiting", "assignee", "take_over"]
    list_display_links = ["number", "subject"]
    list_filter = [QueueFilter, "kind", "status", "priority", ("assignee", admin.RelatedOnlyFieldListFilter), "category"]
    search_fields = ["number", "subject", "customer_email", "description", "reason"]
    raw_id_fields = ["conversation", "refund", "assignee"]
    readonly_fields = ["number", "kind", "conversation", "refund", "summary", "created_at", "updated_at",
                       "assigned_at", "solved_at"]
    fields = ["number", "kind", "subject", "category", "priority", "status", "assignee", "customer_email", "reason",
              "summary", "description", "conversation", "refund", "created_at", "updated_at", "assigned_at",
              "solved_at"]
    list_select_related = ["assignee", "conversation"]
    ordering = ["priority_rank", "created_at"]
    list_per_page = 50

    @admin.display(description=_("priority"), ordering="priority_rank")
    def priority_badge(self, ticket):
        return format_html('<span class="priority priority-{}">{}</span>', ticket.priority,
                           ticket.get_priority_display())

    @admin.display(description=_("waiting"), ordering="created_at")
    def waiting(self, ticket):
        end = ticket.solved_at or timezone.now()
        return timesince(ticket.created_at, end).split(",")[0]

    @admin.display(description=_("conversation"))
    def take_over(self, ticket):
        if not ticket.conversation_id:
            return "—"
        url = reverse("agent-console", args=[ticket.conversation_id])
        if ticket.kind == Ticket.Kind.HANDOFF and ticket.is_open and ticket.assignee_id is None:
            return format_html('<a class="button take-over" href="{}">{}</a>', url, _("Take over"))
        return format_html('<a href="{}">{}</a>', url, _("Open console"))
