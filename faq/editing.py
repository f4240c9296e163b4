"""What the admin's FAQ pages read and decide: the assistant's answer previewed for an entry, the state a save
button asks for, which translations of a topic are missing, a topic's entries by language.

The writes are in faq/services.py; faq/admin.py parses the request, calls these and renders.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import search
from .models import FaqEntry

# --- the save buttons -----------------------------------------------------------------------------------------------
PUBLISH = "_publish"
SAVE_DRAFT = "_save_draft"


def published_after_save(data, *, current: bool) -> bool:
    """The state a posted change form asks for: its "Publish" or "Save as draft" button, else `current`."""
    if PUBLISH in data:
        return True
    if SAVE_DRAFT in data:
        return False
    return current


def status_button_pressed(data) -> bool:
    return PUBLISH in data or SAVE_DRAFT in data


# --- translations ---------------------------------------------------------------------------------------------------
LANGUAGES = tuple(FaqEntry.Language.values)


# Whole sentences per language, so that each translates naturally ("Traduction française manquante").
_MISSING_TRANSLATION = {"en": _("English translation missing"), "fr": _("French translation missing")}
_NO_ENTRY_YET = {"en": _("No English entry yet"), "fr": _("No French entry yet")}


def language_label(code: str) -> str:
    return str(FaqEntry.Language(code).label) if code in LANGUAGES else code


def missing_translation_text(code: str) -> str:
    return str(_MISSING_TRANSLATION.get(code) or gettext("%(language)s translation missing") % {
        "language": language_label(code)})


def no_entry_yet_text(code: str) -> str:
    return str(_NO_ENTRY_YET.get(code) or gettext("No %(language)s entry yet") % {"language": language_label(code)})


def _translation_exists(code: str) -> Exists:
    return Exists(FaqEntry.objects.filter(key=OuterRef("key"), language=code).exclude(key=""))


def with_translation_flags(entries: QuerySet[FaqEntry]) -> QuerySet[FaqEntry]:
    """`entries` annotated with `has_<language>` for each language: whether the entry's topic has an entry in that
    language (always False for an entry without a key, which belongs to no topic)."""
    return entries.annotate(**{f"has_{code}": _translation_exists(code) for code in LANGUAGES})


def missing_languages(entry: FaqEntry) -> list[str]:
    """The languages the entry's topic has no entry in (all the others when it has no key). Uses the annotations of
    with_translation_flags when present, else queries."""
    if not entry.key:
        return [code for code in LANGUAGES if code != entry.language]
    if all(hasattr(entry, f"has_{code}") for code in LANGUAGES):
        present = {code for code in LANGUAGES if getattr(entry, f"has_{code}")}
    else:
        present = set(FaqEntry.objects.filter(key=entry.key).values_list("language", flat=True))
    return [code for code in LANGUAGES if code != entry.language and code not in present]


def missing_translation(entries: QuerySet[FaqEntry], language: str | None = None) -> QuerySet[FaqEntry]:
    """The entries whose topic has no entry in `language` (entries of `language` itself excluded); with no
    `language`, the entries missing any translation."""
    codes = [language] if language else list(LANGUAGES)
    condition = Q()
    for code in codes:
        condition |= ~Q(language=code) & ~_translation_exists(code)
    return entries.filter(condition)


def topic_entries(key: str) -> dict[str, FaqEntry | None]:
    """The topic's entry in each language (None where it has none), phrasings prefetched."""
    found = {entry.language: entry for entry in FaqEntry.objects.filter(key=key).exclude(key="")
             .prefetch_related("phrasings")}
    return {code: found.get(code) for code in LANGUAGES}


def suggested_key(entry: FaqEntry) -> str:
    """A free topic key for an entry without one, made from its question ("How long does delivery take?" ->
    "how-long-does-delivery-take"), numbered when that key is taken in the entry's language."""
    words = slugify(entry.question).split("-")
    base, length = [], 0
    for word in words:
        if length + len(word) > 50 and base:
            break
        base.append(word)
        length += len(word) + 1
    stem = "-".join(base) or f"topic-{entry.pk or 'new'}"
    candidate, number = stem, 1
    taken = FaqEntry.objects.filter(language=entry.language).exclude(pk=entry.pk)
    while taken.filter(key=candidate).exists():
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


# --- the assistant's answer, previewed ------------------------------------------------------------------------------
MAX_PREVIEW_QUERY = 300  # a customer's question is no longer than an entry's (FaqEntry.question)
PREVIEW_ROWS = 8
RANK_ALL = 1_000_000  # every entry of the language, so this entry's position is known far down


def clean_query(raw) -> str:
    """A previewed question as search reads it: whitespace collapsed, at most MAX_PREVIEW_QUERY characters."""
    return " ".join(str(raw or "").split())[:MAX_PREVIEW_QUERY].strip()


@dataclass(frozen=True)
class PreviewRow:
    position: int
    hit: search.FaqHit
    is_this: bool
    answers: bool  # at or above the relevance bar

    def as_json(self) -> dict:
        return {"position": self.position, "id": self.hit.id, "question": self.hit.question,
                "language": self.hit.language, "score": round(self.hit.score, 4), "words": self.hit.words,
                "meaning": self.hit.meaning, "published": self.hit.published,
                "this": self.is_this, "answers": self.answers}


@dataclass(frozen=True)
class AssistantPreview:
    """What the assistant would answer a customer asking `query` in the entry's language.

    `rows` are the best entries (drafts included, each with its relevance), `this_row` the entry itself when it
    ranks below them; `answer` is the entry the assistant would answer with (None: it has no answer), and
    `once_published` says that answer is this draft, once published."""

    entry_id: int
    query: str
    language: str
    bar: float
    rows: list[PreviewRow] = field(default_factory=list)
    this_row: PreviewRow | None = None
    answer: search.FaqHit | None = None
    once_published: bool = False
    entry_is_draft: bool = False

    @property
    def above(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.answers]

    @property
    def below(self) -> list[PreviewRow]:
        return [row for row in self.rows if not row.answers]

    @property
    def this(self) -> PreviewRow | None:
        """This entry's row, among the rows shown or below them (None: not ranked)."""
        return self.this_row or next((row for row in self.rows if row.is_this), None)

    @property
    def this_found(self) -> bool:
        """Whether the entry itself is ranked for the question (every entry of the language is, once the question
        has a word to search with)."""
        return self.this is not None

    @property
    def this_shares_no_word(self) -> bool:
        """Whether the entry is ranked by meaning alone: none of the question's words are in it."""
        return self.this is not None and not self.this.hit.words

    @property
    def sentence(self) -> str:
        if not self.query:
            return gettext("Type a question as a customer would ask it.")
        if self.answer is None:
            if self.entry_is_draft:
                return gettext("The assistant would say it has no answer and offer a ticket, even once this draft "
                               "is published.")
            return gettext("The assistant would say it has no answer and offer a ticket.")
        if self.once_published:
            return gettext("Once this draft is published, the assistant would answer with: %(question)s") % {
                "question": self.answer.question}
        if self.answer.language != self.language:
            return gettext("The assistant would answer with the %(language)s entry: %(question)s") % {
                "language": language_label(self.answer.language), "question": self.answer.question}
        return gettext("The assistant would answer with: %(question)s") % {"question": self.answer.question}

    def as_json(self) -> dict:
        return {
            "query": self.query, "language": self.language, "bar": self.bar,
            "results": [row.as_json() for row in self.rows],
            "this_entry": self.this_row.as_json() if self.this_row else None,
            "answer": {"id": self.answer.id, "question": self.answer.question, "language": self.answer.language,
                       "once_published": self.once_published} if self.answer else None,
            "sentence": self.sentence,
        }


def preview_answer(*, entry: FaqEntry, query) -> AssistantPreview:
    """How the assistant would answer `query` asked in `entry`'s language, as the knowledge base is saved now.

    The answer is search.search_faq's first result (what the assistant's tool returns, the other language included
    when nothing in this one answers). For a draft, the preview also tells whether this entry would be the answer
    once published: it would be if it is at or above the bar and no published entry ranks before it."""
    query = clean_query(query)
    bar = search.relevance_bar()
    preview = {"entry_id": entry.pk, "query": query, "language": entry.language, "bar": bar,
               "entry_is_draft": not entry.published}
    if not query:
        return AssistantPreview(**preview)
    hits = search.rank(query, language=entry.language, include_drafts=True, limit=RANK_ALL)
    rows = [PreviewRow(position, hit, hit.id == entry.pk, hit.score >= bar) for position, hit in enumerate(hits, 1)]
    shown = rows[:PREVIEW_ROWS]
    this_row = next((row for row in rows[PREVIEW_ROWS:] if row.is_this), None)
    answers = search.search_faq(query, language=entry.language, limit=1)
    answer, once_published = (answers[0] if answers else None), False
    if not entry.published:
        first = next((row for row in rows if row.answers and (row.hit.published or row.is_this)), None)
        if first is not None and first.is_this:
            answer, once_published = first.hit, True
    return AssistantPreview(**preview, rows=shown, this_row=this_row, answer=answer, once_published=once_published)
