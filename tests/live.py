"""A live daphne server for browser and multi-process tests, wired to the test database."""

import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


# Ports for the servers tests start (daphne, nginx, redis-server): a block of its own for each pytest-xdist worker,
# below the kernel's ephemeral range (32768 and up). A port found free is bound later by another process, seconds
# later for the production stack; asked of the kernel (bind to port 0), the same number could meanwhile go to a
# server of the other worker, which then answered this test's requests (CI, 2026-12-02: nginx "Address already in
# use", its port served by another worker's daphne).
PORTS_PER_WORKER = 2000
FIRST_PORT = 20000
_next_port = None


def free_port() -> int:
    """A port nothing listens on now, from this worker's block; never the same twice in a process."""
    global _next_port
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    block = FIRST_PORT + (int(worker) % 6 if worker.isdigit() else 0) * PORTS_PER_WORKER  # 6 blocks below 32768
    if _next_port is None:
        _next_port = os.getpid() % PORTS_PER_WORKER  # a rerun in a new process starts elsewhere in the block
    for _ in range(PORTS_PER_WORKER):
        port = block + _next_port % PORTS_PER_WORKER
        _next_port += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {block}-{block + PORTS_PER_WORKER - 1}")


def database_url_for_tests() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


class LiveDaphne:
    def __init__(self, port: int, process: subprocess.Popen, log_path: Path, mail_dir: Path):
        self.port = port
        self.process = process
        self.log_path = log_path
        self.mail_dir = mail_dir
        self.url = f"http://127.0.0.1:{port}"

    def emails(self) -> list[EmailMessage]:
        """The emails this server sent (its EMAIL_URL is a filemail:// directory), oldest first, parsed: read
        `message["subject"]`, `message["to"]` and `text_of(message)`."""
        if not self.mail_dir.exists():
            return []
        messages = []
        for path in sorted(self.mail_dir.iterdir(), key=os.path.getmtime):
            # The file backend writes each message followed by a line of 79 dashes.
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if raw.strip():
                    messages.append(email.message_from_bytes(raw.lstrip(b"\n"), policy=email.policy.default))
        return messages

    def wait_for_email(self, predicate, timeout: float = 15.0) -> EmailMessage:
        """The first email matching `predicate`, waiting for the server's outbox worker to send it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((message for message in self.emails() if predicate(message)), None)
            if found is not None:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no such email in {timeout} s; sent: {[m['subject'] for m in self.emails()]}")


    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def text_of(message: EmailMessage) -> str:
    """The plain-text part of an email."""
    return message.get_body(preferencelist=("plain",)).get_content()


def start_daphne(env_overrides: dict | None = None, *, name="daphne", graceful=False) -> LiveDaphne:
    """daphne on a free port, wired to the test database; `graceful`: through `manage.py serve`, as deploy/ runs it
    (SIGTERM drains instead of stopping at once)."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"{name}-{port}.log"
    mail_dir = ARTIFACTS / f"mail-{name}-{port}"
    shutil.rmtree(mail_dir, ignore_errors=True)
    # Emails are written as files (one per message) and their links point at this server.
    env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "DEBUG": "true", "PYTHONUNBUFFERED": "1",
           "EMAIL_URL": f"filemail://{mail_dir}", "PUBLIC_URL": f"http://127.0.0.1:{port}", **(env_overrides or {})}
    command = ([sys.executable, "manage.py", "serve"] if graceful else
               [sys.executable, "-m", "daphne"]) + ["-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        command + ([] if graceful else ["helpdesk.asgi:application"]),
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited: {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return LiveDaphne(port, process, log_path, mail_dir)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("daphne did not start in 30 s")


def stop_daphne(server: LiveDaphne) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
