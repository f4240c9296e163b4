"""Ranked search over the knowledge base, with a relevance bar below which it finds nothing.

Every entry is read as three fields: its question, the other ways customers ask it (FaqPhrasing) and its answer,
each analyzed by faq.text (folding, stop words, Snowball stemming in the entry's language), identically on SQLite
and PostgreSQL. A customer's question is scored against each entry by two numbers in [0, 1]:

- coverage: how much of the question's meaning the entry holds, each of its words weighed by how rare it is in the
  knowledge base (IDF), a word found in the question or a phrasing counting fully and one found only in the answer
  counting ANSWER_ONLY;
- fit: how much of the entry's best-matching question or phrasing the customer's words cover.

the words' relevance = coverage^w * fit^(1 - w), w = COVERAGE_WEIGHT (less for a long message). The entry's
relevance is the mean of that and of the similarity of meaning between the question and the entry's question or
nearest phrasing (faq.meaning's sentence vectors, MEANING_WEIGHT): words alone miss a question worded far from the
entry ("my package was supposed to come monday and still nothing" for the late-parcel entry), meaning alone finds
something near for any question. Entries at or above the bar (settings.FAQ_RELEVANCE_BAR) are results; a
question whose best entry is below it gets none, which the assistant turns into "I don't know, shall I open a
ticket?" and the content-gaps page into a question to answer. A word of the customer's that the knowledge base has
never seen counts against coverage (a question about opening hours is not answered by an article that shares only
"open"), unless it is one letter away from a known word (a typo) or of a known word's family (a stem that starts
with it or that it starts with: "livreur" and "livrez").

The index lives in the process and is rebuilt when the tables change: every search first reads the knowledge base's
version (one row that database triggers change with every write to the entries or the phrasings), so an admin's
edit is searchable the moment it is saved whichever process answers next (and a save in this process marks the index
stale at once); entries not changed since the previous build are not analyzed again.

The words' ranking is exact and fast on a large knowledge base (see _Index._rank_pruned): entries are grouped by
which of the query's common words they hold (bit sets, no work per entry), visited by coverage, and an entry whose
relevance cannot reach the results (bounded by its coverage and by its lightest question or phrasing) is skipped
without being scored. The meaning is one product of the question's vector with the matrix of the language's
questions and phrasings; the two are combined over each one's best (_Index.scored).
"""

import bisect
import functools
import logging
import math
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import compress
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db import connections, router

from . import meaning, text
from .models import FaqEntry, FaqPhrasing, KnowledgeVersion

logger = logging.getLogger(__name__)

MAX_TERMS = 24
# relevance = (1 - MEANING_WEIGHT) * the words' relevance + MEANING_WEIGHT * the similarity of meaning (faq.meaning).
MEANING_WEIGHT = 0.5
MAX_MEANING_CHARS = 1000  # the model reads 128 word pieces at most
CANDIDATES = 10  # beyond the results asked for, from each of the two rankings (_Index.scored)
ANSWER_ONLY = 0.75
COVERAGE_WEIGHT = 0.85
# In a long message not every word belongs to the question (the story around it): past LONG_QUERY words coverage
# weighs less and the fit of the best question or phrasing more.
LONG_QUERY = 6
TYPO_CREDIT = 0.8
MIN_PREFIX = 4
RELATED_CREDIT = 0.7
RELATIVE_TO_BEST = 0.75
PHRASING_CREDIT = 0.98
# A word the knowledge base has never seen weighs like a rare word, not like the rarest possible one.
UNKNOWN_WEIGHT = 1.0
# Ranking (speed only, never the result): a word in COMMON_POSTINGS entries or more is held as bit sets of entries;
# the entries of the rarer words are scored one by one. Past MAX_GROUPS distinct combinations of common words (a
# long message of common words on a large knowledge base) the plain visit by coverage takes over.
COMMON_POSTINGS = 64
MAX_GROUPS = 256
# Bounds compare with this much room, so that float rounding never skips an entry that would have been a result.
BOUND_MARGIN = 1e-9


@dataclass(frozen=True)
class FaqHit:
    id: int
    question: str
    answer: str
    category: str
    language: str
    score: float
    key: str = ""
    published: bool = True
    words: float | None = None  # the two parts of `score` (faq.search._Index.scored)
    meaning: float | None = None

    def as_tool_result(self) -> dict:
        return {"id": self.id, "question": self.question, "answer": self.answer, "category": self.category,
                "score": round(self.score, 2)}


@dataclass
class _Entry:
    id: int
    key: str
    question: str
    answer: str
    category: str
    language: str
    published: bool
    stamp: tuple  # what the analysis reads (texts, language, key, category, phrasings): unchanged, it is reused
    phrasings: tuple
    question_terms: frozenset
    phrasing_terms: tuple  # one frozenset per phrasing
    answer_terms: frozenset


@dataclass
class _Language:
    entries: dict = field(default_factory=dict)  # id -> _Entry
    # term -> {entry id: strength}, strength 1.0 (question or phrasing) or ANSWER_ONLY
    postings: dict = field(default_factory=lambda: defaultdict(dict))
    idf: dict = field(default_factory=dict)
    sorted_stems: list = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # entry id -> [(question or phrasing terms, total weight, credit)]
    raw_words: dict = field(default_factory=dict)  # folded word (4 letters or more) -> its stem, for typos
    deletions: dict = field(default_factory=lambda: defaultdict(set))  # word minus one letter -> words
    bits: "_Bits | None" = None  # for _Index._rank_pruned, built with the index
    meaning: "_Meaning | None" = None  # _Index._meaning, built when first needed

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.unknown_weight)

    @property
    def unknown_weight(self) -> float:
        return UNKNOWN_WEIGHT * _idf(len(self.entries), 1)


@dataclass
class _Meaning:
    """A language's entries as sentence vectors (faq.meaning): one row per question or phrasing, grouped by entry,
    entries by id; what `near` and `best` return is per entry, in that order."""

    ids: np.ndarray  # entry id per position, ascending
    position: dict  # entry id -> position
    starts: np.ndarray  # the first row of each entry in `matrix`
    matrix: np.ndarray
    published: np.ndarray  # bool per position
    categories: dict  # category -> bool per position

    @classmethod
    def of(cls, language: "_Language") -> "_Meaning":
        entries = sorted(language.entries.values(), key=lambda e: e.id)
        owners, texts = [], []
        for position, entry in enumerate(entries):
            for field_text in (entry.question, *(p for p in entry.phrasings if p.strip())):
                owners.append(position)
                texts.append(field_text)
        owners = np.array(owners, dtype=np.int64)
        categories = np.array([entry.category for entry in entries], dtype=object)
        return cls(ids=np.array([entry.id for entry in entries], dtype=np.int64),
                   position={entry.id: position for position, entry in enumerate(entries)},
                   starts=np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else owners,
                   matrix=meaning.vectors(texts),
                   published=np.array([entry.published for entry in entries], dtype=bool),
                   categories={category: categories == category for category in set(categories.tolist())})

    def near(self, query: str) -> np.ndarray:
        """How near the query's meaning is to each entry's question or nearest phrasing: the cosine, 0 for an
        unrelated or opposite meaning."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.float32)
        rows = self.matrix @ meaning.vector(query[:MAX_MEANING_CHARS])
        return np.maximum(np.maximum.reduceat(rows, self.starts), 0.0)

    def best(self, similarity: np.ndarray, count: int, *, include_drafts: bool, category: str | None) -> list[int]:
        """The ids of the `count` eligible entries nearest in meaning, nearest first, ties by id."""
        eligible = None if include_drafts else self.published
        if category:
            chosen = self.categories.get(category)
            if chosen is None:
                return []
            eligible = chosen if eligible is None else eligible & chosen
        positions = np.arange(len(self.ids)) if eligible is None else np.flatnonzero(eligible)
        values = similarity[positions]
        if len(positions) > count:  # what can be among the `count` nearest: the count-th's value or more
            kept = values >= np.partition(values, len(values) - count)[len(values) - count]
            positions, values = positions[kept], values[kept]
        order = np.lexsort((self.ids[positions], -values))[:count]
        return self.ids[positions[order]].tolist()


_TO_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _mask(positions) -> int:
    """The bit set (an int) of these positions."""
    positions = list(positions)
    if not positions:
        return 0
    buffer = bytearray(max(positions) // 8 + 1)
    for position in positions:
        buffer[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(buffer, "little")


@dataclass
class _Bits:
    """A language's entries as bit sets: bit i is the i-th entry by id, so a set's members come out in id order."""

    ids: list  # position -> entry id, ascending
    position: dict  # entry id -> position
    shortest: dict  # entry id -> total weight of its lightest question or phrasing (inf: none)
    terms: dict  # common term -> (mask of the entries asking it, mask of those holding it in the answer only)
    published: int
    categories: dict  # category -> mask
    # Entries whose lightest question or phrasing weighs at most edges[i]: masks[i] (a cheap superset for a bound).
    edges: list
    masks: list

    def members(self, mask: int) -> list[int]:
        """The ids of a bit set, ascending."""
        return list(compress(self.ids, bin(mask)[:1:-1].encode().translate(_TO_BITS)))

    def lighter_than(self, weight: float) -> int | None:
        """A superset of the entries whose lightest field weighs `weight` or less (None: all of them)."""
        i = bisect.bisect_left(self.edges, weight * (1 + BOUND_MARGIN))
        return self.masks[i] if i < len(self.masks) else None

    @classmethod
    def of(cls, language: "_Language") -> "_Bits":
        ids = sorted(language.entries)
        position = {entry_id: i for i, entry_id in enumerate(ids)}
        shortest = {entry_id: min((weight for _terms, weight, _credit in language.fields[entry_id]),
                                  default=math.inf) for entry_id in ids}
        terms, size = {}, len(ids) // 8 + 1
        for term, posting in language.postings.items():
            if len(posting) >= COMMON_POSTINGS:
                asking, answering = bytearray(size), bytearray(size)
                for entry_id, strength in posting.items():
                    i = position[entry_id]
                    (asking if strength == 1.0 else answering)[i >> 3] |= 1 << (i & 7)
                terms[term] = (int.from_bytes(asking, "little"), int.from_bytes(answering, "little"))
        categories = defaultdict(list)
        for entry_id in ids:
            categories[language.entries[entry_id].category].append(position[entry_id])
        by_weight = sorted(ids, key=shortest.__getitem__)
        edges, masks, buffer = [], [], bytearray(len(ids) // 8 + 1)
        step, due = max(1, len(ids) // 64), False
        for n, entry_id in enumerate(by_weight):
            i = position[entry_id]
            buffer[i >> 3] |= 1 << (i & 7)
            due = due or (n + 1) % step == 0
            weight = shortest[entry_id]
            # An edge is set where the weight changes, so that it holds every entry of its weight.
            if n + 1 == len(by_weight) or (due and shortest[by_weight[n + 1]] != weight):
                edges.append(weight)
                masks.append(int.from_bytes(buffer, "little"))
                due = False
        return cls(ids=ids, position=position, shortest=shortest, terms=terms,
                   published=_mask(position[e] for e in ids if language.entries[e].published),
                   categories={category: _mask(found) for category, found in categories.items()},
                   edges=edges, masks=masks)


def _idf(documents: int, frequency: int) -> float:
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def _one_edit(a: str, b: str) -> bool:
    """Whether `b` is `a` with one letter added, removed or changed, or two neighbouring letters swapped (the
    shared deletions of _correct also pair words two edits apart: "annee" and "panne", "double" and "oublie")."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return len(b) == len(a) + 1 and a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (a[i:i + 1] == b[i + 1:i + 2] and a[i + 1:i + 2] == b[i:i + 1]
                                      and a[i + 2:] == b[i + 2:])


class _Scored(NamedTuple):
    relevance: float
    entry: "_Entry"
    words: float  # the words' relevance (0..1)
    meaning: float | None  # the similarity of meaning (0..1); None: the model is not installed, words alone


@functools.cache
def _words_alone() -> None:
    """Said once per process: search without its sentence model (faq.meaning.available)."""
    logger.error("FAQ search reads words alone, the sentence model is not installed: %s", meaning.INSTALL_HINT)


def _combined(words: float, similarity: float) -> float:
    return round((1 - MEANING_WEIGHT) * words + MEANING_WEIGHT * similarity, 4)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class _Index:
    def __init__(self, fingerprint, rows, phrasings, previous: "_Index | None"):
        self.fingerprint = fingerprint
        self.languages: dict[str, _Language] = defaultdict(_Language)
        reused = previous.by_id if previous else {}
        self.by_id: dict[int, _Entry] = {}
        for row in rows:
            own = tuple(sorted(phrasings.get(row["id"], ())))
            old = reused.get(row["id"])
            stamp = (row["question"], row["answer"], row["language"], row["key"], row["category"], own)
            if old is not None and old.stamp == stamp:
                entry = old
                entry.published = row["published"]
            else:
                language = row["language"]
                entry = _Entry(
                    id=row["id"], key=row["key"], question=row["question"], answer=row["answer"],
                    category=row["category"], language=language, published=row["published"],
                    stamp=stamp, phrasings=own,
                    question_terms=frozenset(text.analyze(row["question"], language)),
                    phrasing_terms=tuple(frozenset(text.analyze(p, language)) for p in own),
                    answer_terms=frozenset(text.analyze(row["answer"], language)),
                )
            self.by_id[entry.id] = entry
            self._add(entry)
        for language in self.languages.values():
            documents = len(language.entries)
            frequencies = {term: len(posting) for term, posting in language.postings.items()}
            language.idf = {term: _idf(documents, frequency) for term, frequency in frequencies.items()}
            language.sorted_stems = sorted(language.idf)
            # (terms, total weight, credit): the entry's own question first, its phrasings at PHRASING_CREDIT (a
            # paraphrase fits a little less than the question it rewords, so the entry that asks it wins a tie).
            language.fields = {
                entry.id: [(terms, sum(language.idf[term] for term in terms), credit)
                           for terms, credit in ((entry.question_terms, 1.0),
                                                 *((p, PHRASING_CREDIT) for p in entry.phrasing_terms)) if terms]
                for entry in language.entries.values()}
            language.bits = _Bits.of(language)

    def _add(self, entry: _Entry) -> None:
        language = self.languages[entry.language]
        language.entries[entry.id] = entry
        asked = entry.question_terms.union(*entry.phrasing_terms)
        for term in asked:
            language.postings[term][entry.id] = 1.0
        for term in entry.answer_terms - asked:
            language.postings[term][entry.id] = ANSWER_ONLY
        for source in (entry.question, entry.answer, *entry.phrasings):
            found = [word for word in text.words(source) if len(word) >= 4 and word not in language.raw_words]
            for word, stem in zip(found, text.stems(found, entry.language), strict=True):
                language.raw_words[word] = stem
                for variant in _deletions(word):
                    language.deletions[variant].add(word)

    # --- scoring -----------------------------------------------------------------------------------------------
    def query_terms(self, query: str, language_code: str) -> list[tuple[str, float, float]]:
        """(term, weight, credit) for each distinct word of the query, a typo replaced by the known word it is one
        letter away from (credit TYPO_CREDIT)."""
        language = self.languages.get(language_code) or _Language()
        raw = text.words(query)[:MAX_TERMS]
        stemmed = text.stems(raw, language_code)
        seen, terms = set(), []
        for word, term in zip(raw, stemmed, strict=True):
            credit = 1.0
            if term not in language.idf and len(word) >= 5:
                corrected = self._correct(language, word)
                if corrected:
                    term, credit = language.raw_words[corrected], TYPO_CREDIT
            if term not in language.idf and len(term) >= MIN_PREFIX:
                related = self._related(language, term)
                if related:
                    term, credit = related, RELATED_CREDIT
            if term in seen:
                continue
            seen.add(term)
            terms.append((term, language.weight(term), credit))
        return terms

    @staticmethod
    def _related(language: _Language, term: str) -> str | None:
        """A known stem of the same family: one that starts with `term` ("livr" for "livreur"), or that `term`
        starts with, MIN_PREFIX letters at least; the most common wins."""
        stems = language.sorted_stems
        found = set()
        start = bisect.bisect_left(stems, term)
        for stem in stems[start:start + 50]:
            if not stem.startswith(term):
                break
            found.add(stem)
        for length in range(MIN_PREFIX, len(term)):
            if term[:length] in language.idf:
                found.add(term[:length])
        if not found:
            return None
        return min(found, key=lambda stem: (-len(language.postings[stem]), stem))

    @staticmethod
    def _correct(language: _Language, word: str) -> str | None:
        candidates = set(language.deletions.get(word, ()))  # a letter too many
        for variant in _deletions(word):
            if variant in language.raw_words:  # a letter missing
                candidates.add(variant)
            candidates.update(language.deletions.get(variant, ()))  # a letter changed, or two swapped
        candidates = {candidate for candidate in candidates if _one_edit(word, candidate)}
        if not candidates:
            return None
        # The most common known word wins (fewest surprises), then the alphabetically first, for determinism.
        return min(candidates, key=lambda w: (-len(language.postings.get(language.raw_words[w], ())), w))

    def score(self, query: str, language_code: str, *, limit: int, category=None,
              include_drafts=False, pruned=True) -> list[tuple[float, _Entry]]:
        """The `limit` entries most relevant to the query, with their relevance, best first (see `scored`)."""
        return [(found.relevance, found.entry) for found in self.scored(
            query, language_code, limit=limit, category=category, include_drafts=include_drafts, pruned=pruned)]

    def scored(self, query: str, language_code: str, *, limit: int, category=None,
               include_drafts=False, pruned=True) -> list["_Scored"]:
        """The `limit` entries most relevant to the query, best first, each with its relevance and its two parts.

        relevance = (1 - MEANING_WEIGHT) * the words' relevance (_lexical) + MEANING_WEIGHT * the similarity of
        meaning (_Meaning.near), rounded to 4 places, ties by id. The candidates are the words' best
        `limit` + CANDIDATES and the meaning's best `limit` + CANDIDATES (the words' relevance of an entry only the
        meaning brought is computed for it): an entry far down both lists cannot reach the top, and a search
        costs the same on a large knowledge base."""
        language = self.languages.get(language_code)
        if language is None or limit <= 0 or not text.words(query):
            return []  # nothing to go on: no language of ours, or only greetings and function words
        if not meaning.available():
            _words_alone()
            return [_Scored(relevance, entry, relevance, None) for relevance, entry in self._lexical(
                language, language_code, query, limit, category, include_drafts, pruned)]
        meaning_index = self._meaning(language)
        similarity = meaning_index.near(query)
        wanted = limit + CANDIDATES
        lexical = self._lexical(language, language_code, query, wanted, category, include_drafts, pruned)
        words = {entry.id: relevance for relevance, entry in lexical}
        for entry_id in meaning_index.best(similarity, wanted, include_drafts=include_drafts, category=category):
            if entry_id not in words:
                # Every entry sharing a word with the question is in a list shorter than asked for.
                words[entry_id] = 0.0 if len(lexical) < wanted else self._lexical_relevance(
                    language, language_code, query, language.entries[entry_id])
        near = {entry_id: float(similarity[meaning_index.position[entry_id]]) for entry_id in words}
        best = sorted((-_combined(relevance, near[entry_id]), entry_id) for entry_id, relevance in words.items())
        return [_Scored(-negative, language.entries[entry_id], words[entry_id], near[entry_id])
                for negative, entry_id in best[:limit]]

    def prepare_meaning(self) -> None:
        """Build what the first search by meaning would: every language's vectors, the model loaded and run once."""
        if not meaning.available():
            return
        for language in self.languages.values():
            self._meaning(language)
        meaning.encoder().encode(["warm up"])

    @staticmethod
    def _meaning(language: _Language) -> "_Meaning":
        """The language's questions and phrasings as vectors, built on the first search that needs them (vectors of
        texts seen before come from faq.meaning's caches)."""
        if language.meaning is None:
            language.meaning = _Meaning.of(language)
        return language.meaning

    def _lexical(self, language, language_code, query, limit, category, include_drafts, pruned=True):
        """The words' `limit` best (relevance, entry), best first.

        The words' relevance never exceeds coverage^w (fit is at most 1), so candidates are visited by coverage and
        the visit stops once that bound cannot beat the `limit`-th best found; and an entry whose relevance cannot
        reach the `limit`-th is not scored (_rank_pruned; `pruned=False`: the plain visit, _rank_by_coverage, which
        gives the same results): on a large knowledge base a common word's thousand entries are neither summed nor
        scored one by one.

        A message of several sentences is also read sentence by sentence ("I bought the speaker three weeks ago.
        I've decided I don't need it. Can I still send it back?"), each entry keeping its best: the story around a
        question does not dilute it."""
        parts = _sentences(query)
        if not parts:
            return self._score(language, language_code, query, limit, category, include_drafts, pruned)
        merged: dict[int, float] = {}
        for part in [query, *parts]:
            for relevance, entry in self._score(language, language_code, part, limit, category, include_drafts,
                                                pruned):
                merged[entry.id] = max(merged.get(entry.id, 0.0), relevance)
        best = sorted(((-relevance, entry_id) for entry_id, relevance in merged.items()))[:limit]
        return [(-negative, language.entries[entry_id]) for negative, entry_id in best]

    def _lexical_relevance(self, language, language_code, query, entry) -> float:
        """The words' relevance of one entry, as _lexical would give it (the best over the message and its
        sentences)."""
        best = 0.0
        for part in [query, *_sentences(query)]:
            terms = self.query_terms(part, language_code)
            total = sum(weight for _term, weight, _credit in terms)
            if not total:
                continue
            covered = 0.0
            for term, term_weight, credit in terms:
                strength = language.postings.get(term, {}).get(entry.id)
                if strength is not None:
                    covered += term_weight * strength * credit
            if not covered:
                continue
            weight = COVERAGE_WEIGHT * min(1.0, LONG_QUERY / len(terms))
            asked = [(term, language.weight(term) * credit) for term, _weight, credit in terms]
            best = max(best, self._relevance(language, entry, asked, total, (covered / total) ** weight, weight))
        return best

    def _score(self, language, language_code, query, limit, category, include_drafts, pruned=True):
        terms = self.query_terms(query, language_code)
        total = sum(weight for _term, weight, _credit in terms)
        if not total:
            return []
        weight = COVERAGE_WEIGHT * min(1.0, LONG_QUERY / len(terms))
        best = None
        if pruned:
            best = self._rank_pruned(language, terms, total, weight, limit, category, include_drafts)
        if best is None:
            best = self._rank_by_coverage(language, terms, total, weight, limit, category, include_drafts)
        return [(-negative, language.entries[entry_id]) for negative, entry_id in best]

    @staticmethod
    def _relevance(language, entry, asked, total, share_weighted, weight) -> float:
        """relevance = coverage^w * fit^(1-w), `share_weighted` being coverage^w, rounded (ties then go by id)."""
        fit = 0.0
        for field_terms, field_weight, field_credit in language.fields[entry.id]:
            matched = sum(term_weight for term, term_weight in asked if term in field_terms)
            if matched:
                fit = max(fit, field_credit * matched / field_weight)
        # An answer that holds the customer's words fits too, as much as its words count (ANSWER_ONLY).
        in_answer = sum(term_weight for term, term_weight in asked if term in entry.answer_terms)
        fit = max(fit, ANSWER_ONLY * in_answer / total)
        return round(share_weighted * fit ** (1 - weight), 4)

    def _rank_by_coverage(self, language, terms, total, weight, limit, category, include_drafts):
        """The `limit` best as (-relevance, entry id), best first: every entry holding a word of the query is
        summed, then visited by coverage (ties by id) until coverage^w, which relevance never exceeds, falls below
        the `limit`-th best found. The reference that _rank_pruned must equal, and its fallback."""
        coverage: dict[int, float] = defaultdict(float)
        for term, term_weight, credit in terms:
            for entry_id, strength in language.postings.get(term, {}).items():
                coverage[entry_id] += term_weight * strength * credit
        asked = [(term, language.weight(term) * credit) for term, _weight, credit in terms]
        best: list[tuple[float, int]] = []  # (-relevance, entry id), the `limit` best so far, sorted
        for entry_id, covered in sorted(coverage.items(), key=lambda pair: (-pair[1], pair[0])):
            share = covered / total
            if len(best) >= limit and share ** weight < -best[-1][0]:
                break
            entry = language.entries[entry_id]
            if (not entry.published and not include_drafts) or (category and entry.category != category):
                continue
            relevance = self._relevance(language, entry, asked, total, share ** weight, weight)
            bisect.insort(best, (-relevance, entry_id))
            del best[limit:]
        return best

    def _rank_pruned(self, language, terms, total, weight, limit, category, include_drafts):
        """What _rank_by_coverage returns, bit for bit, without summing or scoring most entries (None: too many
        combinations of common words, let _rank_by_coverage answer).

        - The entries holding a rare word of the query are summed one by one, every other one is grouped by which
          common words it holds and how (asked or in the answer only), with bit-set intersections: a group's
          coverage is the same sum in the same order as _rank_by_coverage's, so the same float.
        - Coverage levels are visited from the highest, a level's entries by id, with the same stop as
          _rank_by_coverage. Once `limit` results are held, an entry is only scored if its relevance could reach
          the `limit`-th: fit is at most what the query's asked words weigh over the entry's lightest question or
          phrasing, and ANSWER_ONLY times what all its words weigh over the query's. An entry skipped could not
          have entered the results, and drafts and other categories are never results: the results, their order
          and every later stop are unchanged."""
        bits = language.bits
        rare, common = [], []
        for term, term_weight, credit in terms:
            held = bits.terms.get(term)
            if held is not None:
                common.append((term_weight * 1.0 * credit, term_weight * ANSWER_ONLY * credit,
                               term_weight * credit, *held))
            else:
                rare.append(term)
        # coverage -> [(weight of the asked words held, of all words held, mask of a group or None, entry id or None)]
        levels: dict[float, list] = defaultdict(list)
        rare_ids = set().union(*(language.postings.get(term, {}) for term in rare))
        held = [(language.postings.get(term, {}), term_weight * credit, term_weight, credit)
                for term, term_weight, credit in terms]
        for entry_id in rare_ids:
            covered = asked_weight = holds = 0.0
            for posting, term_asked, term_weight, credit in held:
                strength = posting.get(entry_id)
                if strength is not None:
                    covered += term_weight * strength * credit
                    holds += term_asked
                    if strength == 1.0:
                        asked_weight += term_asked
            levels[covered].append((asked_weight, holds, None, entry_id))
        eligible = None if include_drafts else bits.published
        if category:
            chosen = bits.categories.get(category, 0)
            eligible = chosen if eligible is None else eligible & chosen
        groups: list[tuple[float, float, float, int]] = []  # (coverage, asked weight, weight, mask)
        seen = _mask(bits.position[entry_id] for entry_id in rare_ids)  # rare_ids are summed above, not grouped
        for asked_part, answer_part, term_asked, asking, answering in common:
            holding = asking | answering
            refined = []
            for covered, asked_weight, holds, mask in groups:
                on_asked, on_answer = mask & asking, mask & answering
                if on_asked:
                    refined.append((covered + asked_part, asked_weight + term_asked, holds + term_asked, on_asked))
                if on_answer:
                    refined.append((covered + answer_part, asked_weight, holds + term_asked, on_answer))
                rest = mask ^ on_asked ^ on_answer
                if rest:
                    refined.append((covered, asked_weight, holds, rest))
            fresh = holding & ~seen
            if fresh & asking:
                refined.append((0.0 + asked_part, term_asked, term_asked, fresh & asking))
            if fresh & answering:
                refined.append((0.0 + answer_part, 0.0, term_asked, fresh & answering))
            seen |= holding
            groups = refined
            if len(groups) > MAX_GROUPS:
                return None
        for covered, asked_weight, holds, mask in groups:
            levels[covered].append((asked_weight, holds, mask, None))

        asked = [(term, language.weight(term) * credit) for term, _weight, credit in terms]
        shortest = bits.shortest
        exponent = 1 / (1 - weight)
        best: list[tuple[float, int]] = []
        for covered in sorted(levels, reverse=True):
            share = covered / total
            share_weighted = share ** weight
            if len(best) >= limit and share_weighted < -best[-1][0]:
                break
            bar = _Bar.of(best, limit, share_weighted, exponent)
            visit = []  # (entry id, asked weight, answer fit bound)
            for asked_weight, holds, mask, entry_id in levels[covered]:
                answer_fit = ANSWER_ONLY * holds / total
                if mask is None:
                    entry = language.entries[entry_id]
                    if (entry.published or include_drafts) and (not category or entry.category == category):
                        visit.append((entry_id, asked_weight, answer_fit))
                    continue
                if eligible is not None:
                    mask &= eligible
                if bar is not None:
                    above = mask >> (bits.position[bar.last] + 1) << (bits.position[bar.last] + 1)
                    mask = (bar.able(bits, mask ^ above, asked_weight, answer_fit, bar.below)
                            | bar.able(bits, above, asked_weight, answer_fit, bar.tied))
                if mask:
                    visit += [(entry_id, asked_weight, answer_fit) for entry_id in bits.members(mask)]
            if len(levels[covered]) > 1:
                visit.sort()
            for entry_id, asked_weight, answer_fit in visit:
                if bar is not None:
                    if share_weighted < -best[-1][0]:
                        return best
                    fit = max(asked_weight / shortest[entry_id], answer_fit)
                    if fit < bar.below or (entry_id > bar.last and fit < bar.tied):
                        continue
                relevance = self._relevance(language, language.entries[entry_id], asked, total, share_weighted,
                                            weight)
                if len(best) < limit or (-relevance, entry_id) < best[-1]:
                    bisect.insort(best, (-relevance, entry_id))
                    del best[limit:]
                    bar = _Bar.of(best, limit, share_weighted, exponent)
        return best


@dataclass(frozen=True)
class _Bar:
    """What an entry of one coverage level needs to enter the `limit` best held: a fit of `below` or more, or of
    `tied` or more if its id is above the `limit`-th's (`last`), which wins a tie (relevance is rounded to 4 places).

    With f the fit and s^w the level's coverage^w: s^w * f^(1-w) under kth - 0.0001 rounds below the kth, under
    kth + 0.00005 rounds to it at most; BOUND_MARGIN keeps float error on the side of scoring the entry."""

    below: float
    tied: float
    last: int

    @classmethod
    def of(cls, best, limit, share_weighted, exponent) -> "_Bar | None":
        if len(best) < limit:
            return None  # any entry enters
        kth = -best[-1][0]
        below = (kth - 1e-4) / share_weighted
        return cls(below=below ** exponent * (1 - BOUND_MARGIN) if below > 0 else -1.0,
                   tied=((kth + 0.5e-4) / share_weighted) ** exponent * (1 - BOUND_MARGIN), last=best[-1][1])

    @staticmethod
    def able(bits, mask, asked_weight, answer_fit, needed) -> int:
        """The entries of `mask` (all of one group) whose fit can reach `needed`, or a few more."""
        if not mask or answer_fit >= needed:
            return mask
        if not asked_weight:
            return 0
        # asked weight / lightest field >= needed: the lightest field weighs asked weight / needed at most.
        lighter = bits.lighter_than(asked_weight / needed)
        return mask if lighter is None else mask & lighter


_SENTENCE = re.compile(r"[.!?;\n]+")


def _sentences(query: str) -> list[str]:
    """The sentences of a message that has several with three words or more that are not stop words."""
    parts = [part for part in _SENTENCE.split(query or "") if len(text.words(part)) >= 3]
    return parts if len(parts) > 1 else []


_lock = threading.Lock()
_index: _Index | None = None


def _fingerprint() -> tuple:
    """The knowledge base's version (faq.models.KnowledgeVersion): database triggers give it a new value with every
    write to the entries or the phrasings, whoever makes it, so one primary-key read tells whether the index is
    current, whatever the size of the knowledge base. Written in SQL since the ORM compiles a query anew on every
    call, which cost more than the query."""
    connection = connections[router.db_for_read(FaqEntry)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT stamp FROM {connection.ops.quote_name(KnowledgeVersion._meta.db_table)} WHERE id = 1")
        row = cursor.fetchone()
        return (row[0] if row else None,)


def current_index() -> _Index:
    """The index of the knowledge base as the database holds it now (rebuilt if the table changed)."""
    global _index
    fingerprint = _fingerprint()
    index = _index
    if index is not None and index.fingerprint == fingerprint:
        return index
    with _lock:
        if _index is not None and _index.fingerprint == fingerprint:
            return _index
        rows = list(FaqEntry.objects.values("id", "key", "question", "answer", "category", "language", "published"))
        phrasings = defaultdict(list)
        for entry_id, phrasing in FaqPhrasing.objects.values_list("entry_id", "text"):
            phrasings[entry_id].append(phrasing)
        _index = _Index(fingerprint, rows, phrasings, _index)
        return _index


def forget_index(**_signal) -> None:
    """Make the next search in this process re-read the table (connected to the entries' and phrasings' saves and
    deletes: other processes notice through the fingerprint). Analysis of unchanged entries is still reused."""
    index = _index
    if index is not None:
        index.fingerprint = None


def relevance_bar() -> float:
    return settings.FAQ_RELEVANCE_BAR


def _hit(found: _Scored) -> FaqHit:
    entry = found.entry
    return FaqHit(entry.id, entry.question, entry.answer, entry.category, entry.language, found.relevance, entry.key,
                  entry.published, found.words, found.meaning)


def rank(query: str, *, language: str = "en", category: str | None = None, limit: int = 5,
         include_drafts: bool = False) -> list[FaqHit]:
    """The best `limit` entries in `language` with their relevance, below the bar included (for the admin's
    preview and the content-gaps page: what the assistant would have said, and how close it came)."""
    scored = current_index().scored(query, language, limit=limit, category=category, include_drafts=include_drafts)
    return [_hit(found) for found in scored]


@dataclass(frozen=True)
class Lookup:
    """What the knowledge base says to a question: the entries that answer it (empty: none does), and when none
    does, the entry that came closest in the asked language (for the content-gaps page)."""

    hits: list[FaqHit]
    nearest: FaqHit | None = None


def lookup(query: str, *, language: str = "en", category: str | None = None, limit: int = 3) -> Lookup:
    """The published entries that answer `query` (relevance at or above the bar), best first; in `language`, or in
    the other language when none in `language` does.

    An entry far below the best one (under RELATIVE_TO_BEST of its relevance) is not offered beside it: "How long
    does delivery take?" answers with the delivery article, not also with "How long does a refund take?"."""
    index = current_index()
    bar = relevance_bar()
    nearest = None
    for code in [language, *[other for other in text.LANGUAGES if other != language]]:
        scored = index.scored(query, code, limit=limit, category=category)
        if scored and scored[0].relevance >= bar:
            floor = max(bar, RELATIVE_TO_BEST * scored[0].relevance)
            return Lookup([_hit(found) for found in scored if found.relevance >= floor])
        if scored and code == language:
            nearest = _hit(scored[0])
    return Lookup([], nearest)


def search_faq(query: str, *, language: str = "en", category: str | None = None, limit: int = 3) -> list[FaqHit]:
    """lookup's answers: an empty list means the knowledge base has no answer."""
    return lookup(query, language=language, category=category, limit=limit).hits
