"""The KPI dashboard's queries over many conversations (default 100,000), and the whole page as a manager sees it.

Builds the conversations (with four messages each and a sample of refunds) in a dedicated bench database, then
times analytics.metrics.compute_kpis, daily_series and the /admin/kpis/ page over 30 days.

    python -m bench.kpi_queries --conversations 100000 --database postgres
"""

import argparse
import random
import time
from contextlib import contextmanager
from datetime import timedelta

from bench import common


@contextmanager
def timestamps_as_given(model, *names):
    """bulk_create stores these fields as built: auto_now_add would otherwise stamp every row with the current
    time (all the conversations on one day, and resolution times negative)."""
    fields = [model._meta.get_field(name) for name in names]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def build(count: int) -> None:
    from django.utils import timezone

    from conversations.models import Conversation, Message
    from orders.models import Customer

    rng = random.Random(3)
    customers = list(Customer.objects.all())
    now = timezone.now()
    for start in range(0, count, 5000):
        conversations = []
        for n in range(start, min(count, start + 5000)):
            started = now - timedelta(days=rng.uniform(0, 30))
            escalated = rng.random() < 0.15
            closed = rng.random() < 0.95
            closed_at = started + timedelta(seconds=rng.uniform(40, 400)) if closed else None
            conversations.append(Conversation(
                customer=customers[n % len(customers)] if rng.random() < 0.6 else None,
                verified_email="" if rng.random() < 0.5 else f"guest{n}@example.com",
                status="closed" if closed else "bot", language=rng.choice(["en", "en", "fr"]),
                started_at=started, last_activity_at=closed_at or started,
                first_response_at=started + timedelta(seconds=rng.uniform(1, 5)),
                escalated_at=started + timedelta(seconds=30) if escalated else None,
                agent_joined_at=started + timedelta(seconds=90) if escalated and rng.random() < 0.8 else None,
                closed_at=closed_at,
                outcome=("resolved_by_agent" if escalated else "resolved_by_assistant") if closed else "",
                csat_score=rng.choice([None, 3, 4, 5, 5]) if closed else None, backend="claude"))
        with timestamps_as_given(Conversation, "started_at", "last_activity_at"):
            Conversation.objects.bulk_create(conversations, batch_size=5000)
        messages = []
        for conversation in conversations:
            for seq, role in enumerate(["customer", "assistant", "tool", "assistant"], 1):
                messages.append(Message(conversation=conversation, seq=seq, role=role,
                                        text="" if role == "tool" else "text", model="claude-sonnet-5-5",
                                        input_tokens=300, output_tokens=60, cache_read_tokens=1500,
                                        tool_calls=1 if role == "tool" else 0,
                                        tool_errors=1 if role == "tool" and rng.random() < 0.05 else 0))
        Message.objects.bulk_create(messages, batch_size=10000)


def timed(function, rounds: int) -> dict:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return common.summary_ms(timings) | {"max": max(timings) * 1000}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    common.setup_django(common.fresh_database(args.database), REDIS_URL=None)
    common.migrate_and_seed()
    started = time.perf_counter()
    build(args.conversations)
    built = time.perf_counter() - started
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from analytics import metrics

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    first, last = timezone.localdate() - timedelta(days=29), timezone.localdate()
    start, end = metrics.day_range(first, last)
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    rows = {
        "compute_kpis": timed(lambda: metrics.compute_kpis(start, end), args.rounds),
        "daily_series": timed(lambda: metrics.daily_series(start, end), args.rounds),
        "dashboard page": timed(lambda: client.get("/admin/kpis/"), args.rounds),
    }
    assert client.get("/admin/kpis/").status_code == 200
    common.print_table(
        f"KPI dashboard over {args.conversations:,} conversations on {args.database} (built in {built:.0f} s) — "
        f"{common.machine()}", ["query", "p50 ms", "max ms", "runs"],
        [[name, r["p50"], r["max"], r["n"]] for name, r in rows.items()])
    common.write_json("kpi_queries", {"conversations": args.conversations, "database": args.database, "rows": rows})
    return rows


if __name__ == "__main__":
    main()
