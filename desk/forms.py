"""What agents type in the desk: a reply or a note on a ticket, the reason a refund is declined. The services check
the same limits; the forms keep what was typed on the page when something is refused."""

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.services import MAX_DECISION_NOTE_CHARS
from tickets.services import MAX_COMMENT_CHARS


class ThreadEntryForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "id": "ticket-composer-body"}),
        error_messages={"required": _("Please write a message before sending.")},
    )


class DeclineRefundForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it declined? (the customer reads this)"), max_length=MAX_DECISION_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "id": "refund-decline-reason"}),
        error_messages={"required": _("A declined refund needs a reason: the customer is told why.")},
    )
