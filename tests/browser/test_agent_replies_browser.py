"""The agents' reply tools in a real browser: canned replies with "/" and "Suggest a reply", in the console of a
conversation the agent holds and in a ticket's composer. The customer's page records its websocket frames: the
draft reaches it only once the agent sends it."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_admin, login_customer, screenshot
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
LAPTOP = {"width": 1024, "height": 768}


def received(page, fragment: str) -> list[int]:
    """Indexes (in the page's frame log) of the frames the page received that contain `fragment`."""
    return [index for index, (_at, direction, payload) in enumerate(page.ws_frames)
            if direction == "<" and fragment in str(payload)]


def held_by_sam(live_daphne, new_page, size):
    """Emma (logged in) asks for a person in the chat and Sam takes the conversation over in its console."""
    customer = new_page()
    customer.set_viewport_size(size)
    login_customer(customer, live_daphne.url, "emma.martin@example.com")
    customer.goto(f"{live_daphne.url}/chat/")
    customer.fill("#chat-input", "I want to talk to a human please")
    customer.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.action.handoff")).to_contain_text("A person will join")

    agent = new_page()
    agent.set_viewport_size(size)
    login_admin(agent, live_daphne.url, "sam", "sam")
    agent.goto(f"{live_daphne.url}/admin/tickets/ticket/")
    agent.locator("#result_list a.take-over").first.click()
    # Once the console's socket has replayed the chat (a click before it opens is not sent).
    expect(agent.locator("[data-role=transcript] .customer")).to_contain_text("human please")
    agent.click("[data-role=take]")
    expect(agent.locator("[data-role=status]")).to_have_text("With an agent")
    expect(customer.locator("#chat .msg.notice")).to_contain_text("Sam joined the conversation")
    return customer, agent


def test_in_the_console_a_canned_reply_and_a_suggested_draft_reach_the_customer_only_when_sent(
        demo_store, live_daphne, new_page):
    customer, agent = held_by_sam(live_daphne, new_page, DESKTOP)
    composer = agent.locator("#agent-input")

    # "/" opens the list of canned replies; typing filters it; Enter inserts the reply with Emma's first name.
    composer.click()
    agent.keyboard.type("/")
    listbox = agent.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(6)
    agent.keyboard.type("hel")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    screenshot(agent, "replies-console-canned-list")
    agent.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(composer).to_have_value(re.compile(r"^Hi Emma, I'm Sam from the ShopExpress team\. "))
    assert "{" not in composer.input_value()
    agent.keyboard.press("Enter")  # the console's own send path
    expect(customer.locator("#chat .msg.agent").last).to_contain_text("Hi Emma, I'm Sam from the ShopExpress team")
    expect(composer).to_have_value("")

    # The customer describes the problem; Sam asks for a suggestion, which lands in the composer only.
    customer.fill("#chat-input", "My parcel never arrived")
    customer.keyboard.press("Enter")
    expect(agent.locator("[data-role=transcript] .customer").last).to_contain_text("never arrived")
    agent.click("[data-suggest-for=agent-input]")
    expect(composer).to_have_value(re.compile(r"^Hi Emma,\n\nI'm sorry your order hasn't reached you yet\."))
    expect(agent.locator(".composer-tools-status")).to_contain_text("only sent when you send it")
    draft = composer.input_value()
    assert re.search(r"ORD-\d{5}", draft)
    assert received(customer, "reached you yet") == []
    screenshot(agent, "replies-console-suggested-draft")

    composer.click()
    agent.keyboard.press("End")
    agent.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.agent").last).to_contain_text("hasn't reached you yet")
    # In the customer's frame log, the first frame carrying the draft is the agent's message itself.
    first = received(customer, "reached you yet")[0]
    assert json.loads(customer.ws_frames[first][2])["type"] == "agent.message"
    screenshot(customer, "replies-customer-after-send")
    assert not customer.errors and not agent.errors


def test_on_a_ticket_page_at_1024_px_a_canned_reply_is_inserted_and_a_draft_is_offered_beside_typed_text(
        emma, live_daphne, new_page):
    ticket = TicketFactory(subject="Speaker crackles", question="My speaker crackles at high volume, what can I do?",
                           customer_email=emma.email, customer_name=emma.name, email_verified=True,
                           status=Ticket.Status.OPEN)
    agent = new_page()
    agent.set_viewport_size(LAPTOP)
    login_admin(agent, live_daphne.url, "lea", "lea")
    agent.goto(f"{live_daphne.url}/admin/desk/tickets/{ticket.number}/")
    composer = agent.locator("#ticket-composer-body")

    composer.click()
    agent.keyboard.type("/")
    listbox = agent.get_by_role("listbox")
    expect(listbox).to_be_visible()
    box = listbox.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"]
    agent.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    agent.keyboard.type("by")  # a dismissed list stays closed for this "/"
    expect(listbox).to_be_hidden()
    agent.keyboard.press("Control+A")
    agent.keyboard.type("Thanks! /")
    expect(listbox).to_be_visible()
    agent.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
    agent.keyboard.press("ArrowUp")
    agent.keyboard.press("Tab")
    expect(composer).to_have_value("Thanks! Thank you for contacting ShopExpress, Emma! Is there anything else I can "
                                   "help you with today?")
    agent.keyboard.type(" /hel")
    listbox.get_by_role("option").filter(has_text="/hello").click()  # a click inserts too
    expect(composer).to_have_value(re.compile(r"today\? Hi Emma, I'm Léa from the ShopExpress team\. "))
    expect(composer).to_be_focused()
    screenshot(agent, "replies-ticket-canned-1024")

    agent.click("[data-suggest-for=ticket-composer-body]")
    choice = agent.get_by_role("group", name="A suggested reply is ready, and you have already typed something.")
    expect(choice).to_be_visible()
    screenshot(agent, "replies-ticket-draft-choice-1024")
    choice.get_by_role("button", name="Add it below my text").click()
    expect(composer).to_have_value(re.compile(r"^Thanks! Thank you for contacting ShopExpress, Emma!.*taking it from "
                                              r"here\.\n\nHi Emma,", re.DOTALL))
    agent.click("button[value=reply]")
    expect(agent.locator("#ticket-thread .entry.reply")).to_contain_text("Thank you for contacting ShopExpress, Emma!")
    assert not agent.errors
