"""The offline assistant's answer grows word by word in the storefront widget, as a model's would."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.live import ARTIFACTS, start_daphne, stop_daphne

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORDS_PER_SECOND = "30"

# Every text the streaming bubble shows, noted at each change of the widget (the samples of the customer's view).
WATCH_THE_STREAMING_BUBBLE = """() => {
  window.bubbleSamples = [];
  new MutationObserver(() => {
    const bubble = document.querySelector("#chat .msg.assistant.streaming .bubble");
    if (bubble) window.bubbleSamples.push(bubble.textContent);
  }).observe(document.getElementById("chat"), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def live_daphne(django_db_setup, django_db_blocker):
    """This module's live server paces the offline assistant as `make run` does (the other tests' does not). Named
    like the shared one, so the page fixture waits for it to be idle and prints its log when a test fails."""
    server = start_daphne({"OFFLINE_WORDS_PER_SECOND": WORDS_PER_SECOND}, name="daphne-paced")
    yield server
    stop_daphne(server)


def test_a_customer_sees_the_offline_assistants_answer_grow_before_it_completes(demo_store, live_daphne, new_page):
    page = new_page()
    page.goto(f"{live_daphne.url}/")
    page.click("[data-role=launcher]")
    page.evaluate(WATCH_THE_STREAMING_BUBBLE)
    page.fill("#chat-input", "How long does standard shipping take?")
    page.keyboard.press("Enter")

    expect(page.locator("#chat .msg.assistant.streaming .bubble")).to_contain_text(re.compile(r"\w"))
    # The widget alone: a full-page screenshot lays the page out anew and catches the bubble before it grew.
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#chat").screenshot(path=str(ARTIFACTS / "offline-answer-streaming.png"))
    answer = page.locator("#chat .msg.assistant:not(.intro):not(.streaming)")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("business days")
    screenshot(page, "offline-answer-complete")

    samples = [text for text in page.evaluate("window.bubbleSamples") if text.strip()]
    streamed = samples[-1]
    assert len(set(samples)) >= 3, samples
    assert any(len(text) < len(streamed) for text in samples), samples
    assert all(later.startswith(earlier) for earlier, later in zip(samples, samples[1:], strict=False))
    assert answer.inner_text().startswith(samples[0].strip().split()[0])
    deltas = [json.loads(payload) for _, direction, payload in page.ws_frames
              if direction == "<" and json.loads(payload).get("type") == "assistant.delta"]
    assert len(deltas) >= 3
    assert not page.errors
