"""Questions without an answer, in a real browser: an admin finds a question the FAQ could not answer, adds it as a
phrasing of the entry that answers it, and the customer who asks it again gets that entry; the page at laptop
widths; and (once the search tool records what it could not answer) a question asked in the widget reaching it."""

import time
import uuid

import pytest
from playwright.sync_api import expect

from faq import gaps
from faq.models import FaqEntry, UnansweredQuestion
from faq.search import rank, relevance_bar, search_faq
from tests.browser.conftest import login_admin, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

QUESTION = "Do you send parcels overseas?"
WIDTHS = pytest.mark.parametrize("width, height", [(1280, 800), (1024, 768)], ids=["1280", "1024"])
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def record_as_the_search_does(question, language="en"):
    """What the search_faq tool records for a question it found nothing at or above the bar for."""
    best = rank(question, language=language, limit=1)
    nearest = best[0] if best and best[0].score < relevance_bar() else None
    return gaps.record_unanswered(question, language=language, source="search", conversation_id=uuid.uuid4(),
                                  nearest=nearest)


def ask_in_the_widget(page, base_url, text):
    page.goto(f"{base_url}/chat/")
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")
    answers = page.locator("#chat .msg.assistant:not(.intro):not(.streaming)")
    expect(answers).to_have_count(1)
    return answers.last


def open_the_gaps_page(page, base_url):
    login_admin(page, base_url, "admin", "admin")
    page.click("#content-main .app-faq a:has-text('Questions without an answer')")
    expect(page.locator("#content h1")).to_have_text("Questions without an answer")


def card_of(page, question):
    return page.locator("article.gap-group", has=page.locator("h2", has_text=question))


def test_an_admin_adds_the_question_as_a_phrasing_and_the_customer_asking_it_again_gets_the_entry(
        demo_store, live_daphne, new_page):
    countries = FaqEntry.objects.get(key="shipping-countries", language="en")
    assert search_faq(QUESTION, language="en") == []  # what the customer got: no article
    for asked in ("do you send parcels overseas", "Do you send orders overseas?", QUESTION):
        record_as_the_search_does(asked)

    admin = new_page()
    admin.set_viewport_size({"width": 1280, "height": 800})
    open_the_gaps_page(admin, live_daphne.url)
    card = card_of(admin, QUESTION)
    expect(card.locator(".gap-count")).to_have_text("3 times")
    expect(card.locator(".gap-language")).to_have_text("EN")
    expect(card.locator(".gap-nearest")).to_be_visible()
    card.locator(".gap-examples summary").click()
    expect(card.locator(".gap-examples li")).to_have_count(2)
    screenshot(admin, "content-gaps-1280")

    card.locator("a:has-text('Add as a phrasing of…')").click()
    admin.select_option("#gap-entry", str(countries.pk))
    screenshot(admin, "content-gaps-phrasing-1280")
    admin.click("input[type=submit][value='Add as a phrasing']")
    expect(admin.locator(".messagelist .success")).to_have_text(
        "Added as a way to ask “Which countries do you ship to?” (3 questions answered). "
        "The same question now finds it.")
    expect(card_of(admin, QUESTION)).to_have_count(0)

    assert search_faq(QUESTION, language="en")[0].id == countries.pk
    assert set(UnansweredQuestion.objects.filter(text__icontains="overseas").values_list(
        "state", "answered_by_entry")) == {(UnansweredQuestion.State.ANSWERED, countries.pk)}
    answer = ask_in_the_widget(new_page(), live_daphne.url, QUESTION)
    expect(answer).to_contain_text("We ship to the United States, Canada, the United Kingdom")
    assert admin.errors == []


def test_an_admin_writes_a_new_entry_for_a_group_and_the_same_question_finds_it(demo_store, live_daphne, new_page):
    question = "Do you offer a student discount?"
    admin = new_page()
    admin.set_viewport_size({"width": 1280, "height": 800})
    open_the_gaps_page(admin, live_daphne.url)
    card_of(admin, question).locator("a:has-text('Write a new entry')").click()
    expect(admin.locator("#id_question")).to_have_value(question)
    expect(admin.locator("#id_language")).to_have_value("en")
    expect(admin.locator(".messagelist .info")).to_contain_text("Writing the answer to 3 customer questions")
    admin.fill("#id_answer", "Yes: students get 10% off with a valid student card, at checkout.")
    admin.select_option("#id_category", "payment")
    screenshot(admin, "content-gaps-new-entry-1280")
    admin.click("input[name=_publish]")
    expect(admin.locator("#content h1")).to_have_text("Questions without an answer")
    expect(admin.locator(".messagelist .success").last).to_contain_text(
        f"“{question}” answers 3 customer questions; their wordings are now its phrasings. "
        "The same question now finds it.")
    entry = FaqEntry.objects.get(question=question)
    for asked in (question, "student discount?"):
        assert search_faq(asked, language="en")[0].id == entry.pk
    screenshot(admin, "content-gaps-after-new-entry-1280")
    assert admin.errors == []


@WIDTHS
def test_the_page_and_the_phrasing_form_fit_the_window(demo_store, live_daphne, new_page, width, height):
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    open_the_gaps_page(page, live_daphne.url)
    expect(page.locator("article.gap-group").first).to_be_visible()
    for details in page.locator(".gap-examples summary").all()[:3]:
        details.click()
    page.locator(".gap-ignore summary").first.click()
    assert page.evaluate(SIDEWAYS) <= 0
    actions = page.locator(".gap-actions").first.bounding_box()
    assert actions["x"] + actions["width"] <= width
    screenshot(page, f"content-gaps-{width}")
    page.locator("a:has-text('Add as a phrasing of…')").first.click()
    expect(page.locator("#gap-entry")).to_be_visible()
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, f"content-gaps-phrasing-{width}")
    assert page.errors == []


def _the_search_tool_records_unanswered_questions() -> bool:
    """Whether, on this branch, the assistant's search_faq tool records what it found nothing good for (the wiring
    of faq.gaps.record_unanswered into assistant/tools.py): one throwaway call, undone."""
    from assistant.tools import ToolContext, run_tool
    from tests.factories import ConversationFactory

    conversation = ConversationFactory()
    probe = "zyxwvut quixotic wombat"
    run_tool("search_faq", {"query": probe}, ToolContext(conversation.pk))
    recorded = UnansweredQuestion.objects.filter(conversation_id=conversation.pk)
    found = recorded.exists()
    recorded.delete()
    conversation.delete()
    return found


def test_a_question_the_faq_cannot_answer_asked_in_the_widget_reaches_the_page(demo_store, live_daphne, new_page):
    """The real path: a customer asks in the widget, the offline assistant's search finds nothing, and the question
    is on the admins' page. Skipped where the search tool does not record unanswered questions yet."""
    if not _the_search_tool_records_unanswered_questions():
        pytest.skip("the search_faq tool does not call faq.gaps.record_unanswered on this branch yet")
    question = "Do you offer gift wrapping?"
    customer = new_page()
    ask_in_the_widget(customer, live_daphne.url, question)
    deadline = time.monotonic() + 10
    while not UnansweredQuestion.objects.filter(text=question).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    admin = new_page()
    open_the_gaps_page(admin, live_daphne.url)
    card = card_of(admin, question)
    expect(card.locator(".gap-count")).to_have_text("1 time")
    expect(card).to_contain_text("No good article")
