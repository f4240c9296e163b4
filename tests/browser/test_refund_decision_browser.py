"""A refund above the threshold, decided from the desk in a real browser: the customer's open chat shows it, and a
colleague's open ticket page follows without a reload."""

import re

import pytest
from playwright.sync_api import expect

from helpdesk.models import OutboundEmail
from orders.models import Order, Refund
from tests.browser.conftest import login_admin, login_customer, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def ask_for_the_laptop_refund(page, base_url):
    login_customer(page, base_url, "lucas.bernard@example.fr")
    page.goto(f"{base_url}/chat/")
    page.fill("#chat-input", "My laptop from order ORD-66210 is defective, I want a refund.")
    page.keyboard.press("Enter")
    expect(page.locator("#chat .msg.action.refund_pending")).to_be_visible()
    expect(page.locator("[data-role=banner]")).to_contain_text("Waiting for a member of our team")


def open_the_approval_ticket(page, base_url):
    page.goto(f"{base_url}/admin/tickets/ticket/")
    page.locator("#result_list a", has_text=re.compile("Approve refund")).first.click()
    page.wait_for_url(re.compile(r"/admin/desk/tickets/TCK-\d+/$"))


def test_an_approval_from_the_desk_reaches_the_customers_chat_and_a_colleagues_page(demo_store, live_daphne,
                                                                                      new_page):
    customer = new_page()
    ask_for_the_laptop_refund(customer, live_daphne.url)

    colleague = new_page()
    login_admin(colleague, live_daphne.url, "lea", "lea")
    open_the_approval_ticket(colleague, live_daphne.url)
    colleague.fill("#ticket-composer-body", "Half a note")

    agent = new_page()
    login_admin(agent, live_daphne.url, "sam", "sam")
    open_the_approval_ticket(agent, live_daphne.url)
    expect(agent.locator("#ticket-transcript")).to_contain_text("ORD-66210 is defective")
    screenshot(agent, "desk-ticket-refund-pending")
    agent.click("form.refund-approve button")
    expect(agent.locator(".messagelist")).to_contain_text("Refund approved")
    expect(agent.locator("#ticket-state")).to_contain_text("Solved")

    card = customer.locator("#chat .msg.action.refund")
    expect(card).to_contain_text("Refund made")
    expect(customer.locator("#chat .msg.agent")).to_contain_text("I approved your refund")
    expect(customer.locator("[data-role=banner]")).to_be_hidden()
    screenshot(customer, "storefront-refund-approved")

    # The colleague's page follows without a reload, and keeps what she was typing.
    expect(colleague.locator("[data-role=ticket-live]")).to_have_text("The ticket was solved.")
    expect(colleague.locator("#ticket-state")).to_contain_text("Solved")
    expect(colleague.locator("#ticket-thread .entry.note")).to_contain_text("approved by Sam")
    assert colleague.input_value("#ticket-composer-body") == "Half a note"

    assert Order.objects.get(number="ORD-66210").refunded_total == Refund.objects.get(order__number="ORD-66210").amount
    assert OutboundEmail.objects.filter(kind="refund_approved").count() == 1
    assert not customer.errors and not agent.errors and not colleague.errors


def test_a_decline_from_the_desk_tells_the_customer_why(demo_store, live_daphne, new_page):
    customer = new_page()
    ask_for_the_laptop_refund(customer, live_daphne.url)
    agent = new_page()
    login_admin(agent, live_daphne.url, "sam", "sam")
    open_the_approval_ticket(agent, live_daphne.url)
    agent.fill("#refund-decline-reason", "The screen was broken by a fall, which the warranty does not cover.")
    agent.click("form.refund-decline button")
    expect(agent.locator("#ticket-state")).to_contain_text("Solved")

    card = customer.locator("#chat .msg.action.refund_declined")
    expect(card).to_contain_text("Refund not approved")
    expect(card).to_contain_text("broken by a fall")
    screenshot(customer, "storefront-refund-declined")
    assert Order.objects.get(number="ORD-66210").refunded_total == 0
    assert not customer.errors and not agent.errors
