"""The widget's composer near and over the message limit, and the rating form's room, in a real browser."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIMIT = 2000
TOO_LONG = "Here is everything that happened. " * 69  # 2,346 characters; 2,345 once trimmed


def open_chat(page, base_url):
    page.goto(f"{base_url}/chat/")
    page.wait_for_function("document.querySelector('#chat [data-role=end]') !== null")


def paste(page, text):
    """As a paste or a dictation does: text inserted at once, which maxlength used to cut."""
    page.focus("#chat-input")
    page.keyboard.insert_text(text)


def sent_messages(page) -> list[str]:
    frames = [json.loads(payload) for _, direction, payload in page.ws_frames if direction == ">"]
    return [frame["text"] for frame in frames if frame.get("type") == "message"]


def test_a_paste_over_the_limit_is_kept_whole_and_the_widget_says_by_how_much(live_daphne, new_page):
    page = new_page()
    open_chat(page, live_daphne.url)
    paste(page, TOO_LONG)
    assert page.input_value("#chat-input") == TOO_LONG
    note = page.locator("#chat-limit")
    expect(note).to_have_text("Your message is 2,345 characters; the limit is 2,000. Shorten it or send it in parts.")
    assert note.get_attribute("aria-live") == "polite"
    assert "chat-limit" in page.get_attribute("#chat-input", "aria-describedby").split()
    expect(page.locator("#chat-count")).to_have_text("2,345 / 2,000")
    expect(page.locator("#chat [data-role=send]")).to_be_disabled()
    screenshot(page, "widget-over-the-limit")
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert sent_messages(page) == [] and page.input_value("#chat-input") == TOO_LONG
    assert page.errors == []


def test_the_counter_appears_from_80_percent_of_the_limit(live_daphne, new_page):
    page = new_page()
    open_chat(page, live_daphne.url)
    page.fill("#chat-input", "a" * (LIMIT * 8 // 10 - 1))
    expect(page.locator("#chat-count")).to_be_hidden()
    page.fill("#chat-input", "a" * 1850)
    expect(page.locator("#chat-count")).to_have_text("1,850 / 2,000")
    expect(page.locator("#chat-limit")).to_have_text("")
    expect(page.locator("#chat [data-role=send]")).to_be_enabled()
    screenshot(page, "widget-counter")


def test_a_message_shortened_under_the_limit_can_be_sent(live_daphne, new_page):
    page = new_page()
    open_chat(page, live_daphne.url)
    paste(page, TOO_LONG)
    shorter = TOO_LONG[:LIMIT]
    page.fill("#chat-input", shorter)
    expect(page.locator("#chat-limit")).to_have_text("")
    expect(page.locator("#chat [data-role=send]")).to_be_enabled()
    page.keyboard.press("Enter")
    expect(page.locator("#chat .msg.customer")).to_have_count(1)
    assert sent_messages(page) == [shorter.strip()]


def test_the_counter_and_the_note_format_numbers_in_the_pages_language(live_daphne, new_page):
    page = new_page(locale="fr-FR")
    open_chat(page, live_daphne.url)
    assert page.get_attribute("html", "lang") == "fr"
    paste(page, TOO_LONG)
    expect(page.locator("#chat-count")).to_have_text("2\u202f345 / 2\u202f000")
    expect(page.locator("#chat-limit")).to_contain_text("2\u202f345")
    screenshot(page, "widget-over-the-limit-fr")


def end_the_chat(page):
    page.fill("#chat-input", "Which payment methods do you accept?")
    page.keyboard.press("Enter")
    expect(page.locator("#chat .msg.assistant:not(.intro):not(.streaming)")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#chat [data-role=end]")
    expect(page.locator("#chat [data-role=csat]")).to_be_visible()


@pytest.mark.parametrize("width, height", [(1024, 768), (375, 667)])
@pytest.mark.parametrize("mode", ["floating", "page"])
def test_the_rating_form_replaces_the_composer_and_leaves_the_transcript_room(live_daphne, new_page, mode, width,
                                                                             height):
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    if mode == "page":
        open_chat(page, live_daphne.url)
    else:
        page.goto(f"{live_daphne.url}/")
        page.click("[data-role=launcher]")
        page.wait_for_function("document.querySelector('#chat [data-role=end]') !== null")
    end_the_chat(page)
    expect(page.locator("#chat [data-role=composer]")).to_be_hidden()
    expect(page.locator("#chat-input")).to_be_disabled()
    transcript = page.locator("#chat [data-role=log]").bounding_box()
    assert transcript["height"] >= 200, transcript
    chat = page.locator("#chat").bounding_box()
    rate = page.locator("#chat [data-role=csat] button[type=submit]").bounding_box()
    assert rate["y"] + rate["height"] <= min(chat["y"] + chat["height"], height), (rate, chat)
    screenshot(page, f"widget-rating-{mode}-{width}")
    assert page.errors == []


def test_starting_a_new_conversation_after_the_rating_form_brings_the_composer_back(live_daphne, new_page):
    page = new_page()
    open_chat(page, live_daphne.url)
    end_the_chat(page)
    page.click("#chat [data-role=new-chat]")
    expect(page.locator("#chat [data-role=csat]")).to_be_hidden()
    expect(page.locator("#chat-input")).to_be_enabled()
    expect(page.locator("#chat-input")).to_be_focused()
