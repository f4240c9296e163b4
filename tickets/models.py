"""The human work queue: tickets, their threads, and who is there to answer.

A follow-up (create_ticket, or a hand-off when nobody is available) and a live hand-off (escalate_to_human, the
escalation engine, a refund above the approval threshold) are both tickets. A ticket's thread holds public replies
(to and from the customer, emailed) and internal notes (agents only). Agents say whether they are available.
"""

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from helpdesk.statuses import StatusChange, StatusPipeline

from .exceptions import InvalidTicketTransition

# Ticket numbers are shown to customers, so they must not reveal how many tickets exist (no sequential ids) and
# must never collide. A fixed permutation of the row id does both: the pk is unique, so the number is.
_NUMBER_SPACE = 9_000_000  # 7-digit numbers 1000000..9999999 for the first 9 million tickets
_NUMBER_MULTIPLIER = 5_330_957  # coprime with _NUMBER_SPACE: multiplication by it is a bijection modulo the space
_NUMBER_OFFSET = 2_718_281
PUBLIC_SUBJECT_CHARS = 120


def ticket_number_for(pk: int) -> str:
    """The ticket number of row `pk`: a bijection, so distinct rows always get distinct numbers."""
    block, position = divmod(pk, _NUMBER_SPACE)
    scrambled = (position * _NUMBER_MULTIPLIER + _NUMBER_OFFSET) % _NUMBER_SPACE + 1_000_000
    return f"TCK-{block or ''}{scrambled}"


class Ticket(StatusPipeline, models.Model):
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
    transition_error = InvalidTicketTransition
    transition_noun = "A ticket"
    # Sort key for the queue: urgent first.
    PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}

    number = models.CharField(
        _("number"), max_length=12, unique=True, null=True, editable=False,
        help_text="TCK-NNNNNNN, derived from the row id by a bijection: unique by construction, not sequential.",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FOLLOW_UP)
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, default=Category.OTHER)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    description = models.TextField(_("description"), blank=True)
    question = models.TextField(
        blank=True, help_text="What the customer asked, in their own words: shown to them (the description is the team's).")
    customer_email = models.EmailField(_("customer's email"), blank=True)
    customer_name = models.CharField(max_length=120, blank=True, help_text="How emails greet the customer.")
    language = models.CharField(max_length=2, default="en", help_text="The customer's language, for emails.")
    email_verified = models.BooleanField(
        default=False, help_text="The email was checked against an order or a login; a guest's given email is not.",
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why the conversation was handed to a person.")
    summary = models.TextField(blank=True, help_text="Generated for the agent: problem, actions, status, mood.")
    conversation = models.ForeignKey(
        "conversations.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    refund = models.ForeignKey(
        "orders.Refund", null=True, blank=True, on_delete=models.SET_NULL, related_name="approval_tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
        verbose_name=_("assignee"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(
        null=True, blank=True, help_text="A person's first public reply, or their joining the live chat.")
    first_response_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The first-response target of the priority (SLA_FIRST_RESPONSE_MINUTES).")
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["priority_rank", "created_at"]
        indexes = [models.Index(fields=["status", "priority_rank", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(priority_rank__lte=3), name="ticket_priority_rank_valid"),
            models.CheckConstraint(
                condition=models.Q(csat_score__isnull=True) | models.Q(csat_score__gte=1, csat_score__lte=5),
                name="ticket_csat_between_1_and_5",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    def save(self, *args, **kwargs):
        self.priority_rank = self.PRIORITY_RANK[self.priority]
        if kwargs.get("update_fields") is not None and "priority" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "priority_rank"}
        if self.pk is not None or self.number:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():  # the number comes from the id, so it is set right after the insert
            super().save(*args, **kwargs)
            self.number = ticket_number_for(self.pk)
            Ticket.objects.filter(pk=self.pk).update(number=self.number)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.OPEN, self.Status.PENDING)

    @property
    def public_subject(self) -> str:
        """The request's title as its customer reads it (pages, emails): the first line of their own question;
        the subject, which may be the team's ("Customer asked for a person", "Approve refund of …"), only when
        there is none."""
        first_line = next((line.strip() for line in self.question.splitlines() if line.strip()), "")
        if not first_line:
            return self.subject
        return first_line if len(first_line) <= PUBLIC_SUBJECT_CHARS else first_line[:PUBLIC_SUBJECT_CHARS - 1] + "…"


class TicketStatusChange(StatusChange):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(StatusChange.Meta):
        indexes = [models.Index(fields=["ticket", "created_at"])]


class TicketComment(models.Model):
    """One entry of a ticket's thread: a public reply (the customer reads it and is emailed) or an internal note
    (agents only). Append-only: written by tickets.services, never edited."""

    class Author(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    public = models.BooleanField(help_text="Public replies reach the customer; internal notes stay with the team.")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(author_kind="customer") | models.Q(public=True),
                                   name="ticketcomment_customer_writes_public"),
        ]

    def __str__(self):
        return f"{'reply' if self.public else 'note'} on {self.ticket_id} by {self.author_kind}"


class AgentAvailability(models.Model):
    """Whether an agent takes live chats now. An agent without a row is available: agents say when they are away
    (and logging out of the desk says it for them)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        AWAY = "away", _("Away")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self):
        return f"{self.user} {self.status}"
