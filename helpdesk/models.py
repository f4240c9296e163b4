"""The outbox: every email the helpdesk sends, queued in the transaction of the change it announces.

A row is written with the ticket reply, the refund decision or the hand-off it tells the customer about, so an email
exists if and only if its change was committed; it is sent afterwards, off the event loop, and retried
(helpdesk/outbox.py). `key` makes queueing idempotent: the same announcement is never queued, or sent, twice.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=200, unique=True, help_text="What this email announces: queued at most once.")
    kind = models.CharField(max_length=40, help_text="Which template: ticket_opened, ticket_reply, refund_decided…")
    to = models.EmailField()
    subject = models.CharField(max_length=250)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    language = models.CharField(max_length=2, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(help_text="When it is due (again): now, or later after a failure.")
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A sender holds it until then; a stale claim means that sender died."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                                   name="outboundemail_sent_has_time"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to}"
