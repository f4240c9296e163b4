"""The queue, the desk page agents work from: its views and their counts, its order, its cells, its live fragment."""

import html as markup
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from desk import queue
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    CustomerFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services as tickets
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

QUEUE = reverse("desk-queue")




def follow_up(subject, **fields) -> Ticket:
    return TicketFactory(subject=subject, **fields)


def waiting_handoff(subject, priority=Ticket.Priority.MEDIUM, **conversation_fields) -> Ticket:
    """A live hand-off whose customer waits in the chat for a person."""
    conversation = ConversationFactory(status=Conversation.Status.WAITING, escalated_at=timezone.now(),
                                       **conversation_fields)
    ticket, _created = tickets.open_handoff(conversation_id=conversation.pk, subject=subject, reason="asked",
                                            priority=priority, summary="", customer_email="guest@example.com")
    return ticket


def aged(ticket: Ticket, **delta) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(**delta))
    return ticket


def due_in(ticket: Ticket, **delta) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=timezone.now() + timedelta(**delta))
    return ticket


def page(client, **params) -> str:
    return client.get(QUEUE, params).content.decode()


def rows(html: str) -> list[str]:
    """The subjects of the rows, in order."""
    return [markup.unescape(subject) for subject in re.findall(r'<span class="queue-subject">([^<]*)</span>', html)]


def tab_count(html: str, view: str) -> int:
    return int(re.search(rf'data-role="count-{view}">(\d+)<', html).group(1))


# --- who may open it --------------------------------------------------------------------------------------------

def test_a_support_agent_opens_the_queue(desk):
    response = desk.get(QUEUE)
    assert response.status_code == 200 and "Support queue" in response.content.decode()


def test_staff_who_are_not_support_agents_are_refused(client):
    client.force_login(StaffFactory())
    assert client.get(QUEUE).status_code == 403


def test_staff_who_are_not_support_agents_get_no_fragment_either(client):
    follow_up("Secret")
    client.force_login(StaffFactory())
    response = client.get(QUEUE, {"fragment": "1"})
    assert response.status_code == 403 and "Secret" not in response.content.decode()


def test_someone_not_logged_in_is_sent_to_the_admin_login(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_a_customer_account_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())
    response = client.get(QUEUE)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


# --- the views and their counts -----------------------------------------------------------------------------------

@pytest.fixture
def spread(sam):
    """Two tickets of Sam's, one of Léa's, two of nobody's (one a waiting hand-off), one of Sam's solved."""
    lea = AgentFactory(username="lea", first_name="Léa")
    follow_up("Sam's first", assignee=sam, status=Ticket.Status.OPEN)
    follow_up("Sam's pending", assignee=sam, status=Ticket.Status.PENDING)
    follow_up("Lea's", assignee=lea, status=Ticket.Status.OPEN)
    follow_up("Nobody's")
    waiting_handoff("Customer waiting")
    follow_up("Sam's solved", assignee=sam, status=Ticket.Status.SOLVED)


def test_mine_lists_the_open_tickets_assigned_to_me(desk, spread):
    assert sorted(rows(page(desk, view="mine"))) == ["Sam's first", "Sam's pending"]


def test_unassigned_lists_the_open_tickets_nobody_has(desk, spread):
    assert sorted(rows(page(desk, view="unassigned"))) == ["Customer waiting", "Nobody's"]


def test_all_open_lists_every_open_ticket_and_no_solved_one(desk, spread):
    assert sorted(rows(page(desk, view="open"))) == ["Customer waiting", "Lea's", "Nobody's", "Sam's first",
                                                     "Sam's pending"]


def test_every_tab_shows_its_own_count_whichever_view_is_shown(desk, spread):
    html = page(desk, view="mine")
    assert (tab_count(html, "mine"), tab_count(html, "unassigned"), tab_count(html, "open")) == (2, 2, 5)


def test_the_current_tab_is_marked_as_the_current_page(desk, spread):
    html = page(desk, view="unassigned")
    assert re.search(r'data-view="unassigned" class="current" aria-current="page"', html)
    assert 'data-view="mine" class="current"' not in html


def test_an_unknown_view_shows_all_open(desk, spread):
    assert len(rows(page(desk, view="everything"))) == 5


def test_an_empty_view_says_so(desk, spread):
    Ticket.objects.filter(assignee__username="sam").update(assignee=None)
    html = page(desk, view="mine")
    assert rows(html) == [] and "No open ticket is assigned to you." in html


# --- the order ----------------------------------------------------------------------------------------------------

def test_a_customer_waiting_in_the_chat_comes_before_an_urgent_follow_up(desk):
    follow_up("Urgent email", priority=Ticket.Priority.URGENT)
    waiting_handoff("Low hand-off", priority=Ticket.Priority.LOW)
    assert rows(page(desk)) == ["Low hand-off", "Urgent email"]


def test_a_hand_off_whose_chat_went_back_to_the_assistant_is_not_first(desk):
    follow_up("Urgent email", priority=Ticket.Priority.URGENT)
    ticket = waiting_handoff("Back with the assistant", priority=Ticket.Priority.LOW)
    Conversation.objects.filter(pk=ticket.conversation_id).update(status=Conversation.Status.BOT)
    assert rows(page(desk)) == ["Urgent email", "Back with the assistant"]


def test_then_by_priority_urgent_first(desk):
    for priority in ["low", "high", "urgent", "medium"]:
        follow_up(priority, priority=priority)
    assert rows(page(desk)) == ["urgent", "high", "medium", "low"]


def test_within_a_priority_the_most_overdue_first_response_comes_first_then_the_oldest(desk):
    aged(follow_up("Oldest, answered", first_response_at=timezone.now()), hours=5)
    due_in(follow_up("Due in an hour"), hours=1)
    due_in(follow_up("Overdue"), minutes=-30)
    aged(follow_up("No target, old"), hours=3)
    follow_up("No target, new")
    assert rows(page(desk)) == ["Overdue", "Due in an hour", "Oldest, answered", "No target, old", "No target, new"]


def test_a_view_shows_at_most_its_cap_and_says_how_many_there_are(desk, monkeypatch):
    monkeypatch.setattr(queue, "QUEUE_CAP", 3)
    for number in range(5):
        follow_up(f"Ticket {number}")
    html = page(desk)
    assert len(rows(html)) == 3 and "Showing 3 of 5" in html and tab_count(html, "open") == 5


# --- the cells ----------------------------------------------------------------------------------------------------

def test_a_row_links_the_ticket_to_its_page_in_the_desk(desk):
    ticket = follow_up("Broken charger")
    assert f'href="{reverse("desk-ticket", args=[ticket.number])}"' in page(desk)


def test_a_row_shows_priority_kind_status_waiting_and_assignee(desk, sam):
    aged(follow_up("Crackles", priority=Ticket.Priority.HIGH, assignee=sam, status=Ticket.Status.OPEN),
         hours=3, minutes=5, seconds=30)
    html = page(desk)
    for shown in ['<span class="priority priority-high">High</span>', "Follow-up",
                  '<span class="status-pill ticket-open">Open</span>', ">3 h 05 min<", "Sam Rivera"]:
        assert shown in html, shown


def test_the_sla_cell_says_how_long_is_left(desk):
    due_in(follow_up("On time"), minutes=12, seconds=30)
    assert re.search(r'class="sla sla-due( sla-soon)?" title="Due [^"]+">12 min left<', page(desk))


def test_the_sla_cell_says_how_late_a_breached_first_response_is(desk):
    due_in(follow_up("Late"), minutes=-5, seconds=-30)
    assert re.search(r'class="sla sla-breached" title="Due [^"]+">breached 5 min ago<', page(desk))


def test_a_waiting_hand_off_offers_take_over_which_goes_to_its_console(desk):
    ticket = waiting_handoff("Wants a person")
    console = reverse("agent-console", args=[ticket.conversation_id])
    assert re.search(rf'class="button queue-take_over default take-over" href="{console}"[^>]*>Take over<', page(desk))


def test_a_chat_someone_holds_offers_its_console(desk, sam):
    ticket = waiting_handoff("Talking to Lea")
    tickets.take_ticket(ticket=ticket, agent=sam)
    Conversation.objects.filter(pk=ticket.conversation_id).update(status=Conversation.Status.AGENT, assigned_agent=sam)
    html = page(desk)
    console = reverse("agent-console", args=[ticket.conversation_id])
    assert re.search(rf'href="{console}"[^>]*>Open console<', html) and "Take over" not in html
    assert "in the chat with Sam" in html


def test_a_follow_up_offers_its_ticket_page(desk):
    ticket = follow_up("By email")
    html = page(desk)
    assert re.search(rf'href="{reverse("desk-ticket", args=[ticket.number])}"[^>]*>Open ticket<', html)


def test_a_follow_up_whose_chat_has_ended_offers_its_ticket_page_not_the_console(desk):
    ticket = follow_up("After the chat", conversation=ConversationFactory(status=Conversation.Status.CLOSED))
    html = page(desk)
    assert "Open console" not in html and f'{reverse("desk-ticket", args=[ticket.number])}"' in html


def test_a_known_customer_links_to_their_page(desk):
    emma = CustomerFactory(name="Emma Martin", email="emma.martin@example.com")
    follow_up("Verified", customer_email="emma.martin@example.com", email_verified=True)
    assert f'<a class="customer-link" href="{reverse("desk-customer", args=[emma.pk])}">Emma Martin</a>' in page(desk)


def test_a_guests_unchecked_email_is_shown_as_text_not_as_somebodys_page(desk):
    CustomerFactory(name="Emma Martin", email="emma.martin@example.com")
    follow_up("Typed", customer_email="emma.martin@example.com", email_verified=False)
    html = page(desk)
    assert "customer-link" not in html and "emma.martin@example.com" in html


# --- the tab title and the live fragment ----------------------------------------------------------------------------

def test_the_tab_title_counts_the_customers_waiting_in_the_chat(desk):
    waiting_handoff("One")
    waiting_handoff("Two")
    follow_up("Not waiting")
    assert "<title>(2) Support queue |" in page(desk)


def test_the_tab_title_has_no_count_when_nobody_waits(desk):
    follow_up("Not waiting")
    assert "<title>Support queue |" in page(desk)


def test_the_fragment_holds_the_tabs_the_rows_and_the_waiting_count_without_the_page_around_them(desk):
    waiting_handoff("Wants a person")
    follow_up("By email")
    html = desk.get(QUEUE, {"fragment": "1", "view": "unassigned"}).content.decode()
    assert "<html" not in html and "<title>" not in html
    assert rows(html) == ["Wants a person", "By email"] and tab_count(html, "unassigned") == 2
    assert 'data-role="queue-state" data-waiting="1"' in html
    assert re.search(r'<li data-ticket="TCK-\d+">Wants a person</li>', html)


def test_the_fragment_rows_and_counts_change_together(desk):
    first = follow_up("First")
    before = desk.get(QUEUE, {"fragment": "1"}).content.decode()
    tickets.solve_ticket(ticket=first, actor="agent")
    follow_up("Second")
    follow_up("Third")
    after = desk.get(QUEUE, {"fragment": "1"}).content.decode()
    assert (len(rows(before)), tab_count(before, "open")) == (1, 1)
    assert (len(rows(after)), tab_count(after, "open")) == (2, 2)


def test_the_fragment_s_availability_toggle_goes_back_to_the_queue_not_to_the_fragment(desk):
    html = desk.get(QUEUE, {"fragment": "1", "view": "mine"}).content.decode()
    assert f'name="next" value="{QUEUE}?view=mine"' in html


def test_the_fragment_s_queries_do_not_grow_with_its_rows(desk):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            desk.get(QUEUE, {"fragment": "1"})
        return len(captured)

    def add_rows():
        for number in range(3):
            customer = CustomerFactory()
            follow_up(f"Known {number}", customer_email=customer.email, email_verified=True)
            waiting_handoff(f"Chat {number}", customer=CustomerFactory())

    add_rows()
    few = queries()
    add_rows()
    add_rows()
    assert queries() == few


def test_the_waiting_count_of_the_queue_socket_counts_the_customers_waiting_in_the_chat():
    waiting_handoff("Waiting")
    ended = waiting_handoff("Chat ended")
    Conversation.objects.filter(pk=ended.conversation_id).update(status=Conversation.Status.CLOSED)
    follow_up("By email")
    assert queue.waiting_count() == 1


# --- the queue is the desk's home ---------------------------------------------------------------------------------

def test_the_admin_home_links_the_queue_and_all_tickets(desk):
    html = desk.get(reverse("admin:index")).content.decode()
    assert f'href="{QUEUE}"' in html and f'href="{reverse("admin:tickets_ticket_changelist")}"' in html


def test_every_admin_page_links_the_queue_in_its_header_for_an_agent(desk):
    html = desk.get(reverse("admin:conversations_conversation_changelist")).content.decode()
    assert f'<a href="{QUEUE}" class="desk-queue-link">' in html and "css/admin.css" in html


def test_the_ticket_s_page_and_the_console_lead_back_to_the_queue(desk):
    ticket = waiting_handoff("Wants a person")
    for url in [reverse("desk-ticket", args=[ticket.number]), reverse("agent-console", args=[ticket.conversation_id])]:
        assert f'<a href="{QUEUE}">Queue</a>' in desk.get(url).content.decode(), url


def test_all_tickets_is_the_changelist_for_searching_and_is_not_live(desk):
    html = desk.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "<h1>All tickets</h1>" in html and f'href="{QUEUE}"' in html and "js/queue.js" not in html
