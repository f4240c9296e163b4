"""Conversations and their messages: the record of truth of every chat.

A message gets its per-conversation sequence number when it is committed; sockets acknowledge and replay by that
number, so a reconnect never loses or duplicates a word. `content` keeps the Anthropic content blocks exactly as
exchanged with the model, so the model's context can be rebuilt from the database at any time.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from conversations.exceptions import InvalidConversationTransition
from helpdesk.statuses import Actor, StatusChange, StatusPipeline

# A conversation about the same order within this window of a closed one reopens it (and counts as a reopen).
REOPEN_WINDOW = timedelta(days=7)


class Conversation(StatusPipeline, models.Model):
    class Status(models.TextChoices):
        BOT = "bot", _("With the assistant")
        WAITING = "waiting", _("Waiting for a person")
        AGENT = "agent", _("With an agent")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        NONE = "", _("Open")
        RESOLVED_BY_ASSISTANT = "resolved_by_assistant", _("Resolved by the assistant")
        RESOLVED_BY_AGENT = "resolved_by_agent", _("Resolved by an agent")
        ABANDONED = "abandoned", _("Abandoned")

    ALLOWED_TRANSITIONS = {
        Status.BOT: {Status.WAITING, Status.AGENT, Status.CLOSED},
        Status.WAITING: {Status.AGENT, Status.BOT, Status.CLOSED},
        Status.AGENT: {Status.BOT, Status.CLOSED, Status.WAITING},
        Status.CLOSED: {Status.BOT},
    }
    transition_error = InvalidConversationTransition
    transition_noun = "A conversation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "orders.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    session_key_hash = models.CharField(
        max_length=64, blank=True, db_index=True,
        help_text="SHA-256 of the browser session key (the key itself is a credential and is never stored).",
    )
    client_address_hash = models.CharField(
        max_length=64, blank=True, help_text="Keyed hash of the client's address, for rate limits across chats."
    )
    verified_email = models.EmailField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOT)
    language = models.CharField(max_length=2, default="en")
    backend = models.CharField(max_length=20, blank=True, help_text="Which assistant answered: offline or claude.")
    started_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    agent_joined_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True, default="")
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True)
    summary = models.TextField(blank=True, help_text="Running summary of the turns folded out of the context.")
    summary_through_seq = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0)
    answered_through_seq = models.PositiveIntegerField(
        default=0, help_text="The last customer message the assistant has answered (a newer one is pending)."
    )
    verified_order_numbers = models.JSONField(
        default=list, blank=True, help_text="Orders whose ownership was checked in this conversation."
    )
    failed_verifications = models.PositiveSmallIntegerField(default=0)
    abuse_strikes = models.PositiveSmallIntegerField(default=0)
    turn_lease_until = models.DateTimeField(
        null=True, blank=True, help_text="A process is answering until then; a stale lease means it died mid-turn."
    )
    turn_lease_owner = models.CharField(
        max_length=64, blank=True, help_text="Which process (and turn) holds the lease: only it renews or releases it."
    )
    reopened_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reopenings"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["started_at"]),
            models.Index(fields=["status", "last_activity_at"]),
            models.Index(fields=["customer", "-started_at"]),
        ]
        permissions = [("view_support_kpis", "Can view the support KPIs and export conversations")]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="conversation_csat_between_1_and_5",
            ),
        ]

    def __str__(self):
        return f"Conversation {self.short_id}"

    @property
    def short_id(self) -> str:
        return str(self.id)[:8]

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class ConversationStatusChange(StatusChange):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        indexes = [models.Index(fields=["conversation", "created_at"])]


class Message(models.Model):
    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        ASSISTANT = "assistant", _("Assistant")
        AGENT = "agent", _("Agent")
        TOOL = "tool", _("Tool")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField(blank=True, help_text="What is displayed (customer-safe, PII masked).")
    content = models.JSONField(default=list, blank=True, help_text="The Anthropic content blocks.")
    client_id = models.CharField(max_length=64, null=True, blank=True)
    action = models.JSONField(
        null=True, blank=True, help_text="What a tool did, shown to the customer as a card (refund, ticket, hand-off)."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_flags = models.JSONField(default=list, blank=True)
    sentiment_reason = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=60, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    tool_calls = models.PositiveSmallIntegerField(default=0, help_text="Tool results in this (tool) message.")
    tool_errors = models.PositiveSmallIntegerField(default=0, help_text="Of which refused or failed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(sentiment_score__isnull=True)
                | Q(sentiment_score__gte=-1.0, sentiment_score__lte=1.0),
                name="message_sentiment_in_range",
            ),
        ]
        indexes = [models.Index(fields=["role", "created_at"])]

    def __str__(self):
        return f"#{self.seq} {self.role}"


class ConversationEvent(models.Model):
    """An append-only log of what happened to a conversation and who did it (the agent's timeline, the KPIs)."""

    class Kind(models.TextChoices):
        ESCALATION_DECISION = "escalation_decision", _("Escalation decision")
        ESCALATED = "escalated", _("Escalated")
        AGENT_JOINED = "agent_joined", _("Agent joined")
        HANDED_BACK = "handed_back", _("Handed back to the assistant")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        ABUSE_WARNING = "abuse_warning", _("Abuse warning")
        VERIFIED = "verified", _("Customer verified")
        VERIFICATION_FAILED = "verification_failed", _("Verification failed")
        CSAT = "csat", _("Satisfaction rating")
        LIMIT_HIT = "limit_hit", _("Limit reached")
        FAULT = "fault", _("Fault")

    Actor = Actor

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.CharField(max_length=10, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self):
        return f"{self.kind} by {self.actor}"
