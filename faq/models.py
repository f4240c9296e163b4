"""The knowledge base that the assistant searches and admins edit.

Search is full text, kept in the database itself so that an admin's edit is searchable the moment it is saved:
SQLite gets an FTS5 index maintained by triggers, PostgreSQL a generated tsvector column with a GIN index (both
created by migration 0002). See faq/search.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        max_length=80, blank=True, help_text="Ties the translations of one topic together (same key in en and fr)."
    )
    question = models.CharField(max_length=300)
    answer = models.TextField()
    category = models.CharField(max_length=20, choices=Category.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "question"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        indexes = [models.Index(fields=["language", "category", "published"])]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language"], condition=~models.Q(key=""), name="faq_one_translation_per_language"
            )
        ]

    def __str__(self):
        return self.question
