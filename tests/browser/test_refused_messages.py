"""A message the server refuses leaves the widget's outbox and shows why; a rate-limited one is sent again later."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.live import start_daphne, stop_daphne

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def strict_daphne(django_db_setup, django_db_blocker):
    """A server with small limits, so a browser can reach them: 40 characters, 2 messages per 2 seconds."""
    server = start_daphne({"CHAT_MAX_MESSAGE_CHARS": "40", "CHAT_RATE_LIMIT_MESSAGES": "2",
                           "CHAT_RATE_LIMIT_WINDOW_SECONDS": "2"}, name="daphne-strict")
    yield server
    stop_daphne(server)


def send(page, text):
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def outbox(page) -> list:
    return json.loads(page.evaluate("sessionStorage.getItem('helpdesk.chat.outbox') || '[]'"))


def ignore_the_limit_in_the_page(page):
    """The widget keeps an over-limit text from being sent; a page that does not know the server's limit (an older
    page, a server configured since) sends it, and the server refuses it."""
    page.evaluate("document.getElementById('chat').dataset.maxChars = '100000'")


def sent_messages(page) -> list[dict]:
    frames = [json.loads(payload) for _, direction, payload in page.ws_frames if direction == ">"]
    return [frame for frame in frames if frame.get("type") == "message"]


def test_a_too_long_message_leaves_the_outbox_shows_why_and_is_not_sent_again_on_reload(strict_daphne, new_page):
    page = new_page()
    page.goto(f"{strict_daphne.url}/chat/")
    expect(page.locator("#chat [data-role=send]")).to_be_disabled()
    page.wait_for_function("document.querySelector('#chat [data-role=end]') !== null")
    ignore_the_limit_in_the_page(page)
    send(page, "Hello, this message is much longer than forty characters.")
    refused = page.locator("#chat .msg.customer.refused")
    expect(refused).to_have_count(1)
    expect(refused.locator(".refusal")).to_contain_text("too long")
    expect(page.locator("#chat .msg.customer.pending")).to_have_count(0)
    assert outbox(page) == []

    page.reload()
    send(page, "Short one")
    expect(page.locator("#chat .msg.assistant:not(.intro):not(.streaming)")).to_have_count(1)
    assert [frame["text"] for frame in sent_messages(page)][-1] == "Short one"
    assert not [frame for frame in sent_messages(page)[1:] if "forty" in frame["text"]]  # not re-sent on reload
    assert page.errors == []


def test_a_message_the_server_finds_too_long_comes_back_to_the_box_to_be_shortened(strict_daphne, new_page):
    page = new_page()
    page.goto(f"{strict_daphne.url}/chat/")
    page.wait_for_function("document.querySelector('#chat [data-role=end]') !== null")
    ignore_the_limit_in_the_page(page)
    text = "Hello, this message is much longer than forty characters."
    send(page, text)
    expect(page.locator("#chat .msg.customer.refused")).to_have_count(1)
    expect(page.locator("#chat-input")).to_have_value(text)
    assert page.errors == []


def test_a_rate_limited_message_stays_in_the_outbox_and_goes_once_the_window_allows(strict_daphne, new_page):
    page = new_page()
    page.goto(f"{strict_daphne.url}/chat/")
    page.wait_for_function("document.querySelector('#chat [data-role=end]') !== null")
    page.wait_for_timeout(300)  # connected
    for text in ("one", "two", "three"):
        send(page, text)
    third = page.locator("#chat .msg.customer", has_text="three")
    expect(page.locator("#chat .msg.error")).to_contain_text("too fast")
    assert [item["text"] for item in outbox(page)] == ["three"]
    # Sent again after retry_after seconds, then acknowledged and stored.
    expect(third).to_have_class(re.compile(r"\bwaiting\b"))
    expect(third).to_have_attribute("data-seq", re.compile(r"^\d+$"), timeout=10_000)
    expect(third).not_to_have_class(re.compile(r"\b(pending|waiting|refused)\b"))
    assert outbox(page) == []
    assert [frame["text"] for frame in sent_messages(page)].count("three") == 2
    from conversations.models import Message

    assert Message.objects.filter(role="customer", text="three").count() == 1
    assert page.errors == []


def wait_for_the_state_frame(page, held: list[str], timeout_ms: int = 5000):
    """The button is enabled on the socket's open; the server's state frame reaches the relay a moment later, and the
    relay's callbacks only run while the page is being driven, so wait through the page rather than assert at once."""
    for _ in range(timeout_ms // 50):
        if held:
            return
        page.wait_for_timeout(50)
    assert held, "the server never sent its state frame"


def test_a_message_sent_before_the_state_frame_goes_once_on_that_connection(strict_daphne, new_page):
    """The send button works as soon as the socket is open; the state frame that follows flushes the outbox, and must
    not send again what this connection already carried (a refusal would otherwise come back twice)."""
    page = new_page()
    held: list[str] = []

    def relay(ws):
        server = ws.connect_to_server()
        client_sent = {"any": False}

        def from_server(message):
            if client_sent["any"]:
                ws.send(message)
            else:
                held.append(message)  # the state frame waits until the page has sent its message

        def from_page(message):
            server.send(message)
            if not client_sent["any"]:
                client_sent["any"] = True
                for frame in held:
                    ws.send(frame)
                held.clear()

        server.on_message(from_server)
        ws.on_message(from_page)

    page.route_web_socket(re.compile(r"/ws/chat/"), relay)
    page.goto(f"{strict_daphne.url}/chat/")
    ignore_the_limit_in_the_page(page)
    page.fill("#chat-input", "Hello, this message is much longer than forty characters.")
    expect(page.locator("#chat [data-role=send]")).to_be_enabled()  # open, and no state frame yet
    wait_for_the_state_frame(page, held)
    page.keyboard.press("Enter")
    expect(page.locator("#chat .msg.customer.refused")).to_have_count(1)
    page.wait_for_timeout(300)  # anything the flush would have sent has gone by now
    assert len([frame for frame in sent_messages(page) if "forty" in frame["text"]]) == 1
    assert len(page.locator("#chat .msg.error, #chat .refusal").all()) == 1
    assert page.errors == []
