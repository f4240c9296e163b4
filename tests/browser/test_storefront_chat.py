"""The storefront chat in a real browser: streaming, refund card, CSAT, reload, guest verification, French."""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Refund
from tests.browser.conftest import login_customer, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SOURCE = [
    "Hi, I ordered a pair of headphones 2 weeks ago and they don't work. My order is ORD-78432.",
    "The Bluetooth won't connect to anything at all. I've tried with 3 different devices. It's really frustrating, "
    "it was a gift.",
    "Yes I've tried everything!! Nothing works. I want a refund.",
]


def send(page, text):
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def assistant_answers(page):
    return page.locator("#chat .msg.assistant:not(.intro):not(.streaming)")


def test_emma_runs_the_source_conversation_and_sees_the_refund_card_and_the_rating_prompt(
        demo_store, live_daphne, new_page):
    page = new_page()
    login_customer(page, live_daphne.url, "emma.martin@example.com")
    page.goto(f"{live_daphne.url}/chat/")
    expect(page.locator("[data-role=send]")).to_be_disabled()
    send(page, SOURCE[0])
    expect(assistant_answers(page)).to_have_count(1)
    expect(assistant_answers(page).last).to_contain_text("ProMax Audio Headphones")
    send(page, SOURCE[1])
    expect(assistant_answers(page)).to_have_count(2)
    expect(assistant_answers(page).last).to_contain_text("10 seconds")
    send(page, SOURCE[2])
    card = page.locator("#chat .msg.action.refund")
    expect(card).to_contain_text("Refund made")
    expect(card).to_contain_text("$89.99")
    expect(assistant_answers(page).last).to_contain_text("5-7 business days")
    screenshot(page, "storefront-source-conversation")
    assert Refund.objects.get(order__number="ORD-78432").amount == Decimal("89.99")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-role=end]")
    csat = page.locator("[data-role=csat]")
    expect(csat).to_be_visible()
    page.locator(".stars label").nth(4).click()
    page.fill("#chat-csat-comment", "Fast and clear")
    page.click("[data-role=csat] button[type=submit]")
    expect(page.locator("#chat .msg.notice").last).to_contain_text("Thank you for your feedback")
    screenshot(page, "storefront-csat")
    assert not page.errors


def test_the_widget_streams_the_reply_before_replacing_it_with_the_final_message(demo_store, live_daphne, new_page):
    page = new_page()
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    page.goto(f"{live_daphne.url}/chat/")
    send(page, "How long does standard shipping take?")
    expect(assistant_answers(page)).to_have_count(1)
    kinds = [f["type"] for f in frames]
    final = kinds.index("assistant.message")
    assert "assistant.delta" in kinds[:final]
    assert page.locator("#chat .msg.assistant.streaming").count() == 0
    assert "<script" not in assistant_answers(page).last.inner_html()


def test_a_reload_mid_conversation_keeps_the_history(demo_store, live_daphne, new_page):
    page = new_page()
    login_customer(page, live_daphne.url, "emma.martin@example.com")
    page.goto(f"{live_daphne.url}/chat/")
    send(page, SOURCE[0])
    expect(assistant_answers(page)).to_have_count(1)
    page.reload()
    expect(page.locator("#chat .msg.customer")).to_have_count(1)
    expect(assistant_answers(page)).to_have_count(1)
    expect(page.locator("#chat .msg.customer")).to_contain_text("ORD-78432")
    screenshot(page, "storefront-after-reload")


# The page's first websocket stays "connecting" until the test releases it; later ones are real sockets.
HOLD_FIRST_SOCKET = """
(() => {
  const Real = window.WebSocket;
  let held = false;
  class HeldSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.readyState = 0;
      window.releaseSocket = () => {
        const real = new Real(url, protocols);
        this.real = real;
        const forward = (type, make) => real.addEventListener(type, (event) => {
          this.readyState = real.readyState;
          this.dispatchEvent(make(event));
        });
        forward("open", () => new Event("open"));
        forward("message", (event) => new MessageEvent("message", { data: event.data }));
        forward("close", (event) => new CloseEvent("close", { code: event.code, reason: event.reason }));
        forward("error", () => new Event("error"));
      };
    }
    send(data) { this.real.send(data); }
    close() { if (this.real) this.real.close(); }
  }
  function Socket(url, protocols) {
    if (held) return new Real(url, protocols);
    held = true;
    return new HeldSocket(url, protocols);
  }
  Object.assign(Socket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Socket;
})();
"""


def test_a_message_sent_before_the_socket_opens_waits_and_is_answered(demo_store, live_daphne, new_page):
    page = new_page()
    page.add_init_script(HOLD_FIRST_SOCKET)
    page.goto(f"{live_daphne.url}/chat/")
    send(page, "How long does standard shipping take?")
    expect(page.locator("#chat .msg.customer.pending")).to_contain_text("standard shipping")
    expect(page.locator("#chat-input")).to_have_value("")
    page.evaluate("window.releaseSocket()")
    expect(assistant_answers(page)).to_have_count(1)
    expect(page.locator("#chat .msg.customer.pending")).to_have_count(0)
    expect(page.locator("#chat .msg.customer")).to_have_count(1)


def test_a_guest_is_asked_for_the_order_number_and_the_email(demo_store, live_daphne, new_page):
    page = new_page()
    page.goto(f"{live_daphne.url}/")
    page.click("[data-role=launcher]")
    send(page, "Where is my order?")
    expect(assistant_answers(page).last).to_contain_text("order number")
    send(page, "ORD-55120")
    expect(assistant_answers(page)).to_have_count(2)
    expect(assistant_answers(page).last).to_contain_text("email")
    send(page, "emma.martin@example.com")
    expect(assistant_answers(page)).to_have_count(3)
    expect(assistant_answers(page).last).to_contain_text("ORD-55120")
    screenshot(page, "storefront-guest-verification")


def test_a_french_customer_is_answered_in_french(demo_store, live_daphne, new_page):
    page = new_page(locale="fr-FR")
    page.goto(f"{live_daphne.url}/chat/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    send(page, "Bonjour, combien de temps prend la livraison standard ?")
    expect(assistant_answers(page)).to_have_count(1)
    expect(assistant_answers(page).last).to_contain_text(re.compile("centre d'aide|jours"))
    screenshot(page, "storefront-french")
