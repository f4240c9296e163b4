"""FAQ search: latency with 1k and 10k entries on each database, and recall@3 on paraphrased questions.

Latency runs the real search (faq.search.search_faq) over the labelled questions against a knowledge base grown
with synthetic entries (variants of the demo topics). Recall@3 is measured on the demo FAQ itself, with
bench/data/faq_queries.json: customer questions that are not copies of the FAQ wording, EN and FR.

    python -m bench.faq_search --sizes 1000 10000 --databases sqlite postgres
"""

import argparse
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from bench import common

QUERIES = common.ROOT / "bench" / "data" / "faq_queries.json"
# Synthetic entries vary like real ones: variants of the demo topics with words drawn from the whole demo FAQ.


def recall(queries) -> float:
    from faq.models import FaqEntry
    from faq.search import search_faq

    keys = dict(FaqEntry.objects.values_list("pk", "key"))
    hits = sum(q["key"] in [keys.get(h.id) for h in search_faq(q["query"], language=q["language"])] for q in queries)
    return hits / len(queries)


def grow(size: int) -> None:
    from faq.demo_content import FAQ_ENTRIES
    from faq.models import FaqEntry

    rng = random.Random(size)
    vocabulary = sorted({w for e in FAQ_ENTRIES for w in (e["question"] + " " + e["answer"]).lower().split()
                         if w.isalpha() and len(w) > 3})
    missing = size - FaqEntry.objects.count()
    batch = []
    for n in range(max(0, missing)):
        base = FAQ_ENTRIES[n % len(FAQ_ENTRIES)]
        noise = " ".join(rng.sample(vocabulary, 8))
        batch.append(FaqEntry(question=f"{base['question']} ({noise})", answer=f"{base['answer']} {noise}",
                              category=base["category"], language=base["language"], key=""))
    FaqEntry.objects.bulk_create(batch, batch_size=1000)
    from django.db import connection

    with connection.cursor() as cursor:  # what autovacuum / SQLite's optimizer would know after a real import
        cursor.execute("VACUUM ANALYZE faq_faqentry" if connection.vendor == "postgresql" else "PRAGMA optimize")


def measure(database: str, sizes: list[int], rounds: int) -> list[dict]:
    common.setup_django(common.fresh_database(database), REDIS_URL=None)
    from django.core.management import call_command

    from faq.search import search_faq
    from storefront.demo.store import DemoStore

    call_command("migrate", verbosity=0)
    DemoStore().faq()
    queries = json.loads(QUERIES.read_text())
    rows = [{"database": database, "entries": "demo FAQ", "recall_at_3": recall(queries)}]
    for size in sizes:
        grow(size)
        timings = []
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                search_faq(query["query"], language=query["language"])
                timings.append(time.perf_counter() - started)
        rows.append({"database": database, "entries": size, **common.summary_ms(timings)})
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for database in args.databases:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            rows += pool.submit(measure, database, args.sizes, args.rounds).result()
    table = [[r["database"], r["entries"], r.get("p50"), r.get("p95"), r.get("n"),
              f"{r['recall_at_3']:.3f}" if "recall_at_3" in r else ""] for r in rows]
    common.print_table(f"FAQ search — {common.machine()}", ["database", "entries", "p50 ms", "p95 ms", "searches",
                                                              "recall@3"], table)
    common.write_json("faq_search", {"rows": rows, "queries": len(json.loads(QUERIES.read_text()))})
    return {"rows": rows}


if __name__ == "__main__":
    main()
