"""The production stack of deploy/ as users run it: nginx in front of two daphne processes under supervisor, on
PostgreSQL and a Redis of the test's own (so it can be stopped), Claude through the real SDK against the fake
Messages API. Everything goes through nginx: a conversation with a tool call, an agent taking over from another
session, a SIGTERM of the process holding the customer's socket in the middle of a turn (the answer arrives once,
nothing is lost), and /readyz following Redis going away and coming back."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings

from assistant.models import ToolCall
from conversations.models import Conversation, Message
from tests.chat.wsclient import session_cookie_for
from tests.conftest import require_service
from tests.factories import AgentFactory
from tests.fakes.messages_api import FakeMessagesAPI, Reply, text, tool_use
from tests.fakes.small_model import answer_small_model_calls
from tests.live import ARTIFACTS, database_url_for_tests, free_port
from tests.multiprocess.conftest import require_postgres_and_redis

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
METRICS_TOKEN = "stack-metrics-token"
LONG_ANSWER = ("Your parcel left our warehouse yesterday and is on its way with the carrier; it should reach you "
               "within two business days, and you will get an email with the tracking link as soon as it moves. ") * 2


class Redis:
    """A redis-server of this test's own, on a free port, that the test may stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), 10, "redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Stack:
    def __init__(self, port: int, runtime: Path, process: subprocess.Popen):
        self.port, self.runtime, self.process = port, runtime, process
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str, **headers) -> tuple[int, dict, bytes]:
        """(status, headers, body); status 0 when nothing answered in time (a process still starting)."""
        try:
            request = urllib.request.Request(self.url + path, headers=headers)
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0, {}, b""

    def supervisorctl(self, *args: str) -> str:
        done = subprocess.run([str(Path(sys.executable).with_name("supervisorctl")), "-c",
                               str(self.runtime / "supervisord.conf"), *args], capture_output=True, text=True)
        return done.stdout

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted((self.runtime / "log").glob("*.log")))

    async def socket(self, path: str, session_key: str):
        return await websockets.connect(f"ws://127.0.0.1:{self.port}{path}", additional_headers=[
            ("Cookie", f"sessionid={session_key}"), ("Origin", self.url)])


def port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(message)


@pytest.fixture(scope="module")
def fake_model():
    with FakeMessagesAPI.running_in_thread(min_cacheable_tokens=0) as api:
        answer_small_model_calls(api)
        yield api


@pytest.fixture(scope="module")
def redis():
    require_service(Path(REDIS_SERVER).exists(), "redis-server is not installed")
    server = Redis()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture(scope="module")
def stack(django_db_setup, redis, fake_model, tmp_path_factory):
    """`python deploy/stack.py`, as `make production` runs it; one for the module (it takes seconds to start)."""
    require_postgres_and_redis()
    require_service(Path(NGINX).exists(), "nginx is not installed (make deploy-deps)")
    tmp_path = tmp_path_factory.mktemp("stack")
    port, runtime = free_port(), tmp_path / "production"
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "PUBLIC_URL")}
    env.update({
        "PORT": str(port), "WEB_PORT": str(free_port()), "WEB_PROCESSES": "2", "RUNTIME_DIR": str(runtime),
        "DATABASE_URL": database_url_for_tests(), "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions the test signs are read by the stack's processes
        "EMAIL_URL": f"filemail://{tmp_path / 'mail'}", "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": fake_model.base_url, "ANTHROPIC_MAX_RETRIES": "0", "SHUTDOWN_DRAIN_SECONDS": "20",
        "METRICS_TOKEN": METRICS_TOKEN,
    })
    ARTIFACTS.mkdir(exist_ok=True)
    out = (ARTIFACTS / "stack.log").open("w")
    process = subprocess.Popen([sys.executable, "deploy/stack.py"], cwd=ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    running = Stack(port, runtime, process)

    def ready_or_exited():
        return process.poll() is not None or (port_open(port) and running.get("/readyz")[0] == 200)

    try:
        wait_until(ready_or_exited, 60, "the stack did not become ready")
        assert process.poll() is None, (ARTIFACTS / "stack.log").read_text()[-3000:]
        yield running
    finally:
        process.send_signal(signal.SIGTERM)  # supervisord stops nginx and drains the daphne processes
        try:
            process.wait(45)
        except subprocess.TimeoutExpired:
            process.kill()
        (ARTIFACTS / "stack-logs.txt").write_text(running.logs() if runtime.exists() else "")


async def frames_until(socket, frame_type: str, timeout: float = 15.0, **match) -> tuple[dict, list[dict]]:
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), max(0.01, deadline - time.monotonic())))
        seen.append(frame)
        if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return frame, seen


async def frames_until_closed(socket, timeout: float = 30.0) -> tuple[list[dict], int | None]:
    seen = []
    try:
        while True:
            seen.append(json.loads(await asyncio.wait_for(socket.recv(), timeout)))
    except websockets.ConnectionClosed as closed:
        return seen, closed.rcvd.code if closed.rcvd else None


async def test_a_conversation_with_a_tool_call_and_an_agent_taking_over_through_nginx(stack, fake_model):
    fake_model.enqueue(Reply([text("Let me check our delivery times."),
                              tool_use("search_faq", {"query": "standard shipping time"})]),
                       Reply([text("Standard shipping takes 3 to 5 business days.")]))
    session = await session_cookie_for()
    customer = await stack.socket("/ws/chat/", session)
    await frames_until(customer, "state")
    await customer.send(json.dumps({"type": "message", "text": "How long does shipping take?", "client_id": "m1"}))
    await _answer_containing(customer, "3 to 5 business days")
    conversation = await Conversation.objects.aget()
    assert await ToolCall.objects.filter(name="search_faq").acount() == 1

    sam = await sync_to_async(AgentFactory)(username="sam-stack", first_name="Sam")
    agent = await stack.socket(f"/ws/agent/{conversation.pk}/", await session_cookie_for(sam))
    await frames_until(agent, "state")
    await agent.send(json.dumps({"type": "take_over"}))
    joined, _ = await frames_until(customer, "agent.joined")
    assert joined["name"] == "Sam"
    await agent.send(json.dumps({"type": "message", "text": "Hi, Sam here. Anything else?", "client_id": "a1"}))
    said, _ = await frames_until(customer, "agent.message")
    assert "Sam here" in said["html"]
    assert (await Conversation.objects.aget()).status == Conversation.Status.AGENT
    await customer.close()
    await agent.close()

    status, headers, body = stack.get("/static/js/chat.js")
    assert status == 200 and headers.get("Server", "").startswith("nginx") and b"HelpdeskSocket" in body

    # Whichever process answers the scrape counts the turns of both (PROMETHEUS_MULTIPROC_DIR).
    assert stack.get("/metrics")[0] == 403
    status, _, body = stack.get("/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
    assert status == 200
    turns = [line for line in body.decode().splitlines()
             if line.startswith('helpdesk_turns_total{backend="claude",outcome="answered"}')]
    assert turns and float(turns[0].split()[-1]) >= 1
    assert "helpdesk_tokens_total" in body.decode() and "helpdesk_queue_waiting_chats" in body.decode()


async def _answer_containing(socket, words: str) -> tuple[dict, list]:
    seen = []
    while True:
        frame, more = await frames_until(socket, "assistant.message")
        seen += more
        if words in frame["html"]:
            return frame, seen


async def test_a_sigterm_mid_turn_delivers_the_answer_once_and_loses_nothing(stack, fake_model):
    fake_model.enqueue(Reply([text(LONG_ANSWER)], tokens_per_second=40))
    session = await session_cookie_for()
    customer = await stack.socket("/ws/chat/", session)
    await frames_until(customer, "state")
    await customer.send(json.dumps({"type": "message", "text": "Where is my parcel?", "client_id": "p1"}))
    ack, _ = await frames_until(customer, "ack", client_id="p1")
    await frames_until(customer, "assistant.delta")
    owner = (await Conversation.objects.aget()).turn_lease_owner
    pid = int(owner.split(":")[1])
    os.kill(pid, signal.SIGTERM)  # the process holding this socket, in the middle of the answer

    before_close, code = await frames_until_closed(customer)
    assert code == 4012, f"closed with {code}"
    messages = [frame for frame in before_close if frame["type"] == "assistant.message"]
    last_seq = max([ack["seq"], *(frame["seq"] for frame in messages)])

    back = await stack.socket("/ws/chat/", session)  # the widget reconnects at once, through nginx
    await frames_until(back, "state")
    await back.send(json.dumps({"type": "resume", "last_seq": last_seq}))
    replayed = []

    async def read():
        async for raw in back:
            replayed.append(json.loads(raw))

    reader = asyncio.create_task(read())
    await asyncio.sleep(2.0)  # room for anything that would come twice
    assert not reader.done(), "the new socket was closed"
    reader.cancel()
    answers = [frame for frame in before_close + replayed if frame["type"] == "assistant.message"]
    assert len(answers) == 1, answers
    assert "two business days" in answers[0]["html"]
    conversation = await Conversation.objects.aget()
    stored = [m async for m in Message.objects.filter(conversation=conversation).order_by("seq")]
    assert [m.role for m in stored] == ["customer", "assistant"]
    assert stored[1].text == LONG_ANSWER.strip()
    assert conversation.answered_through_seq == ack["seq"] and conversation.turn_lease_owner == ""
    await back.close()
    # supervisor starts the drained process again
    wait_until(lambda: stack.supervisorctl("status").count("RUNNING") == 3, 20, stack.supervisorctl("status"))


def test_readyz_goes_unready_when_redis_stops_and_ready_when_it_returns(stack, redis):
    status, _, body = stack.get("/readyz")
    assert status == 200, body
    redis.stop()

    def unready():
        status, _, body = stack.get("/readyz")
        return json.loads(body) if status == 503 else None

    try:
        body = wait_until(unready, 15, "/readyz stayed ready with Redis stopped")
        assert body["checks"]["channel_layer"] != "ok" and body["checks"]["database"] == "ok"
    finally:
        redis.start()
    wait_until(lambda: stack.get("/readyz")[0] == 200, 20, "/readyz did not come back with Redis")
    assert "readyz" not in (stack.runtime / "log" / "nginx-access.log").read_text()
