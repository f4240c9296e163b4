"""Escalation and live takeover in a real browser: a customer and an agent, two browser contexts."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_admin, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_customer_asks_for_a_person_and_an_agent_takes_over_from_the_live_queue(demo_store, live_daphne, new_page):
    agent = new_page()
    login_admin(agent, live_daphne.url, "sam", "sam")
    agent.goto(f"{live_daphne.url}/admin/desk/queue/")
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    expect(agent.locator("[data-role=queue-badge]")).to_have_text("0 waiting in the chat")

    customer = new_page()
    customer.goto(f"{live_daphne.url}/chat/")
    customer.fill("#chat-input", "I want to talk to a real person please")
    customer.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.action.handoff")).to_contain_text("A person will join")
    expect(customer.locator("[data-role=banner]")).to_contain_text("Waiting for a member of our team")

    # The queue updates without a reload.
    expect(agent.locator("[data-role=queue-badge]")).to_have_text("1 waiting in the chat")
    take = agent.locator("#queue-table a.take-over").first
    expect(take).to_be_visible()
    screenshot(agent, "agent-queue-live")
    take.click()
    expect(agent.locator("[data-role=transcript] .customer")).to_contain_text("real person")
    agent.click("[data-role=take]")
    expect(agent.locator("[data-role=status]")).to_have_text("With an agent")

    expect(customer.locator("#chat .msg.notice")).to_contain_text("Sam joined the conversation")
    agent.fill("#agent-input", "Hi, I'm Sam from the support team. How can I help?")
    agent.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.agent")).to_contain_text("I'm Sam")
    customer.fill("#chat-input", "My parcel never arrived")
    customer.keyboard.press("Enter")
    expect(agent.locator("[data-role=transcript] .customer").last).to_contain_text("never arrived")
    screenshot(agent, "agent-console")
    screenshot(customer, "customer-with-agent")

    agent.click("[data-role=resolve]")
    expect(customer.locator("[data-role=csat]")).to_be_visible()
    assert not customer.errors and not agent.errors
