"""Ranked full-text search over published FAQ entries.

SQLite: an FTS5 table (porter stemmer, diacritics removed) kept in step with faq_faqentry by triggers, ranked by
bm25 with the question weighted above the answer. PostgreSQL: a generated tsvector column (english or french
configuration by the entry's language, question weighted A, answer B) with a GIN index, ranked by ts_rank_cd.
Both are maintained by the database on every write, so an admin's edit is searchable as soon as it is saved.

A customer's words are matched as an OR of their content words (stop words dropped), so a paraphrase that shares
a few words with an entry still finds it and the ranking does the rest. Nothing typed reaches the SQL except as a
bound parameter of word characters.
"""

import re
from dataclasses import dataclass

from django.db import connection

from .models import FaqEntry

MAX_TERMS = 16

STOP_WORDS = frozenset(
    """
    a about an and are as at be been but by can could did do does doing for from get got had has have having how i
    if in into is it its me my myself no not of on or our please so some than that the their them then there these
    they this to too up us was we were what when where which who why will with would you your yours hi hello hey
    thanks thank just still any am also really very want need know tell help
    au aux avec ce ces cette dans de des du elle en est et eux il ils je la le les leur lui ma mais me mes moi mon
    ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous
    c d j l m n s t y à été être avoir ai as avez ont suis es sommes êtes sont fait faire comment quand quel quelle
    quels quelles est-ce bonjour merci salut svp stp plait plaît veux voudrais peux pouvez puis-je
    """.split()
)


@dataclass(frozen=True)
class FaqHit:
    id: int
    question: str
    answer: str
    category: str
    language: str
    score: float

    def as_tool_result(self) -> dict:
        return {"id": self.id, "question": self.question, "answer": self.answer, "category": self.category}


def search_terms(query: str) -> list[str]:
    words = re.findall(r"\w+", (query or "").lower())
    terms: list[str] = []
    for word in words:
        if len(word) < 2 or word in STOP_WORDS or word.isdigit() or word in terms:
            continue
        terms.append(word)
    return terms[:MAX_TERMS]


def search_faq(query: str, *, language: str = "en", category: str | None = None, limit: int = 3) -> list[FaqHit]:
    """The best `limit` published entries for `query` in `language` (then any language if none matched)."""
    terms = search_terms(query)
    if not terms:
        return []
    hits = _search(terms, language=language, category=category, limit=limit)
    if not hits:
        hits = _search(terms, language=None, category=category, limit=limit)
    return hits


def _search(terms, *, language, category, limit) -> list[FaqHit]:
    if connection.vendor == "postgresql":
        rows = _postgres_search(terms, language=language, category=category, limit=limit)
    else:
        rows = _sqlite_search(terms, language=language, category=category, limit=limit)
    if not rows:
        return []
    scores = dict(rows)
    entries = FaqEntry.objects.in_bulk(list(scores))
    return [
        FaqHit(e.id, e.question, e.answer, e.category, e.language, float(scores[e.id]))
        for pk, _score in rows
        if (e := entries.get(pk)) is not None
    ]


def _filters(language, category, *, placeholder="%s"):
    clauses, params = ["e.published"], []
    if language:
        clauses.append(f"e.language = {placeholder}")
        params.append(language)
    if category:
        clauses.append(f"e.category = {placeholder}")
        params.append(category)
    return " AND ".join(clauses), params


def _sqlite_search(terms, *, language, category, limit):
    match = " OR ".join(f'"{term}"' for term in terms)
    where, params = _filters(language, category)
    sql = (
        "SELECT f.rowid, bm25(faq_faqentry_fts, 3.0, 1.0) AS score "
        "FROM faq_faqentry_fts f JOIN faq_faqentry e ON e.id = f.rowid "
        f"WHERE faq_faqentry_fts MATCH %s AND {where} ORDER BY score LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit])
        # bm25 is lower-is-better; report higher-is-better like PostgreSQL.
        return [(pk, -score) for pk, score in cursor.fetchall()]


def _postgres_search(terms, *, language, category, limit):
    tsquery = " | ".join(terms)
    where, params = _filters(language, category)
    sql = (
        "SELECT e.id, ts_rank_cd(e.search_vector, q) AS score FROM faq_faqentry e, "
        "to_tsquery(CASE WHEN %s = 'fr' THEN 'french'::regconfig ELSE 'english'::regconfig END, %s) q "
        f"WHERE e.search_vector @@ q AND {where} ORDER BY score DESC, e.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [language or "en", tsquery, *params, limit])
        return cursor.fetchall()
