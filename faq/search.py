"""Ranked full-text search over published FAQ entries.

SQLite: an FTS5 table (porter stemmer, diacritics removed) kept in step with faq_faqentry by triggers, ranked by
bm25 with the question weighted above the answer. PostgreSQL: a generated tsvector column (english or french
configuration by the entry's language, question weighted A, answer B) with a GIN index, ranked by ts_rank.
Both are maintained by the database on every write, so an admin's edit is searchable as soon as it is saved.

A customer's content words (stop words dropped, a few customer synonyms added) are matched first as pairs (entries
sharing two of them), then, if that finds too few, as an OR of single words, so a paraphrase that shares a few
words with an entry still finds it and the ranking does the rest. Nothing typed reaches the SQL except as a
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


# Words customers use for the words our answers use (after lower-casing; applied to EN and FR alike). Each adds
# terms, never removes one, so a question phrased like the FAQ still matches as before.
SYNONYMS = {
    "reimburse": ["refund"], "reimbursed": ["refund"], "reimbursement": ["refund"], "money": ["refund"],
    "package": ["order", "shipping"], "parcel": ["order", "shipping"], "arrive": ["delivery"],
    "delayed": ["late"], "fees": ["cost", "shipping"], "fee": ["cost"], "price": ["cost"],
    "amex": ["american", "express"], "debit": ["charged"], "charge": ["charged"], "bill": ["invoice"],
    "send": ["return"], "back": ["return"], "swap": ["exchange"], "guarantee": ["warranty"],
    "rembourse": ["remboursement"], "rembourser": ["remboursement"], "remboursé": ["remboursement"],
    "achats": ["commandes"], "renvoyer": ["retourner", "retour"], "reçois": ["livraison"], "recevoir": ["livraison"],
    "débité": ["débitée", "prélevé"], "débiter": ["débitée", "prélevé"], "frais": ["port"], "colis": ["livraison"],
    "expédiée": ["expédition"], "facture": ["factures"],
}


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
        if len(word) < 2 or word in STOP_WORDS or word.isdigit():
            continue
        for term in [word, *SYNONYMS.get(word, [])]:
            if term not in terms:
                terms.append(term)
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


PAIR_TERMS = 8


def _search(terms, *, language, category, limit) -> list[FaqHit]:
    """Entries sharing at least two of the words first (a selective query: fast on a large knowledge base, and
    two shared words are a better sign than one); when that finds too few, any of the words."""
    search = _postgres_search if connection.vendor == "postgresql" else _sqlite_search
    rows = []
    if len(terms) >= 2:
        head = terms[:PAIR_TERMS]
        pairs = [(a, b) for i, a in enumerate(head) for b in head[i + 1:]]
        rows = search(terms, pairs, language=language, category=category, limit=limit)
    if len(rows) < limit:
        rows = search(terms, None, language=language, category=category, limit=limit)
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


def _sqlite_search(terms, pairs, *, language, category, limit):
    if pairs:
        match = " OR ".join(f'("{a}" AND "{b}")' for a, b in pairs)
    else:
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


def _postgres_search(terms, pairs, *, language, category, limit):
    tsquery = " | ".join(f"({a} & {b})" for a, b in pairs) if pairs else " | ".join(terms)
    where, params = _filters(language, category)
    sql = (
        "SELECT e.id, ts_rank(e.search_vector, q) AS score FROM faq_faqentry e, "
        "to_tsquery(CASE WHEN %s = 'fr' THEN 'french'::regconfig ELSE 'english'::regconfig END, %s) q "
        f"WHERE e.search_vector @@ q AND {where} ORDER BY score DESC, e.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [language or "en", tsquery, *params, limit])
        return cursor.fetchall()
