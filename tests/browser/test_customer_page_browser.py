"""The customer page in a real browser: an agent follows the customer link of a ticket's page and reads the
customer's orders, conversations and tickets, all of it inside the window at 1024 px."""

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.browser.conftest import login_admin, screenshot
from tickets import services as tickets

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_agent_follows_the_customer_link_of_a_ticket_and_sees_the_whole_customer_at_1024(
        demo_store, emma, live_daphne, new_page):
    ticket = tickets.create_follow_up(subject="My speaker crackles at high volume", category="technical",
                                      priority="high", description="It crackles.", customer_email=emma.email,
                                      email_verified=True)
    Conversation.objects.create(customer=emma, language="en", backend="offline", status=Conversation.Status.CLOSED,
                                outcome=Conversation.Outcome.RESOLVED_BY_ASSISTANT, csat_score=5)
    agent = new_page()
    agent.set_viewport_size({"width": 1024, "height": 900})
    login_admin(agent, live_daphne.url, "sam", "sam")
    agent.goto(f"{live_daphne.url}/admin/desk/tickets/{ticket.number}/")
    agent.locator("a.customer-link").click()

    page = agent.locator("#customer-page")
    expect(agent.locator("h1")).to_contain_text("Emma Martin")
    expect(page.locator("#customer-orders")).to_contain_text("ORD-78432")
    expect(page.locator("#customer-orders")).to_contain_text("$89.99")
    expect(page.locator("#customer-conversations")).to_contain_text("Resolved by the assistant")
    expect(page.locator("#customer-tickets")).to_contain_text(ticket.number)

    # Nothing cut off or scrolled sideways at 1024 px: every list and every cell ends inside the window.
    assert agent.evaluate("document.documentElement.scrollWidth") <= 1024
    rights = agent.evaluate("""() => Array.from(document.querySelectorAll(
        '#customer-page section, #customer-page th, #customer-page td')).map(el => el.getBoundingClientRect().right)""")
    assert rights and max(rights) <= 1024
    screenshot(agent, "customer-page-1024")
    agent.locator("#customer-tickets").get_by_role("link", name=ticket.number).click()
    expect(agent.locator("h1")).to_contain_text(ticket.number)
    assert not agent.errors
