"""An admin previews in a real browser how the assistant would answer a question with an FAQ entry, then opens the
entry's topic with its English and French side by side."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_admin, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIZES = [(1280, 800), (1024, 768)]


def fits_the_window(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def side_by_side(page, left: str, right: str) -> bool:
    """The two columns stand side by side, once the page's layout has settled (fonts, the admin's sidebar)."""
    page.evaluate("document.fonts.ready")
    for _ in range(20):
        first, second = page.locator(left).bounding_box(), page.locator(right).bounding_box()
        if first["x"] + first["width"] <= second["x"] + 0.5 and abs(first["y"] - second["y"]) <= 0.5:
            return True
        page.wait_for_timeout(100)
    return False


def test_an_admin_previews_the_assistants_answer_and_opens_both_languages(demo_store, live_daphne, new_page):
    page = new_page()
    login_admin(page, live_daphne.url, "admin", "admin")
    page.goto(f"{live_daphne.url}/admin/faq/faqentry/")
    page.locator("#result_list a", has_text="How do I return an item?").click()
    change_url = page.url
    preview = page.locator("#faq-preview-q")
    expect(preview).to_have_value("How do I return an item?")

    # As the admin types, the results follow (the script, not a reload of the page).
    preview.fill("")
    preview.press_sequentially("Is the store open on Sundays?")
    sentence = page.locator(".faq-preview-sentence")
    expect(sentence).to_have_text("The assistant would say it has no answer and offer a ticket.")
    preview.fill("")
    preview.press_sequentially("how to return an item")
    expect(sentence).to_have_text("The assistant would answer with: How do I return an item?")
    this_row = page.locator(".faq-preview-above .faq-preview-this")
    expect(this_row).to_contain_text("This entry")
    expect(this_row.locator(".faq-preview-position")).to_have_text("1")
    expect(page.locator(".faq-preview-group").first).to_contain_text("relevance bar")
    assert page.url == change_url
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert fits_the_window(page), width
        screenshot(page, f"faq-admin-preview-{width}")

    page.click("text=Edit English and French side by side")
    expect(page.locator("h1")).to_contain_text("returns-how")
    expect(page.locator("#id_en-question")).to_have_value("How do I return an item?")
    expect(page.locator("#id_fr-question")).to_have_value("Comment retourner un article ?")
    assert side_by_side(page, "#faq-topic-en", "#faq-topic-fr")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        assert fits_the_window(page), width
        screenshot(page, f"faq-admin-topic-{width}")
    assert not page.errors
