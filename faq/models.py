"""The knowledge base that the assistant searches and admins edit, and the questions it could not answer.

An entry is a question and its answer in one language, with the other ways customers ask it (FaqPhrasing); an
unpublished entry is a draft: editable and previewable, never found by the assistant. Search (faq/search.py) reads
these rows into an in-process index that is checked against the table on every search, so an admin's edit is
searchable the moment it is saved, whichever process serves the next question.

UnansweredQuestion is what the content-gaps page (faq/gaps.py) groups: a customer question that search found
nothing good for, that a conversation left unresolved, or that became a follow-up ticket.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FaqEntry(models.Model):
    class Category(models.TextChoices):
        SHIPPING = "shipping", _("Shipping")
        RETURNS = "returns", _("Returns")
        PRODUCTS = "products", _("Products")
        ACCOUNT = "account", _("Account")
        PAYMENT = "payment", _("Payment")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        FRENCH = "fr", _("French")

    key = models.SlugField(
        _("key"), max_length=80, blank=True,
        help_text=_("Ties the translations of one topic together (same key in en and fr)."),
    )
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(pgettext_lazy("FAQ entry", "Answer"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    published = models.BooleanField(
        _("published"), default=True, help_text=_("A draft (not published) is never shown to customers or the assistant."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["category", "question"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        # updated_at: the admin's list sorts and filters by the latest change.
        indexes = [models.Index(fields=["language", "category", "published"]),
                   models.Index(fields=["updated_at"], name="faq_entry_updated_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language"], condition=~models.Q(key=""), name="faq_one_translation_per_language"
            )
        ]

    def __str__(self):
        return self.question


MAX_PHRASING = 300


class KnowledgeVersion(models.Model):
    """One row whose `stamp` changes, to a new random number, with every write to the entries or the phrasings,
    whoever writes and however (a save, QuerySet.update, bulk_create, a delete, raw SQL, another process): database
    triggers set it (migration faq/0007), in the writer's transaction. faq.search reads this one row before every
    search to know whether its in-process index is current, where counting the rows cost a scan of an index
    (2 ms at 10,000 entries on PostgreSQL). Never written by the application."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    stamp = models.BigIntegerField(default=0)

    class Meta:
        db_table = "faq_knowledge_version"


class FaqPhrasing(models.Model):
    """Another way customers ask an entry's question ("how customers ask this"), searched with the entry.

    Saving or deleting one touches its entry: the entry's `updated_at` says when it, or how customers ask it, last
    changed."""

    entry = models.ForeignKey(FaqEntry, on_delete=models.CASCADE, related_name="phrasings")
    text = models.CharField(_("phrasing"), max_length=MAX_PHRASING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("alternative phrasing")
        verbose_name_plural = _("how customers ask this")
        constraints = [models.UniqueConstraint(fields=["entry", "text"], name="faq_one_phrasing_per_text")]

    def __str__(self):
        return self.text

    @staticmethod
    def normalize(text: str) -> str:
        """A phrasing as it is stored and compared: inner whitespace collapsed, trimmed."""
        return " ".join((text or "").split())

    @classmethod
    def stored_text(cls, text: str) -> str:
        """What is stored for `text`: normalized, cut to MAX_PHRASING."""
        return cls.normalize(text)[:MAX_PHRASING]

    def save(self, *args, **kwargs):
        self.text = self.stored_text(self.text)
        super().save(*args, **kwargs)
        FaqEntry.objects.filter(pk=self.entry_id).update(updated_at=timezone.now())

    def delete(self, *args, **kwargs):
        entry_id = self.entry_id
        result = super().delete(*args, **kwargs)
        FaqEntry.objects.filter(pk=entry_id).update(updated_at=timezone.now())
        return result


class UnansweredQuestion(models.Model):
    """A customer's question the knowledge base did not answer: text with personal data masked, and what became of
    it. `terms` are its analyzed words (faq.text.analyze), which the content-gaps page groups by."""

    class Source(models.TextChoices):
        SEARCH = "search", _("No good article")
        UNRESOLVED = "unresolved", _("Conversation left unresolved")
        TICKET = "ticket", _("Follow-up ticket")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        IGNORED = "ignored", _("Ignored")

    text = models.CharField(_("question"), max_length=500)
    terms = models.CharField(max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=FaqEntry.Language.choices, default="en")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # No foreign keys to conversations or tickets: the knowledge base sits below them (see ARCHITECTURE.md).
    conversation_id = models.UUIDField(null=True, blank=True, db_index=True)
    ticket_number = models.CharField(max_length=20, blank=True)
    nearest_entry = models.ForeignKey(
        FaqEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The best entry search found, below the relevance bar.")
    nearest_score = models.FloatField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    answered_by_entry = models.ForeignKey(FaqEntry, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="answered_questions")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    asked_at = models.DateTimeField(_("asked"), default=timezone.now)

    class Meta:
        ordering = ["-asked_at"]
        verbose_name = _("question without an answer")
        verbose_name_plural = _("questions without an answer")
        indexes = [models.Index(fields=["state", "-asked_at"])]

    def __str__(self):
        return self.text


class TextMeaning(models.Model):
    """A text's meaning as a vector (faq.meaning: 384 float32, 1.5 kB), computed once for every process: a process
    that starts, or an index rebuilt after an edit, reads the vectors of the knowledge base's questions and phrasings
    here instead of encoding them again (a few milliseconds of CPU each, minutes for a knowledge base of thousands of
    entries). Keyed by a digest of the model and the text, so that a text edited, or another model, is a new row;
    a row nobody asks for any more is harmless and can be deleted at any time. Never shown or edited."""

    digest = models.CharField(primary_key=True, max_length=64)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "faq_text_meaning"
