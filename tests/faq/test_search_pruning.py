"""The pruned ranking (bit sets of common words, bounds that skip entries which cannot reach the results) is a speed
change only: on generated knowledge bases, with many random questions, drafts, categories, limits and ties, it gives
exactly what the plain visit by coverage gives, and it scores far fewer entries.

The index is built from rows in memory (what faq.search.current_index reads from the tables), no database needed.
"""

import random
from datetime import UTC, datetime

import pytest

from faq import search

# Real words with distinct stems, the first ones drawn far more often (a few common words, many rare ones).
VOCABULARY = """order refund delivery package battery charger headphone speaker warranty invoice payment address
account password cancel return exchange parcel tracking shipping express standard country customs discount coupon
gift store hours phone email cable bluetooth pairing volume firmware screen colour size weight broken replace
repair receipt voucher subscription newsletter cookie privacy courier pickup locker weekend holiday""".split()
CATEGORIES = ["shipping", "returns", "products", "account", "payment"]
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def pick(rng: random.Random, count: int) -> list[str]:
    return rng.choices(VOCABULARY, weights=[1 / (rank + 1) for rank in range(len(VOCABULARY))], k=count)


def knowledge_base(seed: int, size: int) -> search._Index:
    """`size` English entries: questions of 2 to 7 words (some with a long tail of words), answers of 4 to 20,
    up to 3 phrasings, a fifth of drafts, and one entry in ten a copy of an earlier one (ties of relevance)."""
    rng = random.Random(seed)
    rows, phrasings = [], {}
    for entry_id in range(1, size + 1):
        if rows and rng.random() < 0.1:
            copied = rng.choice(rows)
            question, answer = copied["question"], copied["answer"]
            phrasings[entry_id] = list(phrasings.get(copied["id"], []))
        else:
            question = " ".join(pick(rng, rng.randint(2, 7) + (rng.random() < 0.2) * 8))
            answer = " ".join(pick(rng, rng.randint(4, 20)))
            phrasings[entry_id] = [" ".join(pick(rng, rng.randint(1, 4))) for _ in range(rng.randint(0, 3))]
        rows.append({"id": entry_id, "key": "", "question": question, "answer": answer,
                     "category": rng.choice(CATEGORIES), "language": "en", "published": rng.random() > 0.2,
                     "updated_at": STAMP})
    return search._Index(("generated", seed), rows, phrasings, None)


def question(rng: random.Random) -> str:
    words = pick(rng, rng.randint(1, 9))
    if rng.random() < 0.15:
        words.append("zyxwvut")  # a word the knowledge base has never seen
    if rng.random() < 0.15:
        typo = rng.randrange(len(words))
        words[typo] = words[typo][:2] + words[typo][3:]  # a letter missing
    if rng.random() < 0.15:
        words.insert(rng.randint(1, len(words)), ". Also, about this:")  # two sentences or more
    return " ".join(words)


def ranked(index, query, pruned, **options):
    return [(score, entry.id) for score, entry in index._lexical(
        index.languages["en"], "en", query, options.pop("limit"), options.pop("category", None),
        options.pop("include_drafts", False), pruned)]


@pytest.mark.parametrize(("seed", "size"), [(1, 300), (2, 600), (3, 1200)])
def test_the_pruned_ranking_gives_what_the_plain_visit_gives(seed, size):
    index = knowledge_base(seed, size)
    assert len(index.languages["en"].bits.terms) >= 5  # common words go through the bit sets
    rng = random.Random(seed * 1000)
    for _ in range(400):
        query = question(rng)
        options = {"limit": rng.choice([1, 2, 3, 5, 10]), "category": rng.choice([None, None, *CATEGORIES]),
                   "include_drafts": rng.random() < 0.3}
        assert ranked(index, query, True, **options) == ranked(index, query, False, **options), (query, options)


def test_entries_tied_with_the_last_result_are_told_apart_by_id_as_in_the_plain_visit():
    rows = [{"id": entry_id, "key": "", "question": "battery charger" if entry_id % 7 else "charger",
             "answer": "charger cable battery", "category": "products", "language": "en", "published": True,
             "updated_at": STAMP} for entry_id in range(1, 400)]
    index = search._Index(("ties", 0), rows, {}, None)
    for query in ("charger", "battery", "charger battery", "cable", "cable charger"):
        for limit in (1, 3, 8):
            assert ranked(index, query, True, limit=limit) == ranked(index, query, False, limit=limit), query


@pytest.mark.parametrize("query", ["my order", "order parcel", "order tracking number"])
def test_the_pruned_ranking_scores_only_entries_that_can_reach_the_results(monkeypatch, query):
    # The bench's shape: a few short entries, and many long ones that share their words ("order" is in all).
    rows = [{"id": entry_id, "key": "", "question": "Where is my order?" if entry_id < 5 else
             "Where is my order? " + " ".join(VOCABULARY[entry_id % 40:entry_id % 40 + 10]),
             "answer": "Your order ships in two days " + " ".join(VOCABULARY[entry_id % 30:entry_id % 30 + 8]),
             "category": "shipping", "language": "en", "published": True, "updated_at": STAMP}
            for entry_id in range(1, 2001)]
    index = search._Index(("long", 0), rows, {}, None)
    scored = []
    relevance = search._Index._relevance
    monkeypatch.setattr(search._Index, "_relevance", staticmethod(
        lambda language, entry, *rest: scored.append(entry.id) or relevance(language, entry, *rest)))

    plain = ranked(index, query, False, limit=3)
    plain_scored, scored[:] = len(scored), []
    pruned = ranked(index, query, True, limit=3)

    assert pruned == plain
    assert plain_scored >= 500 and len(scored) * 50 < plain_scored


def test_a_long_message_of_many_common_words_falls_back_to_the_plain_visit(monkeypatch):
    index = knowledge_base(4, 600)
    query = " ".join(VOCABULARY[:12])
    expected = ranked(index, query, False, limit=5)
    monkeypatch.setattr(search, "MAX_GROUPS", 2)
    fallbacks = []
    pruned = search._Index._rank_pruned
    monkeypatch.setattr(search._Index, "_rank_pruned",
                        lambda *args: fallbacks.append(pruned(*args)) or fallbacks[-1])

    assert ranked(index, query, True, limit=5) == expected
    assert fallbacks == [None]
