"""The status pipeline shared by Conversation, Order and Ticket, and the history row each change leaves.

A model with a `status` TextChoices field mixes StatusPipeline in (`class Ticket(StatusPipeline, models.Model)`)
and declares its pipeline, its refusal and its history:

- `ALLOWED_TRANSITIONS`: {status: the statuses it may move to};
- `transition_error` (the app's HelpdeskError subclass) and `transition_noun` ("A ticket"), which make the refusal
  "A ticket cannot go from new to xyz.";
- a concrete subclass of StatusChange in the model's own app, with a ForeignKey to the model whose
  related_name is "status_changes".

The contract: every write of `status` records who made it, in the same transaction as the write.

- A row in hand: `transition_to(status, actor=…, user=…, note=…)` refuses a move the pipeline does not allow,
  sets the status and stages the change; the next `save()` that writes the status (a full save, or one whose
  update_fields name "status") writes the row and its history together, in one transaction. A service calls the
  two back to back, under its row lock.
- A conditional update (of two racing agents exactly one wins): `claim_transition(pk, status, where=…, …)` locks
  the row, re-reads its status, moves it only if `where` matches and the pipeline allows the move, and writes the
  history row in the same transaction.

Staying in the same status is accepted and records nothing. Creating a row with its initial status is not a
transition and records nothing either: the history starts at the first change. Nothing else writes `status`
(no QuerySet.update(status=…) outside claim_transition), so the history is the complete list of changes.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Actor(models.TextChoices):
    """Who did it: the values of ConversationEvent.Actor (which is this class) and of every status change."""

    CUSTOMER = "customer", _("Customer")
    ASSISTANT = "assistant", _("Assistant")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class StatusChange(models.Model):
    """One change of a status: from what to what, by whom (a person's change also names the user), and why.

    Each app subclasses it with the ForeignKey to its model (related_name="status_changes") and an index on
    (that key, created_at). Append-only: rows are written by StatusPipeline and never edited.
    """

    actor = models.CharField(max_length=10, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status} by {self.actor}"


class StatusPipeline:
    """Allowed moves of `status`, refusals with the model's own error, and a history row per change (see the
    module docstring for the contract)."""

    ALLOWED_TRANSITIONS: ClassVar[dict[str, set[str]]] = {}
    transition_error: type[Exception]
    transition_noun: str

    @classmethod
    def sources_of(cls, status: str) -> list[str]:
        """The statuses the pipeline lets move to `status`."""
        return [source for source, targets in cls.ALLOWED_TRANSITIONS.items() if status in targets]

    @classmethod
    def _allows(cls, current: str, status: str) -> bool:
        return status in cls.ALLOWED_TRANSITIONS.get(current, set())

    def can_transition_to(self, status: str) -> bool:
        """Whether the pipeline has a move from the current status to `status` (staying put is not a move)."""
        return self._allows(self.status, status)

    def transition_to(self, status: str, *, actor: str, user=None, note: str = "") -> None:
        """Move to `status` by `actor` (`user`: the person, for an agent), or raise the model's transition_error
        for a move the pipeline does not allow. The change is staged: the next save() writing the status records
        it, in the same transaction. The same status is accepted and stages nothing."""
        if status == self.status:
            return
        if not self.can_transition_to(status):
            raise self.transition_error(f"{self.transition_noun} cannot go from {self.status} to {status}.")
        self._staged_status_changes().append(
            self._status_change(from_status=self.status, to_status=status, actor=actor, user=user, note=note)
        )
        self.status = status

    def save(self, *args, **kwargs):
        """Model.save, plus the history rows staged by transition_to when this save writes the status."""
        staged = self._staged_status_changes()
        update_fields = kwargs.get("update_fields")
        if not staged or (update_fields is not None and "status" not in update_fields):
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            self._write_status_changes(self.pk, staged)
        staged.clear()

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        """Reloading the status drops the changes staged on the old one: they were never written."""
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self._staged_status_changes().clear()

    @classmethod
    def claim_transition(cls, pk, status: str, *, actor: str, user=None, note: str = "", where: Q | None = None,
                         **fields) -> bool:
        """Move row `pk` to `status` (and set `fields`) with one conditional UPDATE, if the row matches `where`
        and the pipeline allows the move from its status (staying put is allowed and records nothing); True if
        it did. The row is locked and its status re-read first, so the history row written with the winning
        UPDATE (in the same transaction) has the status it really came from; a racing caller waits for the
        lock, then finds `where` no longer matching."""
        manager = cls._default_manager
        with transaction.atomic():
            current = manager.select_for_update().filter(pk=pk).values_list("status", flat=True).first()
            if current is None or (current != status and not cls._allows(current, status)):
                return False
            if not manager.filter(where or Q(), pk=pk, status=current).update(status=status, **fields):
                return False
            if current != status:
                cls._write_status_changes(pk, [cls._status_change(from_status=current, to_status=status,
                                                                  actor=actor, user=user, note=note)])
        return True

    @classmethod
    def _status_history(cls) -> tuple[type[StatusChange], str]:
        """The model's concrete StatusChange and the attribute naming the changed row on it."""
        relation = cls._meta.get_field("status_changes")
        return relation.related_model, relation.field.attname

    @classmethod
    def _write_status_changes(cls, pk, changes: list[StatusChange]) -> None:
        """Insert `changes` as the history of row `pk` (call in the transaction that wrote its status)."""
        history, key = cls._status_history()
        for change in changes:
            setattr(change, key, pk)
        history.objects.bulk_create(changes)

    @classmethod
    def _status_change(cls, *, from_status, to_status, actor, user, note) -> StatusChange:
        if actor not in Actor.values:
            raise ValueError(f"Unknown actor {actor!r}: one of {', '.join(Actor.values)}.")
        history, _key = cls._status_history()
        return history(actor=actor, actor_user=user, from_status=from_status, to_status=to_status,
                       note=(note or "")[:200])

    def _staged_status_changes(self) -> list[StatusChange]:
        return self.__dict__.setdefault("_status_changes_staged", [])
