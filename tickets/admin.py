"""All tickets: the Ticket changelist, to search, filter and look back (open ones by default, urgent first then
the longest waiting). The queue agents work from is the desk's page (desk.views.queue, live); this list is not live.

A ticket's number and subject open its page in the desk (`desk-ticket`: the thread, the reply box, the status
moves); the SLA column says how long is left for its first response, or since when it is late (tickets.sla).

Workflow state (status, assignee, kind, conversation, refund, the customer's email and whether it was verified,
the timestamps) is read-only here: it changes through the list's actions, which call the services. Staff may
edit the subject, category, priority and description (through tickets.services.edit_ticket, which writes only
those and tells the live queue) and add a follow-up (through create_follow_up).

TicketAdmin is registered by desk.admin (SupportQueueAdmin), which adds the actions: solving a live hand-off
ends its conversation, which only chat knows how to do, and tickets never imports chat.
"""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Case, DateTimeField, F, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from helpdesk.admin import StatusHistoryAdmin

from . import services
from .badges import priority_badge
from .models import Ticket
from .sla import first_response_state

OPEN_STATUSES = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING]
TICKET_FIELDS = ["number", "kind", "subject", "category", "priority", "status", "assignee", "customer_email",
                 "email_verified", "reason", "summary", "description", "conversation", "refund", "created_at",
                 "updated_at", "assigned_at", "solved_at", "status_history"]
# What staff may change by hand (through services.edit_ticket); everything else is the workflow's.
EDITABLE_FIELDS = ["subject", "category", "priority", "description"]


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


# The SLA column's order: the tickets still waiting for a first answer by their target (the most overdue first),
# then the others.
FIRST_RESPONSE_ORDER = Case(
    When(first_response_at__isnull=True, status__in=OPEN_STATUSES, then=F("first_response_due_at")),
    default=None, output_field=DateTimeField(),
).asc(nulls_last=True)


class QueueChangeList(ChangeList):
    """The queue's rows link to the ticket's page in the desk; its admin change form is for editing details."""

    def url_for_result(self, result):
        if result.number:
            return reverse("desk-ticket", args=[result.number])
        return super().url_for_result(result)


class TicketAdmin(StatusHistoryAdmin, admin.ModelAdmin):
    list_display = ["number", "priority_badge", "kind", "subject", "status", "waiting", "first_response",
                    "assignee", "take_over"]
    list_display_links = ["number", "subject"]
    list_filter = [QueueFilter, "kind", "status", "priority", ("assignee", admin.RelatedOnlyFieldListFilter), "category"]
    search_fields = ["number", "subject", "customer_email", "description", "reason"]
    fields = TICKET_FIELDS
    readonly_fields = [name for name in TICKET_FIELDS if name not in EDITABLE_FIELDS]
    add_fields = ["subject", "category", "priority", "customer_email", "description"]
    list_select_related = ["assignee", "conversation"]
    ordering = ["priority_rank", "created_at"]
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("All tickets"), **(extra_context or {})})

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted hand-off would leave its customer waiting and the live queue stale

    def save_model(self, request, obj, form, change):
        """Through the services, never Model.save(): a full save would write back the status and assignee as
        they were when the form was loaded, over a take or a solve that happened meanwhile."""
        data = form.cleaned_data
        if change:
            services.edit_ticket(ticket=obj, subject=data["subject"], category=data["category"],
                                 priority=data["priority"], description=data["description"])
            return
        created = services.create_follow_up(subject=data["subject"], category=data["category"],
                                            priority=data["priority"], description=data["description"],
                                            customer_email=data["customer_email"])
        obj.pk, obj.number, obj.created_at = created.pk, created.number, created.created_at
        obj._state.adding = False

    @admin.display(description=_("priority"), ordering="priority_rank")
    def priority_badge(self, ticket):
        return priority_badge(ticket)

    @admin.display(description=_("waiting"), ordering="created_at")
    def waiting(self, ticket):
        end = ticket.solved_at or timezone.now()
        return timesince(ticket.created_at, end).split(",")[0]

    @admin.display(description=_("SLA"), ordering=FIRST_RESPONSE_ORDER)
    def first_response(self, ticket):
        state = first_response_state(ticket, timezone.now())
        due = date_format(timezone.localtime(state.due_at), "SHORT_DATETIME_FORMAT") if state.due_at else ""
        return format_html('<span class="sla sla-{}{}" title="{}">{}</span>', state.state,
                           " sla-soon" if state.soon else "", _("Due %(when)s") % {"when": due} if due else "",
                           state.label)

    @admin.display(description=_("conversation"))
    def take_over(self, ticket):
        if not ticket.conversation_id:
            return "—"
        url = reverse("agent-console", args=[ticket.conversation_id])
        if ticket.kind == Ticket.Kind.HANDOFF and ticket.is_open and ticket.assignee_id is None:
            return format_html('<a class="button take-over" href="{}">{}</a>', url, _("Take over"))
        return format_html('<a href="{}">{}</a>', url, _("Open console"))
