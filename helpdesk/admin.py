"""Admin pieces shared by the apps (a read-only related list, the ledger admin, the status history field), and
the outbox.

OutboundEmail is registered here, and only here: every email the helpdesk sent or will send, read-only (what was
sent to whom, when, after how many attempts, the last error). Its one action, "Send again now", queues failed or
waiting emails through helpdesk.outbox.send_again.
"""

from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .models import OutboundEmail


class ReadOnlyInline(admin.TabularInline):
    """A related list shown on a change page for reading only: nothing added, changed or deleted from it. Set
    `model` and `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class LedgerAdmin(admin.ModelAdmin):
    """The admin of rows written by services only (the refund ledger, the outbox): its list and read-only pages,
    and actions (which call the services) for whoever has the change permission. Nothing is added, edited or
    deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        """Change permission allows the actions (obj None); the change page itself is read-only, always."""
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class StatusHistoryAdmin:
    """Mixed into the admin of a StatusPipeline model: `status_history`, a read-only field listing the row's
    status changes (helpdesk.statuses), oldest first. Add it to `readonly_fields` (and to `fields` if the admin
    lists them). A field rather than an inline: nothing on it can be posted, edited or deleted, and whoever may
    view the row reads its history."""

    @admin.display(description=_("status history"))
    def status_history(self, obj):
        changes = list(obj.status_changes.select_related("actor_user")) if obj.pk else []
        if not changes:
            return _("No change yet")
        labels = dict(obj._meta.get_field("status").choices)
        rows = format_html_join("", "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>", (
            (date_format(localtime(change.created_at), "SHORT_DATETIME_FORMAT"),
             labels.get(change.from_status, change.from_status), labels.get(change.to_status, change.to_status),
             _actor(change), change.note)
            for change in changes
        ))
        return format_html('<table class="status-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
                           "</tr></thead><tbody>{}</tbody></table>",
                           _("When"), _("Change"), _("By"), _("Note"), rows)


def _actor(change) -> str:
    if change.actor_user is None:
        return change.get_actor_display()
    return f"{change.get_actor_display()} ({change.actor_user.get_username()})"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(LedgerAdmin):
    """The outbox, for reading: rows are written by helpdesk.outbox only (queued with their change, then marked by
    the sender), so nothing here is added, edited or deleted by hand."""

    list_display = ["created_at", "kind", "to", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject", "key"]
    date_hierarchy = "created_at"
    actions = ["send_again_now"]
    fields = ["key", "kind", "to", "language", "subject", "status", "attempts", "last_error", "next_attempt_at",
              "claimed_until", "created_at", "sent_at", "text_body", "html_body"]
    readonly_fields = fields

    @admin.action(description=_("Send again now (failed or waiting emails)"), permissions=["change"])
    def send_again_now(self, request, queryset):
        selected = queryset.count()
        queued = outbox.send_again(emails=queryset)
        if queued:
            self.message_user(request, ngettext("%(count)d email will be sent again now.",
                                                "%(count)d emails will be sent again now.", queued)
                              % {"count": queued}, messages.SUCCESS)
        if selected > queued:
            self.message_user(request, ngettext(
                "%(count)d email was left alone: it is sent or being sent.",
                "%(count)d emails were left alone: they are sent or being sent.", selected - queued)
                % {"count": selected - queued}, messages.WARNING)
