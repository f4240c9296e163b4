"""`make bench`: every benchmark with small defaults (a few minutes), then one summary table.

Full runs, as in the README's table: see bench/README.md.
"""

import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from bench import common


def _run(module: str, argv: list[str]):
    import importlib

    return importlib.import_module(module).main(argv)


def run(module: str, argv: list[str]):
    """Each benchmark in its own process: each sets Django up against its own bench database."""
    print(f"\n=== {module} {' '.join(argv)}", flush=True)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_run, module, argv).result()


def main() -> None:
    postgres = "--no-postgres" not in sys.argv
    databases = ["sqlite", "postgres"] if postgres else ["sqlite"]
    load = run("bench.chat_load", ["--clients", "1", "20", "--databases", *databases, "--idle", "100"])
    baseline = run("bench.seed_baseline", ["--concurrency", "1", "5", "10"])
    tokens = run("bench.tokens", ["--turns", "60"])
    search = run("bench.faq_search", ["--sizes", "1000", "--databases", *databases, "--rounds", "1"])
    kpis = run("bench.kpi_queries", ["--conversations", "10000", "--database", databases[-1], "--rounds", "3"])
    turn_cpu = run("bench.turn_cpu", ["--conversations", "2", "--databases", *databases])
    turn_floor = run("bench.turn_floor", ["--conversations", "2", "--databases", *databases])
    summary = {"chat_load": load, "seed_baseline": baseline, "tokens": tokens, "faq_search": search,
               "kpi_queries": kpis, "turn_cpu": turn_cpu, "turn_floor": turn_floor}
    print(f"\n=== Summary ({common.machine()})")
    print(f"first word {baseline['first_word_speedup']:.1f}x sooner than the source design; cost ratio "
          f"(20 turns) {tokens['cost_ratio']:.2f}; cached fraction from the 2nd call "
          f"{tokens['ours']['cached_fraction_from_second_call']:.0%}")
    common.write_json("summary", summary)


if __name__ == "__main__":
    main()
