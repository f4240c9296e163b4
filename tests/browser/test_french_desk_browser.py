"""The desk in French has no English string: each page, opened by an agent whose browser asks for French, is
checked against the English msgids of our catalog and of Django's admin (tests/browser/french.py).

A page added to the desk is one FrenchPage line in PAGES. The availability panel is part of the queue's and the
console's pages; the KPI page is a manager's.
"""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_admin, screenshot
from tests.browser.french import FrenchPage, untranslated_strings

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGES = [
    FrenchPage("admin index", "/admin/"),
    FrenchPage("support queue (availability panel)", "/admin/desk/queue/"),
    FrenchPage("all tickets (the Ticket changelist)", "/admin/tickets/ticket/"),
    FrenchPage("desk ticket page (a live hand-off)", "/admin/desk/tickets/{ticket}/"),
    FrenchPage("desk ticket page (a follow-up answered by email)", "/admin/desk/tickets/{follow_up}/"),
    FrenchPage("conversation console (availability panel)", "/admin/console/{conversation}/"),
    FrenchPage("canned replies (admin)", "/admin/desk/cannedreply/", user="admin", data=("#result_list tbody",)),
    FrenchPage("customer page", "/admin/desk/customers/{customer}/"),
    FrenchPage("KPI page", "/admin/kpis/", user="maya"),
    FrenchPage("questions without an answer", "/admin/faq/unansweredquestion/", user="admin",
               data=(".gap-group h2", ".gap-examples q", ".gap-nearest a")),
    FrenchPage("FAQ entries (admin)", "/admin/faq/faqentry/", user="admin", data=("#result_list tbody",)),
    FrenchPage("FAQ entry with its preview", "/admin/faq/faqentry/{faq_entry}/change/", user="admin",
               data=("textarea", ".faq-preview-results td a")),
    FrenchPage("FAQ topic side by side", "/admin/faq/faqentry/topic/{faq_key}/", user="admin",
               data=("textarea",)),
]


def in_a_thread(function, *args, **kwargs):
    """Playwright's sync API keeps an event loop in the test's thread, where a service's broadcast (async_to_sync)
    cannot run: the data is made in a thread of its own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.fixture
def desk_data(demo_store):
    """What the pages show: Emma's live hand-off waiting in the queue (the chat's transcript, its card, its
    summary) with an internal note, her follow-up answered by email (its status history), her orders."""
    from django.contrib.auth.models import User

    from assistant.llm.offline import OfflineBackend
    from orders.models import Customer
    from tests.conversations.helpers import say, start_conversation
    from tickets import services as tickets
    from tickets.models import Ticket

    emma = Customer.objects.get(email="emma.martin@example.com")
    conversation = in_a_thread(asyncio.run, start_conversation(emma))
    in_a_thread(asyncio.run, say(conversation, "I want to talk to a human please", OfflineBackend()))
    ticket = Ticket.objects.get(conversation=conversation, kind=Ticket.Kind.HANDOFF)
    sam = User.objects.get(username="sam")
    in_a_thread(tickets.add_internal_note, ticket=ticket, agent=sam, body="Checking the order.")
    follow_up = in_a_thread(tickets.create_follow_up, subject="Invoice for ORD-78432", category="billing",
                            priority="low", description="Please send the invoice.", customer_email=emma.email,
                            email_verified=True, customer_name=emma.name)
    in_a_thread(tickets.reply_to_customer, ticket=follow_up, agent=sam, body="Here it is, attached.")
    from faq.models import FaqEntry

    entry = FaqEntry.objects.get(key="shipping-times", language="fr")
    return {"ticket": ticket.number, "follow_up": follow_up.number, "conversation": conversation.pk,
            "customer": emma.pk, "faq_entry": entry.pk, "faq_key": entry.key}


@pytest.mark.parametrize("desk_page", PAGES, ids=str)
def test_the_desk_page_shows_no_english_string(desk_data, live_daphne, new_page, desk_page):
    page = new_page(locale="fr-FR")
    login_admin(page, live_daphne.url, desk_page.user, desk_page.user)
    response = page.goto(live_daphne.url + desk_page.path.format(**desk_data))
    assert response.ok, (desk_page.path, response.status)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.wait_for_load_state("networkidle")  # the live pages' scripts have set their lines
    screenshot(page, "french-" + "-".join(re.findall(r"\w+", desk_page.name.split(",")[0])))
    assert untranslated_strings(page, desk_page.data) == []
    assert page.errors == []
