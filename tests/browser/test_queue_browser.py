"""The queue in a real browser: every column and action inside the window at laptop widths (and the admin's other
lists too), a hand-off arriving live (rows, counts, tab title, without a reload), and the opt-in notification."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.browser.conftest import login_admin, screenshot
from tests.factories import ConversationFactory, TicketFactory
from tickets import services as tickets
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize("width, height", [(1024, 768), (1280, 800)], ids=["1024", "1280"])

# Everything that is not inside the window: the boxes of `selector` whose right edge is past window.innerWidth
# (or left edge before 0), and whether the page scrolls sideways.
OUTSIDE_THE_WINDOW = """(selector) => {
  const outside = [...document.querySelectorAll(selector)].filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width === 0 || box.left < 0 || box.right > window.innerWidth;
  }).map((element) => element.textContent.trim().slice(0, 30));
  return { outside, scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth,
           count: document.querySelectorAll(selector).length };
}"""

# The cells whose content is wider than they are (it spills over the next cell, or is cut off).
SPILLING_CELLS = """() => [...document.querySelectorAll("#queue-table th, #queue-table td")]
  .filter((cell) => cell.scrollWidth > cell.clientWidth + 1).map((cell) => cell.className || cell.textContent.trim())"""

# The admin's lists scroll inside their own box when too wide: what is past that box's right edge is cut off too.
CLIPPED_IN_THE_LIST = """() => {
  const results = document.querySelector("#changelist-form .results");
  const right = Math.min(results.getBoundingClientRect().right, window.innerWidth);
  const cells = [...document.querySelectorAll("#result_list thead th, #result_list tbody tr:first-child > *")];
  return { clipped: cells.filter((cell) => cell.getBoundingClientRect().right > right + 0.5)
             .map((cell) => cell.className), scrolls: results.scrollWidth > results.clientWidth, cells: cells.length };
}"""


def a_busy_queue():
    """Rows with long subjects, addresses and SLA labels, of every kind of action."""
    long_email = "a.very.long.address.for.testing.the.queue@example-domain.co.uk"
    for priority, subject in [("urgent", "Approve refund of 39.98 EUR on ORD-66210 for the defective laptop"),
                              ("high", "My parcel has been stuck at the depot for eleven days and nobody answers"),
                              ("medium", "Speaker crackles at high volume after the firmware update"),
                              ("low", "Where is my order?")]:
        ticket = TicketFactory(subject=subject, priority=priority, customer_email=long_email)
        Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=timezone.now() - timedelta(hours=5))
    for subject in ["Customer asked for a person", "Wants a person about the warranty of the espresso machine"]:
        conversation = ConversationFactory(status=Conversation.Status.WAITING, escalated_at=timezone.now(),
                                           verified_email=long_email)
        tickets.open_handoff(conversation_id=conversation.pk, subject=subject, reason="asked", priority="high",
                             summary="", customer_email=long_email)
    conversation = ConversationFactory(status=Conversation.Status.BOT)
    TicketFactory(subject="Follow-up of a chat still going on", conversation=conversation)


def agent_on_the_queue(new_page, base_url, width=1280, height=800, init_script=None):
    agent = new_page()
    agent.set_viewport_size({"width": width, "height": height})
    if init_script:
        agent.add_init_script(init_script)
    login_admin(agent, base_url, "sam", "sam")
    agent.goto(f"{base_url}/admin/desk/queue/")
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    return agent


def ask_for_a_human(new_page, base_url):
    customer = new_page()
    customer.goto(f"{base_url}/chat/")
    customer.fill("#chat-input", "I want to talk to a human")
    customer.keyboard.press("Enter")
    expect(customer.locator("#chat .msg.action.handoff")).to_be_visible()
    return customer


# --- it fits ------------------------------------------------------------------------------------------------------

@WIDTHS
def test_every_column_and_every_action_of_the_queue_is_inside_the_window(demo_store, live_daphne, new_page,
                                                                         width, height):
    a_busy_queue()
    agent = agent_on_the_queue(new_page, live_daphne.url, width, height)
    headers = agent.evaluate(OUTSIDE_THE_WINDOW, "#queue-table thead th")
    actions = agent.evaluate(OUTSIDE_THE_WINDOW, "#queue-table tbody td.queue-action .button")
    cells = agent.evaluate(OUTSIDE_THE_WINDOW, "#queue-table tbody td")
    spilling = agent.evaluate(SPILLING_CELLS)
    screenshot(agent, f"queue-{width}")
    assert headers["count"] == 9 and headers["outside"] == []
    assert actions["count"] == 7 and actions["outside"] == []
    assert cells["outside"] == [] and spilling == []
    assert headers["scrollWidth"] <= headers["innerWidth"]
    assert agent.locator("#queue-table a.take-over").count() == 2
    assert not agent.errors


@WIDTHS
@pytest.mark.parametrize("path", ["tickets/ticket", "conversations/conversation", "orders/refund", "orders/order"])
def test_the_admin_lists_show_every_column_inside_the_window(demo_store, live_daphne, new_page, width, height, path):
    a_busy_queue()
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    login_admin(page, live_daphne.url, "admin", "admin")
    page.goto(f"{live_daphne.url}/admin/{path}/")
    fit = page.evaluate(CLIPPED_IN_THE_LIST)
    window = page.evaluate(OUTSIDE_THE_WINDOW, "#result_list thead th")
    screenshot(page, f"admin-{path.replace('/', '-')}-{width}")
    assert fit["cells"] > 3 and fit["clipped"] == [] and not fit["scrolls"]
    assert window["outside"] == [] and window["scrollWidth"] <= window["innerWidth"]
    assert not page.errors


# --- live ---------------------------------------------------------------------------------------------------------

ROW_TOP = "(ticket) => document.querySelector(`tr[data-ticket='${ticket}']`).getBoundingClientRect().top"


def test_a_hand_off_arriving_updates_the_rows_the_counts_and_the_tab_title_without_a_reload(demo_store, live_daphne,
                                                                                          new_page):
    lea = User.objects.get(username="lea")
    for number in range(20):
        TicketFactory(subject=f"Older question {number}", assignee=lea, status=Ticket.Status.OPEN)
    agent = agent_on_the_queue(new_page, live_daphne.url)
    expect(agent).to_have_title(re.compile(r"^Support queue \|"))
    expect(agent.locator("[data-role=count-unassigned]")).to_have_text("0")
    expect(agent.locator("[data-role=count-open]")).to_have_text("20")
    agent.evaluate("window.notReloaded = true")
    agent.locator("[data-focus=tab-unassigned]").focus()
    agent.evaluate("window.scrollTo(0, 300)")
    eighth = agent.locator("#queue-table tbody tr:nth-child(8)").get_attribute("data-ticket")
    on_screen = agent.evaluate(ROW_TOP, eighth)

    ask_for_a_human(new_page, live_daphne.url)

    row = agent.locator("#queue-table tbody tr.customer-waiting")
    expect(row).to_have_count(1)
    expect(row.locator("a.take-over")).to_have_text("Take over")
    expect(agent.locator("[data-role=count-unassigned]")).to_have_text("1")
    expect(agent.locator("[data-role=count-open]")).to_have_text("21")
    expect(agent.locator("#queue-table tbody tr")).to_have_count(21)
    expect(agent.locator("[data-role=queue-summary]")).to_have_text("21 open tickets")
    expect(agent.locator("[data-role=queue-badge]")).to_have_text("1 waiting in the chat")
    expect(agent).to_have_title(re.compile(r"^\(1\) Support queue \|"))
    expect(agent.locator("[data-role=queue-announce]")).to_contain_text("New hand-off TCK-")
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    assert agent.evaluate("window.notReloaded") is True
    assert agent.evaluate("document.activeElement.dataset.focus") == "tab-unassigned"
    # The agent's place is kept: the row they were looking at has not moved on screen (the new one came above it).
    assert abs(agent.evaluate(ROW_TOP, eighth) - on_screen) <= 1 and agent.evaluate("window.scrollY") > 300
    screenshot(agent, "queue-live-hand-off")

    # Taken over from the console in another tab: the row, the counts and the title follow.
    console = agent.context.new_page()
    console.goto(live_daphne.url + row.locator("a.take-over").get_attribute("href"))
    expect(console.locator("[data-role=connection]")).to_have_text("Live")
    console.click("[data-role=take]")
    expect(console.locator("[data-role=status]")).to_have_text("With an agent")
    expect(agent.locator("[data-role=count-mine]")).to_have_text("1")
    expect(agent.locator("[data-role=count-unassigned]")).to_have_text("0")
    expect(agent.locator("#queue-table a.take-over")).to_have_count(0)
    expect(agent).to_have_title(re.compile(r"^Support queue \|"))
    assert agent.evaluate("window.notReloaded") is True
    assert not agent.errors


# --- notifications --------------------------------------------------------------------------------------------------

# The browser's Notification, recorded: what was shown, and whether permission was asked (its state starts as
# "not asked yet", then is what the browser answers: the context grants it). Oscillators started count the chimes.
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.shown = [];
  window.permissionAsked = 0;
  window.oscillators = 0;
  let state = Real.permission === "granted" ? "granted" : "default";
  class Recorded extends Real {
    constructor(title, options) {
      window.shown.push({ title, body: options && options.body });
      super(title, options);
    }
    static get permission() { return state; }
    static async requestPermission() {
      window.permissionAsked += 1;
      state = await Real.requestPermission();
      return state;
    }
  }
  window.Notification = Recorded;
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.oscillators += 1; return createOscillator.call(this); };
})();
"""


def test_notify_me_asks_permission_on_click_and_a_new_hand_off_notifies_and_chimes(demo_store, live_daphne,
                                                                                   new_page):
    agent = agent_on_the_queue(new_page, live_daphne.url, init_script=RECORD_NOTIFICATIONS)
    agent.context.grant_permissions(["notifications"], origin=live_daphne.url)
    toggle = agent.locator("[data-role=notify-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert agent.evaluate("[window.permissionAsked, window.shown.length, window.oscillators]") == [0, 0, 0]

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(agent.locator("[data-role=notify-note]")).to_contain_text("On:")
    assert agent.evaluate("window.permissionAsked") == 1

    customer = ask_for_a_human(new_page, live_daphne.url)
    agent.wait_for_function("() => window.shown.length === 1")
    shown = agent.evaluate("window.shown[0]")
    assert re.fullmatch(r"New hand-off TCK-\d+: .+", shown["title"]) and shown["body"]
    assert agent.evaluate("window.oscillators") > 0

    # Other changes notify nobody: the customer writes again, a colleague takes the chat over.
    chimes = agent.evaluate("window.oscillators")
    customer.fill("#chat-input", "Hello? Anyone there?")
    customer.keyboard.press("Enter")
    colleague = new_page()
    login_admin(colleague, live_daphne.url, "lea", "lea")
    colleague.goto(f"{live_daphne.url}/admin/desk/queue/")
    colleague.locator("#queue-table a.take-over").first.click()
    expect(colleague.locator("[data-role=connection]")).to_have_text("Live")
    colleague.click("[data-role=take]")
    expect(agent.locator("[data-role=count-unassigned]")).to_have_text("0")
    assert agent.evaluate("[window.shown.length, window.oscillators]") == [1, chimes]

    # The choice is remembered; nothing plays on load.
    agent.reload()
    expect(agent.locator("[data-role=queue-live]")).to_have_text("Live")
    expect(agent.locator("[data-role=notify-toggle]")).to_have_attribute("aria-pressed", "true")
    assert agent.evaluate("[window.shown.length, window.oscillators]") == [0, 0]
    assert not agent.errors and not colleague.errors


def test_a_browser_without_notifications_says_so_next_to_the_toggle(demo_store, live_daphne, new_page):
    agent = agent_on_the_queue(new_page, live_daphne.url, init_script="delete window.Notification;")
    expect(agent.locator("[data-role=notify-toggle]")).to_be_disabled()
    expect(agent.locator("[data-role=notify-note]")).to_have_text("This browser cannot show notifications.")
    assert not agent.errors
