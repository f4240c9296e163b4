"""Shared plumbing of the benchmarks: a dedicated bench database, Django set up against it, the fake model in its
own process, daphne processes, percentiles, tables and JSON results.

A benchmark never touches the development database: SQLite benches use a temporary file, PostgreSQL ones the
database `helpdesk_bench` (or $BENCH_PG_DATABASE, so that parallel runs do not drop each other's), created and
dropped here.
"""

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_NAME = os.environ.get("BENCH_PG_DATABASE", "helpdesk_bench")
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_NAME}"
REDIS_BENCH_URL = "redis://127.0.0.1:6379/7"


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load:.2f}"


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values_seconds: list[float]) -> dict:
    ms = [v * 1000 for v in values_seconds]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "mean": statistics.fmean(ms) if ms else None, "n": len(ms)}


def fmt(value, digits=1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(title: str, headers: list[str], rows: list[list]) -> str:
    widths = [max(len(str(h)), *(len(fmt(r[i])) for r in rows)) for i, h in enumerate(headers)] if rows else \
        [len(h) for h in headers]
    lines = [f"\n{title}", "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(fmt(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def write_json(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), "at": time.strftime("%Y-%m-%d %H:%M"), **data}, indent=2,
                               default=str))
    return path


def free_port() -> int:
    """A port nothing listens on: the system's pick, or the first free one of $BENCH_PORTS ("8710-8729"), for a
    machine where each run keeps to its own ports."""
    first, _, last = os.environ.get("BENCH_PORTS", "").partition("-")
    for port in range(int(first), int(last or first) + 1) if first else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


# --- the bench database --------------------------------------------------------------------------------------------
def fresh_database(kind: str, name: str = PG_BENCH_NAME) -> str:
    """A new empty database of `kind` (sqlite or postgres) for this benchmark run; returns its URL. `name` is the
    PostgreSQL database's (letters, digits and underscores), dropped first if it exists."""
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="helpdesk-bench-")) / "bench.sqlite3"
        return f"sqlite:///{path}"
    import psycopg

    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a database name: {name!r}")
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return PG_BENCH_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    """Drop a PostgreSQL bench database made by fresh_database (a SQLite file is left in its temporary folder)."""
    if not url.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def setup_django(database_url: str, **env) -> None:
    """Configure Django in this process against the bench database (call before importing models)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ["FAST_PASSWORD_HASHING"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The benchmark's own process runs queries from short-lived threads (asyncio.to_thread under a new event loop
    # per run), which would keep pooled connections after they end: no pool here. The servers keep theirs.
    os.environ["DATABASE_POOL_SIZE"] = "0"
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate_and_seed(conversations: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--conversations", str(conversations), stdout=open(os.devnull, "w"))


# --- processes ---------------------------------------------------------------------------------------------------------
class Process:
    def __init__(self, popen: subprocess.Popen, port: int, log: Path):
        self.popen, self.port, self.log = popen, port, log
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def _wait_for_port(process: subprocess.Popen, port: int, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"nothing listening on {port} after {seconds} s")


def start_fake_model(*, ttft: float, tps: float, min_cacheable_tokens: int = 1024) -> Process:
    """The fake Messages API in its own process, playing the offline assistant's decisions with real timing."""
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"fake-{port}.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "PYTHONPATH": str(ROOT)}
    popen = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.messages_api", "--port", str(port), "--ttft", str(ttft), "--tps",
         str(tps), "--min-cacheable-tokens", str(min_cacheable_tokens), "--responder",
         "bench.fake_model:respond"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    _wait_for_port(popen, port, log)
    fake = Process(popen, port, log)
    _warm_fake_model(fake.url)
    return fake


def _warm_fake_model(url: str) -> None:
    """A few requests shaped like a turn's (system prompt, a tool, streamed) before anything is measured: the real
    API is never cold, and the fake's first answers are slower than the next ones (its first request of each kind
    imports and builds what it needs), which would be charged to the server under test."""
    import anthropic

    client = anthropic.Anthropic(api_key="bench-key", base_url=url, max_retries=0)
    tool = {"name": "search_faq", "description": "Search the FAQ.",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}
    for question in ("Hi", "How long does standard shipping take?", "Thanks!"):
        with client.messages.stream(model="claude-sonnet-5-5", max_tokens=200, system="You are a support assistant.",
                                    tools=[tool], messages=[{"role": "user", "content": question}]) as stream:
            stream.until_done()


def raise_file_limit() -> None:
    """Many sockets need many file descriptors: lift the soft limit to the hard one (in this process)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_daphne(database_url: str, fake_url: str, *, redis_url: str | None = None, name: str = "daphne",
                 root: Path = ROOT, extra_env: dict | None = None, command: list[str] | None = None) -> Process:
    """daphne serving the code of `root` (this tree by default; a benchmark may pass a checkout of another
    revision), with production settings. `command` replaces `[python]` before `-m daphne` (a profiler, say)."""
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"{name}-{port}.log"
    env = {**os.environ, "DATABASE_URL": database_url, "ANTHROPIC_API_KEY": "bench-key",
           "ANTHROPIC_BASE_URL": fake_url, "LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG_LEVEL", "WARNING"),
           # Production settings (DEBUG off: no query log, no debug wrappers), as a support team would run it.
           "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "FAST_PASSWORD_HASHING": "1",
           "CHAT_RATE_LIMIT_MESSAGES": "1000", "CHAT_MAX_TURNS_PER_HOUR": "100000",
           "CHAT_MAX_TOKENS_PER_DAY": "100000000", "LLM_MAX_CONCURRENT_CALLS": "2000"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_POOL_SIZE", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    if fake_url is None:  # the offline assistant
        env.pop("ANTHROPIC_API_KEY")
        env.pop("ANTHROPIC_BASE_URL")
    env.update(extra_env or {})
    env["PYTHONPATH"] = str(root)
    # As deployed (deploy/, make run): `manage.py serve`, which prepares the process before it listens; daphne
    # itself for a revision from before that command.
    if (root / "operations" / "management" / "commands" / "serve.py").exists():
        served = ["manage.py", "serve", "-b", "127.0.0.1", "-p", str(port)]
    else:
        served = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"]
    popen = subprocess.Popen([*(command or [sys.executable]), *served], cwd=root, env=env, stdout=log.open("w"),
                             stderr=subprocess.STDOUT, preexec_fn=raise_file_limit)
    _wait_for_port(popen, port, log)
    return Process(popen, port, log)
