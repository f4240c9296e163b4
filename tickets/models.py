"""The human work queue.

A follow-up (create_ticket) and a live hand-off (escalate_to_human, the escalation engine, a refund above the
approval threshold) are both tickets; the admin changelist is the agents' queue.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidTicketTransition


def new_ticket_number() -> str:
    return f"TCK-{secrets.randbelow(900000) + 100000}"


class Ticket(models.Model):
    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow-up")
        HANDOFF = "handoff", _("Live hand-off")

    class Category(models.TextChoices):
        BILLING = "billing", _("Billing")
        TECHNICAL = "technical", _("Technical")
        SHIPPING = "shipping", _("Shipping")
        REFUND = "refund", _("Refund")
        OTHER = "other", _("Other")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    ALLOWED_TRANSITIONS = {
        Status.NEW: {Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED},
        Status.OPEN: {Status.PENDING, Status.SOLVED, Status.CLOSED, Status.NEW},
        Status.PENDING: {Status.OPEN, Status.SOLVED, Status.CLOSED},
        Status.SOLVED: {Status.OPEN, Status.CLOSED},
        Status.CLOSED: {Status.OPEN},
    }
    # Sort key for the queue: urgent first.
    PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}

    number = models.CharField(max_length=10, unique=True, default=new_ticket_number, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FOLLOW_UP)
    subject = models.CharField(max_length=200)
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    description = models.TextField(blank=True)
    customer_email = models.EmailField(blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why the conversation was handed to a person.")
    summary = models.TextField(blank=True, help_text="Generated for the agent: problem, actions, status, mood.")
    conversation = models.ForeignKey(
        "chat.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    refund = models.ForeignKey(
        "orders.Refund", null=True, blank=True, on_delete=models.SET_NULL, related_name="approval_tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority_rank", "created_at"]
        indexes = [models.Index(fields=["status", "priority_rank", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(priority_rank__lte=3), name="ticket_priority_rank_valid"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    def save(self, *args, **kwargs):
        self.priority_rank = self.PRIORITY_RANK[self.priority]
        if kwargs.get("update_fields") is not None and "priority" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "priority_rank"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.OPEN, self.Status.PENDING)

    def transition_to(self, status: str) -> None:
        if status != self.status and status not in self.ALLOWED_TRANSITIONS[self.status]:
            raise InvalidTicketTransition(f"A ticket cannot go from {self.status} to {status}.")
        self.status = status
