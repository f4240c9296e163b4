"""Content gaps: the customer questions the knowledge base did not answer, for the admins who write it.

Three sources feed it (UnansweredQuestion.Source): a search that found nothing at or above the relevance bar, a
conversation that ended unresolved, and a follow-up ticket. Each is stored with personal data masked, its analyzed
terms (for grouping by similarity) and the nearest entry search found, so the admin can see how close it came.

Grouping (content_gaps), per language, deterministic, in Python over the analyzed terms:
- the questions considered are those asked in the last WINDOW_DAYS days, at most the MAX_QUESTIONS most recent;
- questions with the same terms are one *wording* ("Gift card?" and "gift cards" are one), taken most asked first;
- a wording is the vector of its terms weighed by IDF; it joins the group whose centroid (the sum of its members'
  unit vectors) is closest by cosine, if at least SIMILARITY, else it starts a group; then groups whose centroids are
  at least MERGE_SIMILARITY alike are merged, the most alike first (a group says more than one wording: "opening
  hours?" and "what time do you open" meet through the "open" their group's other wordings share);
- a term's IDF is counted over the knowledge base's entries (a word every article uses, "order", "pay", says little
  about what is missing from it) and over the topics the questions form: a first pass groups with IDF over the
  wordings, the second (the result) with IDF over the first pass's groups, so that the word of a popular topic
  ("gift" in twenty ways of asking about gift cards) is not discounted for being popular.
The thresholds were tuned on tests/faq/test_gaps_grouping.py's TUNING questions (EN and FR): no group mixes two
topics with SIMILARITY anywhere from 0.45 to 0.6 and MERGE_SIMILARITY from 0.32 to 0.405, and 96% of the pairs of
one topic are grouped. On questions written afterwards (HELD_OUT), 97% of grouped pairs are of one topic and 69% of
one topic's pairs are grouped; they also showed that the bottom of the merge range joins topics that share one
word ("laptop repair", "laptop rental"), hence 0.4, its top. Different words for one thing ("shop" and "store",
"ouverts" and "horaires") are not grouped: the grouping knows words, not meanings.

The actions (add_as_phrasing, answer_with_new_entry, ignore) take question ids, each standing for every open
question of its language with the same terms (the same question, asked again), and record who handled them, when,
and the entry that answers them. After one of the first two, the same question finds the entry; the outcome says so
or names the wordings that still rank below the bar.
"""

import heapq
import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.pii import mask_pii

from . import search, text
from .exceptions import ContentGapError
from .models import MAX_PHRASING, FaqEntry, FaqPhrasing, UnansweredQuestion

log = logging.getLogger(__name__)

MAX_TEXT = 500
WINDOW_DAYS = 90
MAX_QUESTIONS = 2000
SIMILARITY = 0.55
MERGE_SIMILARITY = 0.4
MAX_EXAMPLES = 5
# One action: at most this many question ids (one per wording, each standing for its repeats), and at most this many
# of their wordings added as phrasings of one entry (the most asked first; the others are answered all the same).
MAX_ACTION_IDS = 500
MAX_PHRASINGS = 20
MAX_CHECKS = 20  # wordings searched again after an action, to tell whether the same questions now find the entry

State = UnansweredQuestion.State


def question_terms(question: str, language: str) -> str:
    """What UnansweredQuestion.terms holds for `question`: its analyzed words, a space-separated sorted set."""
    return " ".join(sorted(set(text.analyze(question, language))))[:500]


def record_unanswered(question: str, *, language: str, source: str, conversation_id=None, ticket_number: str = "",
                      nearest=None) -> UnansweredQuestion | None:
    """Keep `question` for the content-gaps page. Once per conversation, source and wording (a customer who asks
    twice, or a model that searches twice, is one question). `nearest` is the best FaqHit below the bar, if any.

    A question already marked ignored is recorded as ignored (the admin decided it needs no article); nothing is
    recorded for text with no content words ("ok", "?")."""
    masked = _masked(question)
    language = language if language in text.LANGUAGES else "en"
    terms = question_terms(masked, language)
    if not terms:
        return None
    if conversation_id is not None and UnansweredQuestion.objects.filter(
            conversation_id=conversation_id, source=source, terms=terms).exists():
        return None
    state = State.OPEN
    if UnansweredQuestion.objects.filter(terms=terms, language=language, state=State.IGNORED).exists():
        state = State.IGNORED
    nearest_entry = None
    if nearest is not None:
        nearest_entry = FaqEntry.objects.filter(pk=nearest.id).first()
    return UnansweredQuestion.objects.create(
        text=masked, terms=terms, language=language, source=source, conversation_id=conversation_id,
        ticket_number=ticket_number or "", nearest_entry=nearest_entry,
        nearest_score=nearest.score if nearest is not None else None, state=state)


def _masked(question: str) -> str:
    """What is kept of a customer's question: personal data masked, spaces collapsed, at most MAX_TEXT."""
    return " ".join(mask_pii(question or "").split())[:MAX_TEXT]


def withdraw(question: str, *, language: str, source: str, conversation_id) -> int:
    """Forget the open question recorded for this conversation with this wording (it was answered after all)."""
    terms = question_terms(_masked(question), language)
    deleted, _ = UnansweredQuestion.objects.filter(
        conversation_id=conversation_id, source=source, terms=terms, state=UnansweredQuestion.State.OPEN).delete()
    return deleted


# --- grouping by similarity ------------------------------------------------------------------------------------------
def _idf(documents) -> dict[str, float]:
    documents = list(documents)
    frequency = Counter(term for document in documents for term in document)
    return {term: math.log((1 + len(documents)) / (1 + count)) + 1 for term, count in frequency.items()}


def _greedy(wordings: list[frozenset], idf: dict[str, float]) -> list[list[int]]:
    groups: list[list[int]] = []
    centroids: list[dict[str, float]] = []
    squared_norms: list[float] = []
    holding: dict[str, list[int]] = defaultdict(list)  # term -> the groups whose centroid holds it
    rare = max(idf.values(), default=1.0)
    for index, terms in enumerate(wordings):
        vector = {term: idf.get(term, rare) for term in sorted(terms)}
        length = math.sqrt(sum(weight * weight for weight in vector.values()))
        unit = {term: weight / length for term, weight in vector.items()} if length else {}
        dots: dict[int, float] = defaultdict(float)
        for term, weight in unit.items():
            for group in holding.get(term, ()):
                dots[group] += weight * centroids[group][term]
        best, best_score = None, 0.0
        for group in sorted(dots):  # the earlier (more asked) group wins a tie
            score = dots[group] / math.sqrt(squared_norms[group])
            if score > best_score:
                best, best_score = group, score
        if best is None or best_score < SIMILARITY - 1e-9:
            best = len(groups)
            groups.append([])
            centroids.append({})
            squared_norms.append(0.0)
        groups[best].append(index)
        centroid = centroids[best]
        for term, weight in unit.items():
            old = centroid.get(term)
            if old is None:
                holding[term].append(best)
                old = 0.0
            centroid[term] = old + weight
            squared_norms[best] += (old + weight) ** 2 - old ** 2
    return groups


def cluster(wordings: list[frozenset], knowledge_base: list[frozenset] = ()) -> list[list[int]]:
    """`wordings` (term sets, most asked first) grouped by similarity: lists of their indexes, each list in the
    order given. `knowledge_base`: one term set per entry of the same language (its question and answer), which
    tells the words every article uses."""
    knowledge_base = list(knowledge_base)
    first = _greedy(wordings, _idf([*knowledge_base, *set(wordings)]))
    topics = [frozenset().union(*(wordings[i] for i in members)) for members in first]
    idf = _idf([*knowledge_base, *topics])
    return _merge(_greedy(wordings, idf), wordings, idf)


def _centroid(members: list[int], wordings: list[frozenset], idf: dict[str, float]) -> dict[str, float]:
    rare = max(idf.values(), default=1.0)
    centroid: dict[str, float] = defaultdict(float)
    for index in members:
        vector = {term: idf.get(term, rare) for term in sorted(wordings[index])}
        length = math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0
        for term, weight in vector.items():
            centroid[term] += weight / length
    return dict(centroid)


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b[term] for term, weight in a.items() if term in b)


def _merge(groups: list[list[int]], wordings: list[frozenset], idf: dict[str, float]) -> list[list[int]]:
    """Groups whose centroids are at least MERGE_SIMILARITY alike (cosine) become one, the most alike pair first: a
    group's centroid says more than any one wording ("opening hours" and "what time do you open" meet through
    "open", as the group's other wordings show)."""
    members = {number: list(group) for number, group in enumerate(groups)}
    centroids = {number: _centroid(group, wordings, idf) for number, group in members.items()}
    norms = {number: math.sqrt(_dot(centroid, centroid)) for number, centroid in centroids.items()}
    holding: dict[str, set[int]] = defaultdict(set)
    for number, centroid in centroids.items():
        for term in centroid:
            holding[term].add(number)
    heap: list[tuple[float, int, int]] = []

    def push_pairs(number: int, others) -> None:
        for other in sorted(others - {number}):
            score = _dot(centroids[number], centroids[other]) / (norms[number] * norms[other])
            if score >= MERGE_SIMILARITY - 1e-9:
                heapq.heappush(heap, (-score, min(number, other), max(number, other)))

    for number in list(members):
        push_pairs(number, {other for term in centroids[number] for other in holding[term] if other > number})
    next_number = len(groups)
    while heap:
        _score, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue
        merged = sorted(members.pop(a) + members.pop(b))
        norms.pop(a), norms.pop(b)
        centroid = defaultdict(float)
        for term, weight in [*centroids.pop(a).items(), *centroids.pop(b).items()]:
            centroid[term] += weight
        for term in centroid:
            holding[term] -= {a, b}
            holding[term].add(next_number)
        members[next_number], centroids[next_number] = merged, dict(centroid)
        norms[next_number] = math.sqrt(_dot(centroid, centroid))
        push_pairs(next_number, set().union(*(holding[term] for term in centroid)))
        next_number += 1
    return sorted(members.values())


def _knowledge_base(language: str) -> list[frozenset]:
    """The entries' words (question and answer: phrasings repeat the question's topic words and would make them
    look common)."""
    return [frozenset(text.analyze(f"{question} {answer}", language))
            for question, answer in FaqEntry.objects.filter(language=language).values_list("question", "answer")]


@dataclass(frozen=True)
class Example:
    """One distinct text of a group, as customers wrote it (its latest form), with its latest source and date."""

    id: int
    text: str
    count: int
    source: str
    asked_at: datetime
    ticket_number: str = ""

    @property
    def source_label(self) -> str:
        return UnansweredQuestion.Source(self.source).label


@dataclass
class Group:
    """Similar questions in one language: what the content-gaps page shows as one card."""

    language: str
    representative: Example  # the most asked text (the most recent of equals)
    count: int
    first_asked: datetime
    last_asked: datetime
    examples: list[Example]  # up to MAX_EXAMPLES distinct texts, most asked first, the representative first
    sources: list[tuple[str, int]]  # (label, count), most first
    wording_ids: list[int]  # one question per wording: what the actions take
    nearest: FaqEntry | None = None  # the entry search most often found below the bar, with its best score
    nearest_score: float | None = None
    answered_by: FaqEntry | None = None  # answered groups: the entry that answers most of them
    handled_by: str = ""  # handled groups: who handled the latest of them, and when
    handled_at: datetime | None = None
    distinct_texts: int = 0

    @property
    def language_label(self) -> str:
        return FaqEntry.Language(self.language).label

    @property
    def key(self) -> str:
        return f"{self.language}-{self.representative.id}"

    @property
    def nearest_score_shown(self) -> float | None:
        """The nearest entry's score to two decimals, rounded down: 0.497 reads 0.49, below a bar of 0.50."""
        return None if self.nearest_score is None else math.floor(self.nearest_score * 100) / 100

    @property
    def more_examples(self) -> int:
        return self.distinct_texts - len(self.examples)


@dataclass
class GapReport:
    groups: list[Group]
    questions: int  # the questions grouped
    total: int  # those matching the filters in the window, before the MAX_QUESTIONS bound
    window_days: int = WINDOW_DAYS
    limit: int = MAX_QUESTIONS
    languages: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.total > self.questions


_FIELDS = ("id", "text", "terms", "language", "source", "asked_at", "ticket_number", "nearest_entry_id",
           "nearest_score", "answered_by_entry_id", "handled_by_id", "handled_at")


def _same_text(value: str) -> str:
    """The key under which two texts are the same example: folded, spaces collapsed, end punctuation dropped."""
    return " ".join(text.fold(value).split()).strip(" ?!.…")


def _wordings(rows: list[dict]) -> list[list[dict]]:
    """Rows (most recent first) by identical terms, most asked first, then most recently asked, then by terms."""
    by_terms: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_terms[row["terms"]].append(row)
    return sorted(by_terms.values(), key=lambda members: (-len(members), -members[0]["asked_at"].timestamp(),
                                                          members[0]["terms"]))


def _examples(rows: list[dict]) -> list[Example]:
    """Distinct texts of `rows` (most recent first), most asked first, then most recent."""
    by_text: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_text[_same_text(row["text"])].append(row)
    ordered = sorted(by_text.values(), key=lambda same: (-len(same), -same[0]["asked_at"].timestamp(), same[0]["id"]))
    return [Example(id=same[0]["id"], text=same[0]["text"], count=len(same), source=same[0]["source"],
                    asked_at=same[0]["asked_at"], ticket_number=same[0]["ticket_number"]) for same in ordered]


def _most_common(rows: list[dict], key: str, score: str | None = None) -> tuple[int | None, float | None]:
    counts = Counter(row[key] for row in rows if row[key] is not None)
    if not counts:
        return None, None
    best_score = {}
    if score:
        for row in rows:
            if row[key] is not None and row[score] is not None:
                best_score[row[key]] = max(best_score.get(row[key], 0.0), row[score])
    chosen = min(counts, key=lambda value: (-counts[value], -best_score.get(value, 0.0), value))
    return chosen, best_score.get(chosen)


def _group(language: str, members: list[list[dict]], entries: dict, users: dict) -> Group:
    rows = sorted((row for wording in members for row in wording), key=lambda row: (row["asked_at"], row["id"]),
                  reverse=True)
    examples = _examples(rows)
    # The representative is the most asked text of the most asked wording (the group's first).
    representative = _examples(members[0])[0]
    examples = [representative, *[example for example in examples if example.id != representative.id]]
    nearest_id, nearest_score = _most_common(rows, "nearest_entry_id", "nearest_score")
    nearest = entries.get(nearest_id)
    if nearest is not None and nearest.language != language:
        nearest, nearest_score = None, None
    answered_id, _score = _most_common(rows, "answered_by_entry_id")
    handled = next((row for row in rows if row["handled_at"] is not None), None)
    sources = Counter(row["source"] for row in rows)
    return Group(
        language=language, representative=representative, count=len(rows), first_asked=rows[-1]["asked_at"],
        last_asked=rows[0]["asked_at"], examples=examples[:MAX_EXAMPLES], distinct_texts=len(examples),
        sources=[(UnansweredQuestion.Source(source).label, count)
                 for source, count in sorted(sources.items(), key=lambda item: (-item[1], item[0]))],
        wording_ids=[wording[0]["id"] for wording in members][:MAX_ACTION_IDS],
        nearest=nearest, nearest_score=nearest_score, answered_by=entries.get(answered_id),
        handled_by=users.get(handled["handled_by_id"], "") if handled else "",
        handled_at=handled["handled_at"] if handled else None,
    )


def content_gaps(*, state: str = State.OPEN, language: str | None = None, source: str | None = None,
                 now: datetime | None = None) -> GapReport:
    """The questions in `state` (open by default) asked in the last WINDOW_DAYS days, at most the MAX_QUESTIONS
    most recent, grouped by similarity within each language; the groups most asked first, then most recently."""
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    questions = UnansweredQuestion.objects.filter(state=state, asked_at__gte=since)
    if language:
        questions = questions.filter(language=language)
    if source:
        questions = questions.filter(source=source)
    total = questions.count()
    rows = list(questions.order_by("-asked_at", "-id").values(*_FIELDS)[:MAX_QUESTIONS])
    entry_ids = {row[key] for row in rows for key in ("nearest_entry_id", "answered_by_entry_id") if row[key]}
    entries = FaqEntry.objects.in_bulk(entry_ids)
    user_ids = {row["handled_by_id"] for row in rows if row["handled_by_id"]}
    users = {user.pk: user.get_full_name() or user.get_username()
             for user in get_user_model().objects.filter(pk__in=user_ids)}
    by_language: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_language[row["language"]].append(row)
    groups = []
    for code in sorted(by_language):
        wordings = _wordings(by_language[code])
        terms = [frozenset(wording[0]["terms"].split()) for wording in wordings]
        for members in cluster(terms, _knowledge_base(code)):
            groups.append(_group(code, [wordings[i] for i in members], entries, users))
    groups.sort(key=lambda group: (-group.count, -group.last_asked.timestamp(), group.language,
                                   group.representative.id))
    return GapReport(groups=groups, questions=len(rows), total=total, languages=sorted(by_language))


# --- the questions an action is about --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Wording:
    """Open questions of one language with the same terms: `id` stands for all of them."""

    id: int
    language: str
    terms: str
    text: str  # the most asked text (the most recent of equals)
    count: int
    last_asked: datetime
    question_ids: tuple[int, ...]


def _clean_ids(question_ids) -> list[int]:
    ids = []
    for value in question_ids or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number > 0 and number not in ids:
            ids.append(number)
    return ids[:MAX_ACTION_IDS]


def open_wordings(question_ids) -> list[Wording]:
    """The open questions that `question_ids` stand for (each id: every open question of its language with the
    same terms), by wording, most asked first. Ids of handled or missing questions are left out; an empty list
    means there is nothing left to do. Raises ContentGapError for questions in more than one language."""
    chosen = list(UnansweredQuestion.objects.filter(pk__in=_clean_ids(question_ids), state=State.OPEN)
                  .values_list("language", "terms").distinct())
    if not chosen:
        return []
    languages = {language for language, _terms in chosen}
    if len(languages) > 1:
        raise ContentGapError(_("These questions are in more than one language: act on one language at a time."))
    language = languages.pop()
    rows = list(UnansweredQuestion.objects.filter(state=State.OPEN, language=language,
                                                  terms__in={terms for _language, terms in chosen})
                .order_by("-asked_at", "-id").values(*_FIELDS))
    result = []
    for members in _wordings(rows):
        example = _examples(members)[0]
        result.append(Wording(id=members[0]["id"], language=language, terms=members[0]["terms"], text=example.text,
                              count=len(members), last_asked=members[0]["asked_at"],
                              question_ids=tuple(row["id"] for row in members)))
    return result


def nearest_entry(wordings: list[Wording]) -> tuple[int | None, float | None]:
    """The entry search most often found (below the bar) for these questions, in their language, with its best
    score: the first suggestion for "Add as a phrasing of…"."""
    if not wordings:
        return None, None
    rows = list(UnansweredQuestion.objects.filter(
        pk__in=[pk for wording in wordings for pk in wording.question_ids],
        nearest_entry__language=wordings[0].language).values("nearest_entry_id", "nearest_score"))
    return _most_common(rows, "nearest_entry_id", "nearest_score")


# --- the actions -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GapOutcome:
    """What an action did: the entry, how many questions it now answers, the phrasings added, and the wordings
    whose search still does not return the entry first (empty: the same questions now find it)."""

    entry: FaqEntry
    answered: int
    phrasings: tuple[str, ...]
    checked: int
    unfound: tuple[str, ...]

    @property
    def found(self) -> bool:
        return not self.unfound


def _claim(question_ids) -> list[Wording]:
    """The wordings to act on, their questions locked; ContentGapError if none is open any more."""
    wordings = open_wordings(question_ids)
    if not wordings:
        raise ContentGapError(_("These questions were already handled (or no longer exist)."), code="gap_handled")
    ids = [pk for wording in wordings for pk in wording.question_ids]
    list(UnansweredQuestion.objects.select_for_update().filter(pk__in=ids).values_list("id", flat=True))
    return wordings


def _mark(wordings: list[Wording], *, state: str, user, entry: FaqEntry | None = None) -> int:
    ids = [pk for wording in wordings for pk in wording.question_ids]
    marked = UnansweredQuestion.objects.filter(pk__in=ids, state=State.OPEN).update(
        state=state, answered_by_entry=entry, handled_by=user, handled_at=timezone.now())
    if not marked:
        raise ContentGapError(_("These questions were already handled (or no longer exist)."), code="gap_handled")
    return marked


def _phrasing(value: str) -> str:
    value = FaqPhrasing.normalize(value)
    if len(value) <= MAX_PHRASING:
        return value
    cut = value[:MAX_PHRASING + 1].rsplit(" ", 1)[0]
    return (cut if len(cut) >= MAX_PHRASING // 2 else value)[:MAX_PHRASING]


def _add_phrasings(entry: FaqEntry, wordings: list[Wording]) -> list[str]:
    """Each wording's text as a phrasing of `entry`, unless the entry already reads the same (its question or a
    phrasing with the same terms); at most MAX_PHRASINGS, the most asked first."""
    known = {frozenset(text.analyze(entry.question, entry.language))}
    known.update(frozenset(text.analyze(existing, entry.language))
                 for existing in entry.phrasings.values_list("text", flat=True))
    added = []
    for wording in wordings:
        phrasing = _phrasing(wording.text)
        terms = frozenset(text.analyze(phrasing, entry.language))
        if not terms or terms in known:
            continue
        if len(added) == MAX_PHRASINGS:
            break
        FaqPhrasing.objects.get_or_create(entry=entry, text=phrasing)
        known.add(terms)
        added.append(phrasing)
    return added


def _unfound(entry: FaqEntry, wordings: list[Wording]) -> tuple[int, tuple[str, ...]]:
    """(how many wordings were checked, those whose search does not return `entry` first). A draft is checked as
    it will be once published: first among the drafts too, at or above the bar."""
    checked, unfound = wordings[:MAX_CHECKS], []
    for wording in checked:
        if entry.published:
            hits = search.search_faq(wording.text, language=entry.language, limit=1)
            found = bool(hits) and hits[0].id == entry.pk
        else:
            hits = search.rank(wording.text, language=entry.language, limit=1, include_drafts=True)
            found = bool(hits) and hits[0].id == entry.pk and hits[0].score >= search.relevance_bar()
        if not found:
            unfound.append(wording.text)
    return len(checked), tuple(unfound)


def _answer(question_ids, entry: FaqEntry, user) -> GapOutcome:
    with transaction.atomic():
        wordings = _claim(question_ids)
        if wordings[0].language != entry.language:
            raise ContentGapError(
                _("The entry “%(entry)s” is not in the questions' language (questions: %(questions)s; entry: "
                  "%(entry_language)s): choose an entry in their language, or write one.") % {
                    "questions": FaqEntry.Language(wordings[0].language).label,
                    "entry": entry.question, "entry_language": FaqEntry.Language(entry.language).label},
                code="gap_language")
        answered = _mark(wordings, state=State.ANSWERED, user=user, entry=entry)
        phrasings = _add_phrasings(entry, wordings)
    checked, unfound = _unfound(entry, wordings)
    log.info("content gap answered by entry %s: %s questions, %s phrasings added, %s wordings still unfound",
             entry.pk, answered, len(phrasings), len(unfound))
    return GapOutcome(entry=entry, answered=answered, phrasings=tuple(phrasings), checked=checked, unfound=unfound)


def add_as_phrasing(question_ids, entry: FaqEntry, user) -> GapOutcome:
    """The questions `question_ids` stand for are other ways to ask `entry`'s question: their wordings become its
    phrasings and they are marked answered by it, by `user`. One transaction. Raises ContentGapError when none is
    open any more or the entry is in another language (nothing changes then)."""
    return _answer(question_ids, entry, user)


def answer_with_new_entry(question_ids, entry: FaqEntry, user) -> GapOutcome:
    """`entry` was just written for these questions (from the content-gaps page): they are marked answered by it
    and their wordings become its phrasings, as add_as_phrasing does."""
    return _answer(question_ids, entry, user)


def ignore(question_ids, user) -> int:
    """The questions need no article: marked ignored by `user` (and future identical questions are recorded
    ignored, see record_unanswered). Returns how many. Raises ContentGapError when none is open any more."""
    with transaction.atomic():
        return _mark(_claim(question_ids), state=State.IGNORED, user=user)
