"""CPU per turn, measured from outside the server: sequential guest conversations over websockets against one
real daphne process, read from that process's own CPU accounting (/proc/<pid>/stat utime + stime).

Each conversation (a guest, no cookie: the socket makes the session) runs the chat_load script's 4 turns — a
greeting, an order look-up (tool call), an FAQ question (tool call) and thanks — one at a time, so what is measured
is work, not queueing. Reported per backend (the offline assistant; Claude through the real SDK against the fake
Messages API) and database (SQLite; PostgreSQL + Redis):

  - CPU ms per turn: the daphne process's CPU over the conversations (connect, turns, what a turn does after its
    answer: sentiment, escalation, condensation), minus its idle CPU over the same wall time, over the turns;
    the part of it spent on daphne's event loop thread (/proc/<pid>/task/<pid>/stat; the rest is the threads
    that run the database work);
  - CPU ms per model call (Claude path), the model calls counted in the fake Messages API's request log;
  - queries per turn: the same conversations run once more in a process of that code (Channels' in-process
    communicator, the same backend and database), every query of every thread counted through Django's
    execute_wrapper hook on each connection it opens, over the turns;
  - peak RSS of the daphne process (VmHWM).

`--baseline REV` checks REV out into a temporary `git worktree` and measures the same scenario against that code in
the same run (each revision on its own fresh database, migrated and seeded by its own code), then prints both side
by side and the ratio. Issue 17's baseline is a2a7370. `--profile DIR` runs each daphne under cProfile (its event
loop thread) and writes DIR/<revision>-<backend>-<database>.prof.

    python -m bench.turn_cpu --conversations 5 --baseline a2a7370
    python -m bench.turn_cpu --backends offline --databases sqlite --profile /tmp/prof
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.turn_script import TURNS, conversation

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the daphne process's own accounting -----------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of proc(5), after pid and comm


def loop_cpu_seconds(pid: int) -> float:
    """utime + stime of the process's main thread alone: daphne's event loop (the rest is the database's threads)."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def live_conversations(port: int, orders: list[tuple[str, str]], think: float) -> None:
    import websockets

    for index, (order, email) in enumerate(orders):
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/chat/", open_timeout=30,
                                      additional_headers=[("Origin", f"http://127.0.0.1:{port}")]) as socket:
            async def receive(socket=socket):
                return json.loads(await socket.recv())

            async def send(frame, socket=socket):
                await socket.send(json.dumps(frame))

            await conversation(receive, send, index, order, email, think)


# --- a revision under test ------------------------------------------------------------------------------------------
class Tree:
    """The code of one revision: this tree, or a temporary `git worktree` of REV (removed by close())."""

    def __init__(self, rev: str | None):
        self.rev = rev
        self.label = rev[:12] if rev else "now"
        if rev is None:
            self.path, self.temporary = ROOT, False
            return
        self.path = Path(tempfile.mkdtemp(prefix="helpdesk-baseline-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(self.path), rev],
                       check=True)
        self.temporary = True

    def env(self, database_url: str, fake_url: str | None, redis_url: str | None, **extra) -> dict:
        env = {**os.environ, "PYTHONPATH": str(self.path), "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
               "DATABASE_URL": database_url, "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50,
               "ALLOWED_HOSTS": "127.0.0.1,localhost", "FAST_PASSWORD_HASHING": "1", "LOG_LEVEL": "WARNING",
               "CHAT_RATE_LIMIT_MESSAGES": "1000", "CHAT_MAX_TURNS_PER_HOUR": "100000",
               "CHAT_MAX_TOKENS_PER_DAY": "100000000", **extra}
        for key in ("REDIS_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "DATABASE_POOL_SIZE"):
            env.pop(key, None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        if fake_url:
            env.update(ANTHROPIC_API_KEY="bench-key", ANTHROPIC_BASE_URL=fake_url)
        return env

    def manage(self, env: dict, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=self.path, env=env, check=True,
                       stdout=subprocess.DEVNULL)

    def close(self) -> None:
        if self.temporary:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(self.path)], check=False)


def sample_orders(database_url: str, count: int) -> list[tuple[str, str]]:
    """Order numbers and their customers' emails from the seeded database (read directly: no Django here)."""
    sql = ("SELECT o.number, c.email FROM orders_order o JOIN orders_customer c ON c.id = o.customer_id "
           "ORDER BY o.number")
    if database_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            pairs = connection.execute(sql).fetchall()
    else:
        import psycopg

        with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
            pairs = connection.execute(sql).fetchall()
    return [pairs[i % len(pairs)] for i in range(count)]


def measure(tree: Tree, backend: str, database: str, fake, args) -> dict:
    from bench import common

    redis = args.redis_url if database == "postgres" else None
    url = common.fresh_database(database, name=f"{args.pg_database}_{'base' if tree.rev else 'now'}")
    fake_url = fake.base_url if backend == "claude" else None
    pacing = {"OFFLINE_WORDS_PER_SECOND": str(args.words_per_second)}
    try:
        setup_env = tree.env(url, None, None)
        tree.manage(setup_env, "migrate", "--noinput", "-v", "0")
        tree.manage(setup_env, "seed_demo", "--conversations", "0")
        orders = sample_orders(url, 2 * args.conversations + 1)
        command = None
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "cProfile", "-o",
                       str(Path(args.profile) / f"{tree.label}-{backend}-{database}.prof")]
        server = common.start_daphne(url, fake_url, redis_url=redis, name=f"turncpu-{tree.label}", root=tree.path,
                                     extra_env=pacing, command=command)
        pid = server.popen.pid
        try:
            # Warm up (imports, first connections, the SDK's client): one conversation, not counted.
            asyncio.run(live_conversations(server.port, orders[:1], args.think))
            time.sleep(1.0)
            idle_started, idle_cpu, idle_loop = time.monotonic(), cpu_seconds(pid), loop_cpu_seconds(pid)
            time.sleep(args.idle_seconds)
            idle_seconds = time.monotonic() - idle_started
            idle_rate = (cpu_seconds(pid) - idle_cpu) / idle_seconds
            idle_loop_rate = (loop_cpu_seconds(pid) - idle_loop) / idle_seconds
            calls_before = len(fake.requests)
            started, cpu_before, loop_before = time.monotonic(), cpu_seconds(pid), loop_cpu_seconds(pid)
            asyncio.run(live_conversations(server.port, orders[1:args.conversations + 1], args.think))
            time.sleep(args.settle_seconds)  # what the last turn does after its answer (sentiment, condensation)
            wall = time.monotonic() - started
            cpu = cpu_seconds(pid) - cpu_before - idle_rate * wall
            loop_cpu = loop_cpu_seconds(pid) - loop_before - idle_loop_rate * wall
            calls = [r for r in fake.requests[calls_before:] if r.path == "/v1/messages"] if fake_url else []
            rss = peak_rss_mb(pid)
        finally:
            if args.profile:
                server.popen.send_signal(signal.SIGINT)  # daphne stops its reactor and cProfile writes its file
                try:
                    server.popen.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.stop()
            else:
                server.stop()
        turns = args.conversations * len(TURNS)
        # Queries: the same conversations again, in a process of this tree's code.
        counted = subprocess.run(
            [sys.executable, "-c", "import sys; sys.path[:0] = sys.argv[1:3]; import turn_script; turn_script.main()",
             str(tree.path), str(ROOT / "bench"), json.dumps({"orders": orders[args.conversations + 1:
                                                                               2 * args.conversations + 1],
                                                             "think": 0.0})],
            cwd=tree.path, env=tree.env(url, fake_url, redis, **pacing), check=True, capture_output=True, text=True)
        queries = json.loads(counted.stdout.strip().splitlines()[-1])["queries"]
        queries_turns = (args.conversations) * len(TURNS)
    finally:
        common.drop_database(url)
    return {"revision": tree.label, "backend": backend, "database": database + (" + redis" if redis else ""),
            "turns": turns, "cpu_ms_per_turn": cpu * 1000 / turns, "loop_cpu_ms_per_turn": loop_cpu * 1000 / turns,
            "model_calls_per_turn": len(calls) / turns if fake_url else None,
            "cpu_ms_per_model_call": cpu * 1000 / len(calls) if calls else None,
            "queries_per_turn": queries / queries_turns, "peak_rss_mb": rss, "idle_cpu_ms_per_s": idle_rate * 1000,
            "wall_seconds": wall}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=5, help="Measured conversations (4 turns each).")
    parser.add_argument("--backends", nargs="+", default=["offline", "claude"], choices=["offline", "claude"])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--baseline", metavar="REV", help="Also measure REV's code in the same run (a2a7370).")
    parser.add_argument("--profile", metavar="DIR", help="Run each daphne under cProfile; write the stats here.")
    parser.add_argument("--think", type=float, default=0.2, help="Seconds a customer waits between turns.")
    parser.add_argument("--words-per-second", type=float, default=30.0,
                        help="The offline assistant's pacing (OFFLINE_WORDS_PER_SECOND, 30 as served).")
    parser.add_argument("--ttft", type=float, default=0.5, help="The fake model's time to first token.")
    parser.add_argument("--tps", type=float, default=60, help="The fake model's output tokens per second.")
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="How long the idle CPU is read (at 10 ms clock ticks: longer is finer).")
    parser.add_argument("--settle-seconds", type=float, default=1.5)
    parser.add_argument("--pg-database", default="helpdesk_bench_turncpu",
                        help="Prefix of the PostgreSQL bench databases (…_now, …_base), dropped after.")
    parser.add_argument("--redis-url", default=None, help="Redis for the PostgreSQL runs (default: the benches').")
    args = parser.parse_args(argv)

    from bench import common

    args.redis_url = args.redis_url or common.REDIS_BENCH_URL
    # The fake model's responder (the offline assistant's decisions) needs Django set up; it makes no query.
    common.setup_django(common.fresh_database("sqlite"))
    from bench.fake_model import respond
    from tests.fakes.messages_api import FakeMessagesAPI

    trees = [Tree(args.baseline)] if args.baseline else []
    trees.append(Tree(None))
    results = []
    try:
        with FakeMessagesAPI.running_in_thread(ttft=args.ttft, tokens_per_second=args.tps,
                                               min_cacheable_tokens=1024, port=common.free_port()) as fake:
            fake.responder = respond
            for database in args.databases:
                for backend in args.backends:
                    for tree in trees:
                        result = measure(tree, backend, database, fake, args)
                        results.append(result)
                        print(f"  {result['revision']}, {backend}, {result['database']}: "
                              f"{result['cpu_ms_per_turn']:.1f} ms CPU/turn", flush=True)
                        common.write_json("turn_cpu", {"results": results})
    finally:
        for tree in trees:
            tree.close()
    rows = []
    for result in results:
        base = next((r for r in results if r["revision"] != "now" and r["backend"] == result["backend"]
                     and r["database"] == result["database"]), None) if result["revision"] == "now" else None
        rows.append([result["revision"], result["backend"], result["database"], result["turns"],
                     result["cpu_ms_per_turn"], result["loop_cpu_ms_per_turn"], result["model_calls_per_turn"], result["cpu_ms_per_model_call"],
                     result["queries_per_turn"], result["peak_rss_mb"], result["idle_cpu_ms_per_s"],
                     f"{result['cpu_ms_per_turn'] / base['cpu_ms_per_turn']:.2f}" if base else "—",
                     f"{result['queries_per_turn'] / base['queries_per_turn']:.2f}" if base else "—"])
    common.print_table(
        f"CPU per turn, one daphne process, sequential guests (offline pacing {args.words_per_second:.0f} words/s; "
        f"fake model {args.ttft * 1000:.0f} ms to first token, {args.tps:.0f} tokens/s) — {common.machine()}",
        ["revision", "backend", "database", "turns", "CPU ms/turn", "of which event loop", "model calls/turn", "CPU ms/model call",
         "queries/turn", "peak RSS MB", "idle CPU ms/s", "CPU now/base", "queries now/base"], rows)
    common.write_json("turn_cpu", {"results": results})
    return {"results": results}


if __name__ == "__main__":
    main()
