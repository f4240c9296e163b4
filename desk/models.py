"""The desk's own records: the canned replies agents insert with "/" in a composer (edited by admins)."""

from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Language

from .placeholders import allowed_list, validate_placeholders

CANNED_BODY_MAX_CHARS = 2000  # the console's composer takes as much (CHAT_MAX_MESSAGE_CHARS by default)


class CannedReply(models.Model):
    """A saved answer in one language: `shortcut` is the word an agent types after "/" in a composer; the
    customer's language picks which version is offered. The body's placeholders are filled for the conversation or
    ticket at hand (desk.canned) and the agent edits the text before sending it."""

    title = models.CharField(_("title"), max_length=80)
    shortcut = models.CharField(
        _("shortcut"), max_length=40,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*\Z", _(
            "Use lowercase letters, digits, hyphens and underscores (the word typed after “/”)."))],
        help_text=_("The word an agent types after “/” in the composer, e.g. “tracking” for /tracking."),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    body = models.TextField(
        _("text"), validators=[validate_placeholders, MaxLengthValidator(CANNED_BODY_MAX_CHARS)],
        help_text=lazy(lambda: gettext("Plain text. Placeholders: %(allowed)s") % {"allowed": allowed_list()}, str)(),
    )
    active = models.BooleanField(_("active"), default=True, help_text=_("Only active replies are offered to agents."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["shortcut", "language"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [
            models.UniqueConstraint(fields=["shortcut", "language"], name="cannedreply_shortcut_language_unique",
                                    violation_error_message=_("There is already a reply with this shortcut in this "
                                                              "language.")),
        ]

    def __str__(self):
        return f"/{self.shortcut} ({self.language})"
