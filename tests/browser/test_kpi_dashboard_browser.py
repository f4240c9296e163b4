"""The KPI dashboard rendered in a real browser, with the demo history behind it."""

import threading

import pytest
from playwright.sync_api import expect

from storefront.demo.conversations import DemoHistory
from tests.browser.conftest import login_admin, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_manager_sees_the_kpis_against_their_targets(demo_store, live_daphne, new_page):
    # The history runs its own event loop: not in this thread, where Playwright's runs.
    worker = threading.Thread(target=DemoHistory(count=20).build)
    worker.start()
    worker.join()
    page = new_page()
    login_admin(page, live_daphne.url, "admin", "admin")
    page.goto(f"{live_daphne.url}/admin/")
    page.click("text=Support KPIs")
    expect(page.locator(".kpi")).to_have_count(5)
    expect(page.locator(".kpi-charts svg.chart")).to_have_count(3)
    screenshot(page, "kpi-dashboard")
    assert not page.errors
