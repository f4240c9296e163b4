"""Load: N concurrent customers on websockets against daphne, wired to the fake model with realistic timing.

Each customer (a guest) runs a scripted 4-turn conversation: a greeting, an order look-up (tool call), an FAQ
question (tool call) and thanks. Reported per N: time to the customer's first word and to the full reply
(p50/p95/p99), server overhead on the turns without tools (first word at the client minus the fake model's time
to first token), turns per second, errors, lost or duplicated messages (checked in the database), server RSS, and
memory per idle connection.

    python -m bench.chat_load --clients 1 50 200 500 --databases sqlite postgres --two-processes
"""

import argparse
import asyncio
import json
import random
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import psutil
import websockets

from bench import common

TURNS = ["Hi", "Where is my order {order}? My email is {email}", "How long does standard shipping take?",
         "Thanks!"]
TOOL_TURNS = {1, 2}


def browser_sessions(count: int) -> list[str]:
    """Session keys as the storefront page would have created them before the widget connects."""
    from django.contrib.sessions.backends.db import SessionStore

    keys = []
    for _ in range(count):
        store = SessionStore()
        store["chat"] = True
        store.save()
        keys.append(store.session_key)
    return keys


def headers(server: common.Process, session_key: str) -> list[tuple[str, str]]:
    return [("Origin", server.url), ("Cookie", f"sessionid={session_key}")]


class Customer:
    def __init__(self, index: int, server: common.Process, order: str, email: str, session_key: str):
        self.index, self.server, self.order, self.email = index, server, order, email
        self.session_key = session_key
        self.first_word: list[tuple[int, float]] = []
        self.full_reply: list[tuple[int, float]] = []
        self.acks: dict[str, int] = {}
        self.ack_times: list[float] = []
        self.errors: list[str] = []

    async def run(self, think: float) -> None:
        # Arrivals spread over a second, or over one think time when customers take longer than that to write.
        await asyncio.sleep(random.random() * max(1.0, think))
        try:
            async with websockets.connect(f"ws://127.0.0.1:{self.server.port}/ws/chat/",
                                          additional_headers=headers(self.server, self.session_key),
                                          max_size=2**20, open_timeout=30) as socket:
                await self._receive_until(socket, "state")
                for turn, template in enumerate(TURNS):
                    client_id = f"c{self.index}t{turn}"
                    sent = time.perf_counter()
                    await socket.send(json.dumps({"type": "message", "client_id": client_id,
                                                  "text": template.format(order=self.order, email=self.email)}))
                    await self._one_turn(socket, turn, client_id, sent)
                    # From a second up, people do not write in step: each wait is 0.5x to 1.5x the think time.
                    await asyncio.sleep(think * random.uniform(0.5, 1.5) if think >= 1 else think)
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {error}")

    async def _one_turn(self, socket, turn, client_id, sent) -> None:
        """Until the answer to this turn's message is complete: the first assistant message after the ack that does
        not continue (words said before a tool call continue; the answer after the tool follows)."""
        first, acked_seq = None, None
        async with asyncio.timeout(60):
            while True:
                frame = json.loads(await socket.recv())
                kind = frame.get("type")
                if kind == "ack":
                    self.acks[frame["client_id"]] = self.acks.get(frame["client_id"], 0) + 1
                    if frame["client_id"] == client_id and acked_seq is None:
                        acked_seq = frame["seq"]
                        self.ack_times.append(time.perf_counter() - sent)
                elif kind == "assistant.delta" and first is None and acked_seq is not None \
                        and frame["seq"] > acked_seq:
                    first = time.perf_counter() - sent
                elif kind == "assistant.message" and acked_seq is not None and frame["seq"] > acked_seq \
                        and not frame.get("continues"):
                    self.first_word.append((turn, first if first is not None else time.perf_counter() - sent))
                    self.full_reply.append((turn, time.perf_counter() - sent))
                    return
                elif kind == "error":
                    self.errors.append(frame.get("code", "error"))

    async def _receive_until(self, socket, kind):
        async with asyncio.timeout(30):
            while json.loads(await socket.recv()).get("type") != kind:
                pass


def sample_orders(count: int) -> list[tuple[str, str]]:
    from orders.models import Order

    pairs = list(Order.objects.select_related("customer").values_list("number", "customer__email"))
    return [pairs[i % len(pairs)] for i in range(count)]


def check_delivery(clients: list[Customer], since_pk: int) -> dict:
    """Lost or duplicated: every message acknowledged exactly once and stored exactly once; every turn answered."""
    from conversations.models import Message

    acked = {client_id for c in clients for client_id in c.acks}
    stored = list(Message.objects.filter(pk__gt=since_pk, role="customer").values_list("client_id", flat=True))
    acked_twice = sum(1 for c in clients for n in c.acks.values() if n > 1)
    return {
        "lost": len(acked - set(stored)),  # acknowledged, yet not in the database
        "duplicated": len(stored) - len(set(stored)) + acked_twice,
        # Turns whose answer the client gave up waiting for (60 s): overload, not loss (the database has them).
        "unfinished": sum(len(TURNS) - len(c.full_reply) for c in clients),
    }


async def run_load(servers: list[common.Process], clients_count: int, ttft: float, think: float) -> dict:
    from conversations.models import Message

    last = await Message.objects.order_by("-pk").values_list("pk", flat=True).afirst() or 0
    orders = await asyncio.to_thread(sample_orders, clients_count)
    sessions = await asyncio.to_thread(browser_sessions, clients_count)
    clients = [Customer(i, servers[i % len(servers)], *orders[i], sessions[i]) for i in range(clients_count)]
    processes = [psutil.Process(s.popen.pid) for s in servers]
    peak = 0
    started = time.perf_counter()
    task = asyncio.gather(*(c.run(think) for c in clients))
    while not task.done():
        peak = max(peak, sum(p.memory_info().rss for p in processes))
        await asyncio.sleep(0.2)
    await task
    wall = time.perf_counter() - started
    first = [t for c in clients for _, t in c.first_word]
    full = [t for c in clients for _, t in c.full_reply]
    plain_first = [t for c in clients for turn, t in c.first_word if turn not in TOOL_TURNS]
    overhead = [t - ttft for t in plain_first]
    delivery = await asyncio.to_thread(check_delivery, clients, last)
    return {
        "clients": clients_count, "ack_ms": common.summary_ms([t for c in clients for t in c.ack_times]),
        "first_word_ms": common.summary_ms(first),
        "first_word_no_tool_ms": common.summary_ms(plain_first), "full_reply_ms": common.summary_ms(full),
        "overhead_ms": common.summary_ms(overhead), "turns_per_second": len(full) / wall,
        "errors": sum(len(c.errors) for c in clients), "error_samples": sorted({e for c in clients for e in c.errors})[:10],
        **delivery, "peak_rss_mb": peak / 2**20, "wall_seconds": wall,
    }


async def idle_memory(server: common.Process, count: int) -> dict:
    process = psutil.Process(server.popen.pid)
    sessions = await asyncio.to_thread(browser_sessions, count)
    await asyncio.sleep(1)
    before = process.memory_info().rss
    sockets = []
    for start in range(0, count, 50):
        batch = await asyncio.gather(*(websockets.connect(f"ws://127.0.0.1:{server.port}/ws/chat/",
                                                          additional_headers=headers(server, key), open_timeout=60)
                                       for key in sessions[start:start + 50]))
        sockets += batch
    await asyncio.gather(*(s.recv() for s in sockets))  # each got its state frame: fully connected
    await asyncio.sleep(2)
    after = process.memory_info().rss
    await asyncio.gather(*(s.close() for s in sockets))
    return {"idle_connections": count, "rss_before_mb": before / 2**20, "rss_after_mb": after / 2**20,
            "kb_per_idle_connection": (after - before) / count / 1024}


def run_config(database: str, processes: int, clients: list[int], args) -> list[dict]:
    common.raise_file_limit()
    redis = common.REDIS_BENCH_URL if database == "postgres" else None
    url = common.fresh_database(database)
    common.setup_django(url, REDIS_URL=None)
    common.migrate_and_seed()
    fake = common.start_fake_model(ttft=args.ttft, tps=args.tps)
    servers = [common.start_daphne(url, fake.url, redis_url=redis, name=f"daphne{i}") for i in range(processes)]
    results = []
    try:
        for count in clients:
            result = asyncio.run(run_load(servers, count, args.ttft, args.think))
            result.update(database=database + (" + redis" if redis else ""), processes=processes)
            results.append(result)
            print(f"  {result['database']}, {processes} process(es), N={count}: done in "
                  f"{result['wall_seconds']:.1f} s", flush=True)
        if args.idle and processes == 1:
            # On a fresh server: after the load runs, freed memory would be reused and hide the cost per socket.
            servers[0].stop()
            servers[0] = common.start_daphne(url, fake.url, redis_url=redis, name="daphne-idle")
            try:
                results[-1]["idle"] = asyncio.run(idle_memory(servers[0], args.idle))
            except Exception as error:  # report it, keep the load results
                results[-1]["idle"] = {"error": f"{type(error).__name__}: {error}", "idle_connections": args.idle,
                                       "kb_per_idle_connection": None, "rss_before_mb": 0, "rss_after_mb": 0}
    finally:
        for server in servers:
            server.stop()
        fake.stop()
    return results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--databases", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    parser.add_argument("--two-processes", action="store_true", help="Also 2 daphne processes behind Redis.")
    parser.add_argument("--ttft", type=float, default=0.5)
    parser.add_argument("--tps", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.2,
                        help="Seconds a customer waits between turns (from 1 s up, each wait is drawn between half "
                             "and one and a half times this, and arrivals spread over one think time).")
    parser.add_argument("--idle", type=int, default=0, help="Also measure RSS per idle connection with this many.")
    args = parser.parse_args(argv)
    random.seed(7)
    configs = [(db, 1) for db in args.databases]
    if args.two_processes:
        configs.append(("postgres", 2))
    results = []
    for database, processes in configs:
        # Each configuration in its own process: Django is set up once per process, against one database.
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            results += pool.submit(run_config, database, processes, args.clients, args).result()
        common.write_json("chat_load", {"ttft": args.ttft, "tps": args.tps, "results": results})  # kept if a later one fails
    rows = [[r["database"], r["processes"], r["clients"], r["ack_ms"]["p50"], r["first_word_ms"]["p50"], r["first_word_ms"]["p95"],
             r["first_word_no_tool_ms"]["p50"], r["overhead_ms"]["p50"], r["overhead_ms"]["p99"],
             r["full_reply_ms"]["p50"], r["full_reply_ms"]["p95"], r["full_reply_ms"]["p99"],
             r["turns_per_second"], r["errors"], r.get("unfinished", 0), r["lost"], r["duplicated"], r["peak_rss_mb"]] for r in results]
    common.print_table(
        f"Chat load (fake model: time to first token {args.ttft * 1000:.0f} ms, {args.tps:.0f} tokens/s) — "
        f"{common.machine()}",
        ["database", "procs", "N", "ack p50", "1st word p50", "p95", "1st word (no tool) p50", "overhead p50", "overhead p99",
         "full p50", "full p95", "full p99", "turns/s", "errors", "unfinished", "lost", "dup", "peak RSS MB"], rows)
    for r in results:
        if "idle" in r and not r["idle"].get("error"):
            idle = r["idle"]
            print(f"  idle: {idle['idle_connections']} connections, {idle['kb_per_idle_connection']:.0f} KB each "
                  f"(RSS {idle['rss_before_mb']:.0f} → {idle['rss_after_mb']:.0f} MB)")
    common.write_json("chat_load", {"ttft": args.ttft, "tps": args.tps, "results": results})
    return {"results": results}


if __name__ == "__main__":
    main()
