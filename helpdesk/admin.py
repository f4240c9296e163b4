"""Admin pieces shared by the apps (nothing is registered here)."""

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class ReadOnlyInline(admin.TabularInline):
    """A related list shown on a change page for reading only: nothing added, changed or deleted from it. Set
    `model` and `fields`."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
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
