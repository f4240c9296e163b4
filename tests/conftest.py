"""Shared fixtures. Service-dependent tests skip with a reason when the service is absent, except under CI=1."""

import json
import os

import pytest
from django.conf import settings
from django.db import connection

from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.small_model import answer_small_model_calls

# Proper password hashing takes about a second per password by design; tests create many. The daphne processes
# that tests start inherit the variable and so accept the same hashes.
os.environ["FAST_PASSWORD_HASHING"] = "1"
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The offline assistant answers at once in tests (pacing is for people watching): in this process and in the daphne
# processes that tests start, which inherit the variable. A test that watches an answer grow opts in.
os.environ["OFFLINE_WORDS_PER_SECOND"] = "0"
settings.OFFLINE_WORDS_PER_SECOND = 0.0

# No PostgreSQL connection pool in the test process: every async test has its own event loop, whose executor threads
# end with the test while still holding their connection, and a pool would run dry. (The daphne processes that tests
# start are long-lived like production ones, and keep the pool.)
settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)

# Emails are sent in the thread that commits (pytest-django's locmem backend collects them in mail.outbox), so a
# test sees them as soon as its on_commit callbacks ran. The daphne processes that tests start send them from the
# outbox's worker thread, as production does.
settings.OUTBOX_SEND_IN_BACKGROUND = False


def _own_redis_database_per_worker() -> None:
    """Under pytest-xdist (`make test` runs the suite on two workers), each worker gets its own Redis database
    number, in this process's channel layer (whose prefix carries it) and in the daphne processes its tests start
    (which read REDIS_URL): a test listening on a group never hears the other worker's tests. (Each worker already
    has its own test database: pytest-django suffixes its name.)"""
    from urllib.parse import urlsplit, urlunsplit

    worker, url = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("REDIS_URL", "")
    if not worker.startswith("gw") or not url:
        return
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + 1 + int(worker.removeprefix("gw"))
    from helpdesk.settings import channel_layers

    os.environ["REDIS_URL"] = url = urlunsplit(parts._replace(path=f"/{number}"))
    settings.CHANNEL_LAYERS = channel_layers(url)


_own_redis_database_per_worker()


def require_service(available: bool, reason: str) -> None:
    """Skip with `reason` when a service is missing; under CI it must be there, so fail instead."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI requires it: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (set DATABASE_URL=postgres://…)")
    return connection


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and "postgres" not in getattr(item, "fixturenames", ()):
            item.fixturenames.append("postgres")


@pytest.fixture
def demo_store(db):
    """The demo store (staff, customers, orders with their anchors, FAQ), built as `manage.py seed_demo` does."""
    from storefront.demo.store import DemoStore

    DemoStore().build()


@pytest.fixture
def emma(demo_store):
    from orders.models import Customer

    return Customer.objects.select_related("user").get(email="emma.martin@example.com")


@pytest.fixture
def agent_on_duty():
    """A support agent who is available (no AgentAvailability row): with business hours "always", a hand-off now
    waits for a person in the chat. Without one, nobody can take it and it becomes a follow-up by email."""
    from tests.factories import AgentFactory

    return AgentFactory(username="on-duty", first_name="Dana")


@pytest.fixture
def after_hours(settings):
    """Business hours that are closed now (one hour, three days from today, in Europe/Paris), whoever is available.
    Returns when they next open."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tickets import hours

    today = timezone.now().astimezone(ZoneInfo("Europe/Paris")).weekday()
    settings.BUSINESS_HOURS = f"{hours.DAYS[(today + 3) % 7]} 09:00-10:00"
    settings.BUSINESS_TIMEZONE = "Europe/Paris"
    return hours.next_opening()


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new channel layer per test: channels-redis binds its locks to the event loop that first used them, and
    every async test has its own loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, end the sessions still open on the test database before it is dropped.

    Threads of the async tests (asgiref's executors) and stopped daphne servers can leave connections behind,
    and PostgreSQL refuses to drop a database that has sessions.
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


# --- the fake Messages API ----------------------------------------------------------------------------------------
MILDLY_FRUSTRATED = ('{"score": -0.2, "abusive": false, "wants_human": false, "threat": false, '
                     '"reason": "mild frustration"}')
EMMAS_REFUND = "Emma's headphones (order ORD-78432) were refunded 89.99 USD."


@pytest.fixture
def small_model_answers() -> dict | None:
    """What `fake_api` answers the small model's calls with (sentiment, summaries), whatever the main script says:
    keyword arguments of `answer_small_model_calls`, or None to leave those calls to the test's own script. A folder
    or a module that needs other answers overrides this fixture."""
    return {"sentiment": MILDLY_FRUSTRATED, "summary": EMMAS_REFUND}


def _answering_the_small_model(api: FakeMessagesAPI, answers: dict | None) -> FakeMessagesAPI:
    if answers is not None:
        answer_small_model_calls(api, **answers)
    return api


@pytest.fixture
async def fake_api(small_model_answers):
    """The fake Messages API on 127.0.0.1 (a free port), on the test's event loop, stopped after the test. Each test
    scripts the main model's replies (enqueue, route, responder); the small model's calls get `small_model_answers`."""
    async with FakeMessagesAPI(min_cacheable_tokens=0) as api:
        yield _answering_the_small_model(api, small_model_answers)


@pytest.fixture
def fake_api_in_thread(small_model_answers):
    """The same fake on its own event loop in a thread of the test process, for callers that do not run the test's
    loop: daphne processes and evaluation workers, which reach it over loopback, and sync tests."""
    with FakeMessagesAPI.running_in_thread(min_cacheable_tokens=0) as api:
        yield _answering_the_small_model(api, small_model_answers)


def claude_backend(fake_api: FakeMessagesAPI, **kwargs):
    """The Claude backend through the real SDK against `fake_api` (always with an explicit key: the SDK would look
    for credentials on disk); 2 retries and a 5 s timeout unless `kwargs` say otherwise."""
    from assistant.llm.claude import ClaudeBackend

    return ClaudeBackend(api_key="test-key", base_url=fake_api.base_url, **{"max_retries": 2, "timeout": 5.0, **kwargs})


def claude_settings(fake_api: FakeMessagesAPI) -> dict:
    """The settings (also read from the environment, for other processes) under which the app picks its own Claude
    backend and points it at `fake_api`, without retries."""
    return {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_api.base_url, "ANTHROPIC_MAX_RETRIES": 0}


def main_model_requests(fake_api: FakeMessagesAPI) -> list:
    """The requests of the main model (the ones that offer tools), oldest first; the small model's are left out."""
    return [r for r in fake_api.requests if r.path == "/v1/messages" and r.body and "tools" in r.body]


def last_tool_results(fake_api: FakeMessagesAPI) -> list[dict]:
    """The tool_result blocks the model received in the latest main request, each with its content parsed."""
    content = main_model_requests(fake_api)[-1].body["messages"][-1]["content"]
    return [dict(block, content=json.loads(block["content"])) for block in content if block["type"] == "tool_result"]
