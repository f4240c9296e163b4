"""Real-browser tests: Debian's Chromium driven by Playwright against a live daphne server started here.

The server is a separate daphne process on a free port, wired to the test database (the tests commit their data
with transactional_db, so daphne sees it). Screenshots go to test-artifacts/.

Playwright's sync API runs an event loop in the test's thread, which makes Django refuse ORM calls there; these
tests only read and write test data around the browser, so they allow it. That is why `make test` runs this folder
in its own pytest process: the permission never reaches the other tests.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.live import ARTIFACTS, start_daphne, stop_daphne

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]


KEPT_BY_FLUSHES = {"django_content_type", "auth_permission"}


@pytest.fixture(scope="session", autouse=True)
def flushes_keep_content_types():
    """The flush between transactional tests keeps content types and permissions (static rows made by the
    migrations). Otherwise it recreates them under new ids (SQLite's AUTOINCREMENT, PostgreSQL's sequences go on),
    and a live server that cached the old ids writes admin log entries that point nowhere: "FOREIGN KEY constraint
    failed" on the second admin form a session saves."""
    from django.core.management.commands import flush

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        tables = [table for table in connection.introspection.django_table_names(only_existing=True,
                                                                                 include_views=False)
                  if table not in KEPT_BY_FLUSHES]
        return connection.ops.sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush, "sql_flush", sql_flush)
        yield


@pytest.fixture(scope="session")
def live_daphne(django_db_setup, django_db_blocker):
    server = start_daphne()
    yield server
    stop_daphne(server)


@pytest.fixture(scope="session")
def browser():
    require_service(Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
                    "Chromium is not installed (apt-get install chromium); `make test` installs it as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture
def new_page(browser, request):
    """Pages that record their websocket frames; when the test fails, frames and a screenshot go to the log."""
    contexts, pages = [], []

    def make(locale="en-US"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # Console errors include Content-Security-Policy violations: the pages must work under our CSP.
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.ws_frames = []
        page.on("websocket", lambda ws: _record_frames(ws, page.ws_frames))
        pages.append(page)
        return page

    yield make
    if getattr(request.node, "call_failed", False):
        for number, page in enumerate(pages):
            _dump_failed_page(page, f"FAILED-{request.node.name}-{number}")
        if "live_daphne" in request.fixturenames:
            print("--- daphne log (tail) ---\n" + request.getfixturevalue("live_daphne").log())
    for context in contexts:
        context.close()
    if "live_daphne" in request.fixturenames:
        _wait_until_the_server_is_idle()


def _wait_until_the_server_is_idle(patience: float = 15.0) -> None:
    """Let the live server finish what the test started (a turn holds its lease until its answer is stored; a due
    email is being sent) before the test database is flushed: a TRUNCATE racing the server's writes deadlocks on
    PostgreSQL. A turn owned by a conversation goes on after its page is closed, by design."""
    from django.db.models import Q
    from django.utils import timezone

    from conversations.models import Conversation
    from helpdesk.models import OutboundEmail

    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        now = timezone.now()
        busy = (Conversation.objects.filter(turn_lease_until__gt=now).exclude(turn_lease_owner="").exists()
                or OutboundEmail.objects.filter(Q(status=OutboundEmail.Status.SENDING)
                                                | Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now))
                .exists())
        if not busy:
            return
        time.sleep(0.05)


def _record_frames(ws, frames: list) -> None:
    started = time.monotonic()
    ws.on("framesent", lambda payload: frames.append((round(time.monotonic() - started, 3), ">", payload)))
    ws.on("framereceived", lambda payload: frames.append((round(time.monotonic() - started, 3), "<", payload)))
    ws.on("close", lambda _: frames.append((round(time.monotonic() - started, 3), "closed", "")))


def _dump_failed_page(page, name: str) -> None:
    """What a failed browser test saw, printed (CI keeps the output) and saved next to the screenshots."""
    lines = [f"{at:7.3f} {direction} {str(payload)[:300]}" for at, direction, payload in page.ws_frames]
    print(f"\n--- websocket frames of {name} ---\n" + "\n".join(lines) + "\n--- page errors ---\n"
          + "\n".join(page.errors))
    try:
        screenshot(page, name)
    except Exception as error:  # the page may be gone; the frames are the main evidence
        print(f"no screenshot: {error}")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login_customer(page, base_url, email, password="demo"):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def login_admin(page, base_url, username, password):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


@pytest.fixture(autouse=True)
def _browser_marker(request):
    if "browser" not in request.keywords:
        pytest.fail("tests in tests/browser must be marked @pytest.mark.browser")

