"""The knowledge base's writes outside the admin's plain form save: publishing, a topic's key, and a topic's English
and French entries saved together.

Every write here sets the entries' `updated_at` (when an entry or its phrasings last changed, as the admin shows it),
including the bulk ones, which `auto_now` does not reach. The search index needs nothing from them: database triggers
tell it of every write (faq.models.KnowledgeVersion).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.forms import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from .exceptions import FaqEditRefused, TopicChanged, TopicKeyTaken
from .models import FaqEntry, FaqPhrasing

MAX_KEY = FaqEntry._meta.get_field("key").max_length


def set_published(*, entries: QuerySet[FaqEntry], published: bool) -> int:
    """Publish `entries` (published=True) or move them to the drafts; returns how many changed state. Their
    `updated_at` is set with the change."""
    return entries.exclude(published=published).update(published=published, updated_at=timezone.now())


def replace_phrasings(*, entry: FaqEntry, texts: Iterable[str]) -> None:
    """Make `texts` (normalized, blanks and repeats dropped, in order) the entry's phrasings: the ones kept are left
    as they are, the others deleted, the new ones added. Call inside the transaction that saves the entry."""
    wanted = list(dict.fromkeys(t for t in (FaqPhrasing.normalize(text) for text in texts) if t))
    existing = {phrasing.text: phrasing for phrasing in entry.phrasings.all()}
    for text, phrasing in existing.items():
        if text not in wanted:
            phrasing.delete()
    for text in wanted:
        if text not in existing:
            FaqPhrasing(entry=entry, text=text).save()


def add_phrasings(*, entry: FaqEntry, texts: Iterable[str]) -> int:
    """Add those of `texts` the entry does not have yet (stored as FaqPhrasing.save stores them), in one statement,
    and touch the entry once (its `updated_at`); the entry's other phrasings stay. Returns how many were
    added."""
    stored = set(entry.phrasings.values_list("text", flat=True))
    missing = [text for text in dict.fromkeys(map(FaqPhrasing.stored_text, texts)) if text and text not in stored]
    if missing:
        FaqPhrasing.objects.bulk_create([FaqPhrasing(entry=entry, text=text) for text in missing])
        FaqEntry.objects.filter(pk=entry.pk).update(updated_at=timezone.now())
    return len(missing)


def set_topic_key(*, entry: FaqEntry, key: str) -> FaqEntry:
    """Give `entry` the topic key `key` (a slug): an entry of the other language with the same key becomes its
    translation. Raises FaqEditRefused for a key that is no slug, TopicKeyTaken when an entry of the same language
    has it already."""
    key = (key or "").strip()
    try:
        if not key:
            raise ValidationError("empty")
        validate_slug(key)
    except ValidationError as error:
        raise FaqEditRefused(gettext("A key is made of letters, digits, hyphens and underscores, such as "
                                     "“return-window”.")) from error
    if len(key) > MAX_KEY:
        raise FaqEditRefused(gettext("A key has at most %(max)d characters.") % {"max": MAX_KEY})
    taken = TopicKeyTaken(
        gettext("Another %(language)s entry already has the key “%(key)s”: a topic has one entry per language.")
        % {"language": entry.get_language_display(), "key": key})
    if FaqEntry.objects.filter(key=key, language=entry.language).exclude(pk=entry.pk).exists():
        raise taken
    previous, entry.key = entry.key, key
    try:
        with transaction.atomic():
            entry.save(update_fields=["key", "updated_at"])
    except IntegrityError as error:  # given to another entry between the check and the save
        entry.key = previous
        raise taken from error
    return entry


@dataclass(frozen=True)
class TopicEdit:
    """One language's entry of a topic as the admin wrote it. `entry_id` is the entry edited, None for a new one."""

    language: str
    question: str
    answer: str
    category: str
    published: bool
    phrasings: tuple[str, ...] = ()
    entry_id: int | None = None


def save_topic(*, key: str, edits: Sequence[TopicEdit]) -> list[tuple[FaqEntry, bool]]:
    """Save a topic's entries (one per language, tied by `key`) in one transaction: each edit updates its entry, or
    creates it when `entry_id` is None, with its phrasings. Returns (entry, created) pairs, in the edits' order.

    Raises TopicChanged, saving nothing, when the topic is no longer what the edits were written against: an entry
    edited has been deleted, or a language to create has an entry already (added by someone else meanwhile)."""
    try:
        with transaction.atomic():
            return [_save_edit(key, edit) for edit in edits]
    except IntegrityError as error:
        raise _changed(edits[0].language if edits else "en") from error


def _save_edit(key: str, edit: TopicEdit) -> tuple[FaqEntry, bool]:
    current = FaqEntry.objects.select_for_update().filter(key=key, language=edit.language).first()
    if edit.entry_id is None and current is not None or edit.entry_id is not None and (
            current is None or current.pk != edit.entry_id):
        raise _changed(edit.language)
    entry = current or FaqEntry(key=key, language=edit.language)
    entry.question = edit.question
    entry.answer = edit.answer
    entry.category = edit.category
    entry.published = edit.published
    entry.save()
    replace_phrasings(entry=entry, texts=edit.phrasings)
    return entry, current is None


def _changed(language: str) -> TopicChanged:
    label = FaqEntry.Language(language).label if language in FaqEntry.Language.values else language
    return TopicChanged(gettext("The %(language)s entry of this topic was added or deleted by someone else since "
                                "you opened the page. Nothing was saved: reload the page to see it as it is now.")
                        % {"language": label})
