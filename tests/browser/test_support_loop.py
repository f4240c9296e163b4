"""The loop closed end to end in a real browser: a guest's question the FAQ cannot answer becomes a ticket; the
ticket's email carries its number and a link; an agent replies from the desk; a second email arrives; the guest
opens the link, reads the reply and answers; the agent's open ticket page shows the answer without a reload."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_admin, screenshot
from tests.live import text_of

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUESTION = "Do you offer gift wrapping for birthday presents?"
GUEST_EMAIL = "noah.guest@example.org"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/support/link/[^\s\"<>]+/")


def say(page, text):
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def test_a_guests_unanswered_question_becomes_a_ticket_answered_by_email_and_on_the_desk(demo_store, live_daphne,
                                                                                          new_page):
    guest = new_page()
    guest.goto(f"{live_daphne.url}/")
    guest.click("[data-role=launcher]")
    say(guest, QUESTION)
    expect(guest.locator("#chat .msg.assistant").last).to_contain_text("open a ticket")
    say(guest, "Yes please, open a ticket")
    expect(guest.locator("#chat .msg.assistant").last).to_contain_text("email")
    say(guest, GUEST_EMAIL)
    card = guest.locator("#chat .msg.action.ticket")
    expect(card).to_contain_text("TCK-")
    number = re.search(r"TCK-\d+", card.inner_text()).group(0)
    screenshot(guest, "loop-1-guest-ticket-opened")

    opened = live_daphne.wait_for_email(lambda m: number in m["subject"] and GUEST_EMAIL in m["to"])
    assert LINK.search(text_of(opened)), text_of(opened)
    assert opened.get_body(preferencelist=("html",)) is not None

    agent = new_page()
    login_admin(agent, live_daphne.url, "sam", "sam")
    agent.goto(f"{live_daphne.url}/admin/tickets/ticket/")
    agent.locator("#result_list a", has_text=number).first.click()
    agent.wait_for_url(re.compile(rf"/admin/desk/tickets/{number}/$"))
    # The ticket carries the customer's real question, not their "yes please".
    expect(agent.locator("#content")).to_contain_text(QUESTION)
    agent.fill("#ticket-composer-body", "Yes: every order can be gift-wrapped for 4 EUR, chosen at checkout.")
    agent.get_by_role("button", name="Reply to customer").click()
    expect(agent.locator("#ticket-thread")).to_contain_text("gift-wrapped for 4 EUR")
    expect(agent.locator("#ticket-state")).to_contain_text("Pending")
    screenshot(agent, "loop-2-agent-replied")

    reply = live_daphne.wait_for_email(lambda m: number in m["subject"] and "gift-wrapped" in text_of(m))
    link = LINK.search(text_of(reply)).group(0)

    guest.goto(link)
    expect(guest.locator(".thread")).to_contain_text("gift-wrapped for 4 EUR")
    expect(guest.locator(".thread")).to_contain_text(QUESTION)
    guest.fill("#reply-body", "Wonderful, thank you. Can the card say Happy birthday Léa?")
    guest.get_by_role("button", name="Send reply").click()
    expect(guest.locator(".thread")).to_contain_text("Happy birthday Léa")
    screenshot(guest, "loop-3-guest-answered")

    # The agent's page was not reloaded: the answer arrives live, and the ticket is open again.
    expect(agent.locator("#ticket-thread")).to_contain_text("Happy birthday Léa")
    expect(agent.locator("[data-role=ticket-live]")).to_contain_text("The customer replied")
    expect(agent.locator("#ticket-state")).to_contain_text("Open")
    screenshot(agent, "loop-4-agent-sees-the-answer")
    assert not guest.errors and not agent.errors
