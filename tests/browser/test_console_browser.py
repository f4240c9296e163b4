"""The agent console in a real browser at laptop sizes: it keeps to the newest message (unless the agent scrolled
up), only the holder has a composer, a transfer moves it, and a note never reaches the customer's socket."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.browser.conftest import login_admin, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIZES = [pytest.param((1024, 768), id="1024x768"), pytest.param((1280, 800), id="1280x800")]
LONG = "My parcel was supposed to arrive on Monday, then Wednesday, and it still is not here. "


def customer_waiting(new_page, server):
    """A guest who asked for a person in the widget (a live hand-off waits in the queue)."""
    customer = new_page()
    customer.goto(f"{server.url}/chat/")
    customer.fill("#chat-input", "I want to talk to a real person please")
    customer.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.action.handoff")).to_contain_text("A person will join")
    return customer


def console(new_page, server, username, size):
    page = new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login_admin(page, server.url, username, username)
    page.goto(server.url + reverse("agent-console", args=[Conversation.objects.get().pk]))
    expect(page.locator("[data-role=connection]")).to_have_text("Live")
    expect(page.locator("[data-role=transcript] .customer")).to_contain_text("real person")
    return page


def taken_over(new_page, server, size):
    """The customer waiting, and Sam's console once he took the chat over."""
    customer = customer_waiting(new_page, server)
    agent = console(new_page, server, "sam", size)
    agent.click("[data-role=take]")
    expect(agent.locator("[data-role=status]")).to_have_text("With an agent")
    expect(customer.locator("#chat .msg.notice")).to_contain_text("Sam joined the conversation")
    return customer, agent


def say(customer, text):
    customer.fill("#chat-input", text)
    customer.keyboard.press("Enter")


def inside_the_transcript(page, item) -> bool:
    """Whether `item` is within the part of the transcript on screen (its own scroll area and the window)."""
    box, area = item.bounding_box(), page.locator("[data-role=transcript]").bounding_box()
    viewport = page.viewport_size
    return (box is not None and area["y"] - 1 <= box["y"] and box["y"] + box["height"] <= area["y"] + area["height"] + 1
            and box["y"] + box["height"] <= viewport["height"])


@pytest.mark.parametrize("size", SIZES)
def test_the_console_shows_the_newest_message_after_a_customer_line_arrives(demo_store, live_daphne, new_page,
                                                                            size):
    customer, agent = taken_over(new_page, live_daphne, size)
    for number in range(1, 5):
        say(customer, f"{number}. {LONG * 2}")
        expect(agent.locator("[data-role=transcript] .customer").last).to_contain_text(f"{number}. ")
    newest = agent.locator("[data-role=transcript] li").last
    expect(newest).to_contain_text("4. ")
    assert agent.evaluate("document.querySelector('[data-role=transcript]').scrollTop") > 0
    assert inside_the_transcript(agent, newest)
    expect(agent.locator("[data-role=new-messages]")).to_be_hidden()
    screenshot(agent, f"console-newest-message-{size[0]}")
    assert not agent.errors and not customer.errors


@pytest.mark.parametrize("size", SIZES)
def test_scrolled_up_the_agent_gets_a_marker_that_brings_the_newest_into_view(demo_store, live_daphne, new_page,
                                                                              size):
    customer, agent = taken_over(new_page, live_daphne, size)
    for number in range(1, 4):
        say(customer, f"{number}. {LONG * 2}")
        expect(agent.locator("[data-role=transcript] .customer").last).to_contain_text(f"{number}. ")
    agent.locator("[data-role=transcript]").evaluate("list => { list.scrollTop = 0; }")
    say(customer, "Are you still there?")
    newest = agent.locator("[data-role=transcript] .customer").last
    expect(newest).to_contain_text("still there")
    marker = agent.locator("[data-role=new-messages]")
    expect(marker).to_be_visible()
    assert not inside_the_transcript(agent, newest)
    assert agent.evaluate("document.querySelector('[data-role=transcript]').scrollTop") == 0  # left where it was
    screenshot(agent, f"console-new-messages-marker-{size[0]}")
    marker.click()
    expect(marker).to_be_hidden()
    assert inside_the_transcript(agent, newest)
    assert not agent.errors


@pytest.mark.parametrize("size", SIZES)
def test_a_second_agent_has_no_composer_and_sees_who_has_the_conversation(demo_store, live_daphne, new_page, size):
    customer, sam = taken_over(new_page, live_daphne, size)
    lea = console(new_page, live_daphne, "lea", size)
    expect(lea.locator("[data-role=held-by]")).to_have_text("Sam has this conversation.")
    expect(lea.locator("form[data-role=composer]")).to_be_hidden()
    expect(lea.locator("textarea#agent-input")).to_be_hidden()
    expect(lea.locator("[data-role=take]")).to_be_hidden()
    expect(lea.locator("[data-role=transfer]")).to_be_hidden()
    expect(sam.locator("textarea#agent-input")).to_be_focused()  # he clicked Take over: he writes next
    assert lea.evaluate("document.activeElement === document.body")  # state frames took no focus
    screenshot(lea, f"console-non-holder-{size[0]}")
    assert not lea.errors and not sam.errors and not customer.errors


@pytest.mark.parametrize("size", SIZES)
def test_sam_transfers_the_conversation_to_lea_and_her_console_gets_the_composer(demo_store, live_daphne, new_page,
                                                                                size):
    customer, sam = taken_over(new_page, live_daphne, size)
    lea = console(new_page, live_daphne, "lea", size)
    expect(lea.locator("textarea#agent-input")).to_be_hidden()
    lea.click("#note-input")  # she is writing a note when the conversation comes to her
    sam.select_option("[data-role=transfer-to]", label="Léa")
    sam.click("[data-role=transfer-send]")

    expect(lea.locator("textarea#agent-input")).to_be_visible()
    expect(lea.locator("#note-input")).to_be_focused()  # the state frame that gave her the composer took no focus
    expect(lea.locator("[data-role=held-by]")).to_be_hidden()
    expect(sam.locator("textarea#agent-input")).to_be_hidden()
    expect(sam.locator("[data-role=held-by]")).to_have_text("Léa has this conversation.")
    expect(customer.locator("#chat .msg.notice").last).to_have_text("Léa joined the conversation")
    lea.fill("#agent-input", "Hi, Léa here: I'm looking into your parcel.")
    lea.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.agent").last).to_contain_text("Léa here")
    screenshot(lea, f"console-after-transfer-{size[0]}")
    assert not lea.errors and not sam.errors and not customer.errors


@pytest.mark.parametrize("size", SIZES)
def test_a_note_never_reaches_the_customers_socket(demo_store, live_daphne, new_page, size):
    customer, sam = taken_over(new_page, live_daphne, size)
    lea = console(new_page, live_daphne, "lea", size)
    note = "Possible reseller: do not offer the goodwill voucher"
    sam.fill("#note-input", note)
    sam.click("[data-role=note-form] button[type=submit]")
    expect(sam.locator("[data-role=notes] .note")).to_contain_text(note)
    expect(sam.locator("#note-input")).to_have_value("")
    expect(lea.locator("[data-role=notes] .note")).to_contain_text(note)  # live in the other console
    sam.fill("#agent-input", "Thanks for waiting, checking now.")
    sam.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.agent").last).to_contain_text("checking now")  # later frames did arrive
    received = [payload for _at, direction, payload in customer.ws_frames if direction == "<"]
    assert received and not [payload for payload in received if "reseller" in str(payload)]
    expect(customer.locator("#chat")).not_to_contain_text("reseller")
    screenshot(sam, f"console-note-{size[0]}")
    assert not sam.errors and not customer.errors


def streamed_items_recorder(page, selector):
    """Record, for every item added to the list at `selector`, its seq and aria-busy when it was added."""
    page.locator(selector).evaluate("""list => {
      window.addedItems = [];
      new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach((node) => {
        if (node.nodeName === "LI") window.addedItems.push({seq: node.dataset.seq, busy: node.getAttribute("aria-busy"),
                                                           cls: node.className});
      }))).observe(list, {childList: true});
    }""")


def assert_streamed_once(page, frames, item_selector):
    deltas = [payload for _at, direction, payload in frames if direction == "<" and '"assistant.delta"' in str(payload)]
    assert deltas  # the answer was streamed (later deltas may be overtaken by the stored message: it then ends)
    added = [item for item in page.evaluate("window.addedItems") if "assistant" in item["cls"]]
    streamed = [item for item in added if item["busy"] == "true"]
    assert streamed, added
    seq = streamed[0]["seq"]
    assert [item["seq"] for item in added].count(seq) == 1  # finished in place: no second node to announce
    final = page.locator(f'{item_selector}[data-seq="{seq}"]')
    expect(final).to_have_count(1)
    expect(final).not_to_have_attribute("aria-busy", "true")


def test_a_streamed_answer_is_busy_until_final_and_added_once_in_the_console(demo_store, live_daphne, new_page):
    customer = new_page()
    customer.goto(f"{live_daphne.url}/chat/")
    customer.fill("#chat-input", "Hello")
    customer.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.assistant:not(.intro)")).to_have_count(1)
    agent = new_page()
    login_admin(agent, live_daphne.url, "sam", "sam")
    agent.goto(live_daphne.url + reverse("agent-console", args=[Conversation.objects.get().pk]))
    expect(agent.locator("[data-role=transcript] .assistant")).to_have_count(1)
    streamed_items_recorder(agent, "[data-role=transcript]")
    say(customer, "How long does shipping take?")
    expect(agent.locator("[data-role=transcript] .assistant")).to_have_count(2)
    assert_streamed_once(agent, agent.ws_frames, "[data-role=transcript] li.assistant")
    assert not agent.errors and not customer.errors


def test_a_streamed_answer_is_busy_until_final_and_added_once_in_the_widget(demo_store, live_daphne, new_page):
    customer = new_page()
    customer.goto(f"{live_daphne.url}/chat/")
    streamed_items_recorder(customer, "#chat [data-role=log]")
    say(customer, "How long does shipping take?")
    expect(customer.locator("#chat .msg.assistant:not(.intro)")).to_have_count(1)
    assert_streamed_once(customer, customer.ws_frames, "#chat li.msg.assistant")
    assert not customer.errors


def record_text_when_changed(page, watched, recorded):
    """Record `recorded`'s text at the moment `watched` changes (the same frame's handler changed both or not)."""
    page.evaluate("""([watched, recorded]) => {
      window.seenWith = [];
      const target = document.querySelector(watched);
      new MutationObserver(() => window.seenWith.push([target.textContent, target.hidden,
                                                       document.querySelector(recorded).textContent]))
        .observe(target, {childList: true, characterData: true, subtree: true, attributes: true});
    }""", [watched, recorded])


def test_resolving_clears_the_consoles_typing_line_at_once(demo_store, live_daphne, new_page):
    customer, agent = taken_over(new_page, live_daphne, (1280, 800))
    customer.locator("#chat-input").press_sequentially("I am still typi")
    expect(agent.locator("[data-role=typing]")).to_have_text("Customer is typing…")
    record_text_when_changed(agent, "[data-role=status]", "[data-role=typing]")
    agent.click("[data-role=resolve]")
    expect(agent.locator("[data-role=status]")).to_have_text("Closed")
    assert ["Closed", False, ""] in agent.evaluate("window.seenWith")
    assert not agent.errors


def test_handing_back_clears_the_widgets_typing_line_at_once(demo_store, live_daphne, new_page):
    customer, agent = taken_over(new_page, live_daphne, (1280, 800))
    agent.locator("#agent-input").press_sequentially("Let me che")
    expect(customer.locator("#chat [data-role=status]")).to_have_text("Sam is typing…")
    record_text_when_changed(customer, "#chat [data-role=banner]", "#chat [data-role=status]")
    agent.click("[data-role=hand-back]")
    expect(customer.locator("#chat [data-role=banner]")).to_be_hidden()
    assert ["", True, ""] in customer.evaluate("window.seenWith")
    assert not agent.errors and not customer.errors


BLOCKABLE_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const socket = new Real(window.__blockSockets ? "ws://127.0.0.1:9/" : url, protocols);
    window.__sockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""


def test_a_click_while_the_console_is_not_connected_says_nothing_was_sent(demo_store, live_daphne, new_page):
    customer_waiting(new_page, live_daphne)
    agent = new_page()
    agent.add_init_script(BLOCKABLE_SOCKETS)
    login_admin(agent, live_daphne.url, "sam", "sam")
    agent.goto(live_daphne.url + reverse("agent-console", args=[Conversation.objects.get().pk]))
    expect(agent.locator("[data-role=connection]")).to_have_text("Live")
    agent.evaluate("window.__blockSockets = true; window.__sockets.forEach((socket) => socket.close())")
    expect(agent.locator("[data-role=connection]")).to_have_text("Reconnecting…")
    agent.click("[data-role=take]")
    expect(agent.locator("[data-role=error]")).to_contain_text("nothing was sent")
    assert Conversation.objects.get().assigned_agent is None
