"""The shared socket (static/js/socket.js) and transcript (static/js/transcript.js) in a real browser: a dropped
socket comes back and replays from the last message seen, a replayed message shows once, a realtime outage is
polled through and its end shown, and a final close code is not retried."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_admin

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Every socket the page opens, with what it sent (">") and received ("<") in order, so that a test can drop one,
# hand it a frame as if the server had sent it, and see what the page had received when it sent something.
RECORD_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.sockets = [];
  class Recorded extends Real {
    constructor(url, protocols) {
      super(url, protocols);
      this.log = [];
      this.addEventListener("message", (event) => this.log.push(["<", JSON.parse(event.data)]));
      window.sockets.push(this);
    }
    send(data) { this.log.push([">", JSON.parse(data)]); super.send(data); }
  }
  window.WebSocket = Recorded;
})();
"""

# The frames whose seq the widget and the console count as seen (an ack or an action card does not move it).
MESSAGE_FRAMES = sorted({"customer.message", "assistant.message", "agent.message", "agent.joined", "notice",
                         "tool.result"})


def recorded_page(new_page):
    page = new_page()
    page.add_init_script(RECORD_SOCKETS)
    return page


def log_length(page) -> int:
    return page.evaluate("window.sockets.at(-1).log.length")


def drop_socket(page) -> None:
    page.evaluate("window.sockets.at(-1).close()")


def deliver(page, frame: dict) -> None:
    """Hand the page's current socket a frame as if the server had sent it."""
    page.evaluate("(data) => window.sockets.at(-1).dispatchEvent(new MessageEvent('message', { data }))",
                  json.dumps(frame))


def resume_sent(page, socket: int, after: int = 0) -> tuple[dict, int]:
    """The first resume frame socket number `socket` sends after its first `after` log entries, and the highest
    message seq the page had received (on any socket) when it sent it."""
    page.wait_for_function("([socket, after]) => window.sockets.length > socket && window.sockets[socket].log"
                           ".some(([way, frame], i) => i >= after && way === '>' && frame.type === 'resume')",
                           arg=[socket, after])
    return tuple(page.evaluate("""([socket, after, types]) => {
      const log = window.sockets[socket].log;
      const at = log.findIndex(([way, frame], i) => i >= after && way === ">" && frame.type === "resume");
      const before = [...window.sockets.slice(0, socket).flatMap((s) => s.log), ...log.slice(0, at)];
      const seqs = before.filter(([way, frame]) => way === "<" && types.includes(frame.type) && frame.seq)
        .map(([, frame]) => frame.seq);
      return [log[at][1], Math.max(0, ...seqs)];
    }""", [socket, after, MESSAGE_FRAMES]))


def items_before_and_after_a_replay(page, items: str) -> list[int]:
    """Hands the socket every message frame it received once more, in one go (no server frame comes between):
    how many `items` the page shows before and after."""
    return page.evaluate("""([items, types]) => {
      const socket = window.sockets.at(-1);
      const count = () => document.querySelectorAll(items).length;
      const before = count();
      socket.log.filter(([way, frame]) => way === "<" && types.includes(frame.type)).forEach(([, frame]) => {
        socket.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(frame) }));
      });
      return [before, count()];
    }""", [items, MESSAGE_FRAMES])


def send(page, text):
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def assistant_answers(page):
    return page.locator("#chat .msg.assistant:not(.intro):not(.streaming)")


def answered_widget(new_page, base_url):
    page = recorded_page(new_page)
    page.goto(f"{base_url}/chat/")
    send(page, "How long does standard shipping take?")
    expect(assistant_answers(page)).to_have_count(1)
    return page


def console_of_a_handed_off_conversation(new_page, base_url):
    customer = new_page()
    customer.goto(f"{base_url}/chat/")
    send(customer, "I want to talk to a real person please")
    expect(customer.locator("#chat .msg.action.handoff")).to_be_visible()
    agent = recorded_page(new_page)
    login_admin(agent, base_url, "sam", "sam")
    agent.goto(f"{base_url}/admin/desk/queue/")
    agent.locator("#queue-table a.take-over").first.click()
    expect(agent.locator("[data-role=transcript] .customer")).to_contain_text("real person")
    expect(agent.locator("[data-role=connection]")).to_have_text("Live")
    return agent


# The two pages with a transcript, each opened on a conversation with messages, and the items of its transcript.
TRANSCRIPT_PAGES = pytest.mark.parametrize("open_page, items", [
    (answered_widget, "#chat .msg"),
    (console_of_a_handed_off_conversation, "[data-role=transcript] li"),
], ids=["widget", "console"])


@TRANSCRIPT_PAGES
def test_a_transcript_page_reconnects_a_dropped_socket_and_asks_for_a_replay_after_the_last_message_it_received(
        demo_store, live_daphne, new_page, open_page, items):
    page = open_page(new_page, live_daphne.url)
    drop_socket(page)
    resume, seen = resume_sent(page, socket=1)
    assert seen > 0 and resume == {"type": "resume", "last_seq": seen}
    assert not page.errors


@TRANSCRIPT_PAGES
def test_a_transcript_page_shows_a_message_it_receives_again_only_once(
        demo_store, live_daphne, new_page, open_page, items):
    page = open_page(new_page, live_daphne.url)
    before, after = items_before_and_after_a_replay(page, items)
    assert before > 1 and after == before
    assert not page.errors


def test_the_widget_asks_for_a_replay_while_live_updates_are_interrupted(demo_store, live_daphne, new_page):
    page = answered_widget(new_page, live_daphne.url)
    sent_so_far = log_length(page)
    deliver(page, {"type": "error", "code": "realtime_unavailable", "message": "Live updates are interrupted."})
    expect(page.locator('#chat .msg.error[data-realtime="down"]')).to_have_text("Live updates are interrupted.")
    resume, seen = resume_sent(page, socket=0, after=sent_so_far)
    assert seen > 0 and resume == {"type": "resume", "last_seq": seen}
    assert not page.errors


def test_the_widget_takes_the_outage_alert_down_and_says_so_when_live_updates_are_back(
        demo_store, live_daphne, new_page):
    page = answered_widget(new_page, live_daphne.url)
    deliver(page, {"type": "error", "code": "realtime_unavailable", "message": "Live updates are interrupted."})
    expect(page.locator("#chat .msg.error")).to_have_count(1)
    deliver(page, {"type": "realtime_restored", "message": "Live updates are back."})
    expect(page.locator("#chat .msg.error")).to_have_count(0)
    expect(page.locator("#chat .msg.notice").last).to_have_text("Live updates are back.")
    assert not page.errors


def test_the_console_says_live_updates_are_interrupted_until_they_are_back(demo_store, live_daphne, new_page):
    agent = console_of_a_handed_off_conversation(new_page, live_daphne.url)
    deliver(agent, {"type": "error", "code": "realtime_unavailable", "message": "Live updates are interrupted."})
    expect(agent.locator("[data-role=connection]")).to_have_text("Live updates interrupted")
    expect(agent.locator("[data-role=error]")).to_have_text("Live updates are interrupted.")
    deliver(agent, {"type": "realtime_restored", "message": "Live updates are back."})
    expect(agent.locator("[data-role=connection]")).to_have_text("Live")
    expect(agent.locator("[data-role=error]")).to_be_hidden()
    assert not agent.errors


def test_the_console_says_not_allowed_instead_of_reconnecting_when_the_server_refuses_the_socket(
        demo_store, live_daphne, new_page):
    agent = console_of_a_handed_off_conversation(new_page, live_daphne.url)
    agent.evaluate("window.sockets.at(-1).dispatchEvent(new CloseEvent('close', { code: 4403 }))")
    expect(agent.locator("[data-role=connection]")).to_have_text("Not allowed")
    assert not agent.errors


def queue_page(new_page, base_url):
    agent = recorded_page(new_page)
    login_admin(agent, base_url, "sam", "sam")
    agent.goto(f"{base_url}/admin/desk/queue/")
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    return agent


def test_the_live_queue_asks_for_a_reload_while_live_updates_are_interrupted(demo_store, live_daphne, new_page):
    agent = queue_page(new_page, live_daphne.url)
    deliver(agent, {"type": "error", "code": "realtime_unavailable", "message": "Live updates are interrupted."})
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live updates interrupted: reload for the latest")
    assert not agent.errors


def test_the_live_queue_says_live_again_once_live_updates_are_back(demo_store, live_daphne, new_page):
    agent = queue_page(new_page, live_daphne.url)
    deliver(agent, {"type": "error", "code": "realtime_unavailable", "message": "Live updates are interrupted."})
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live updates interrupted: reload for the latest")
    deliver(agent, {"type": "realtime_restored", "message": "Live updates are back."})
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    assert not agent.errors


def test_the_live_queue_reconnects_a_dropped_socket(demo_store, live_daphne, new_page):
    agent = queue_page(new_page, live_daphne.url)
    drop_socket(agent)
    agent.wait_for_function("() => window.sockets.length === 2 && window.sockets[1].log.some(([way, frame]) => "
                            "way === '<' && frame.type === 'queue')")
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    assert not agent.errors
