"""The customer page of the desk: who may open it, what it shows, its bounded queries, and the links to it (never
from a guest who only typed somebody's email)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from desk import customers
from orders.models import Order, Refund
from tests.factories import (
    ConversationFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    RefundFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Ticket

pytestmark = pytest.mark.django_db




@pytest.fixture
def lucas(db):
    return CustomerFactory(name="Lucas Bernard", email="lucas.bernard@example.fr", language="fr",
                           user=UserFactory(username="lucas"))


def page_of(customer) -> str:
    return reverse("desk-customer", args=[customer.pk])


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def ordered(customer, number, *, days_ago, total="89.99", currency=Order.Currency.EUR, **fields) -> Order:
    return OrderFactory(number=number, customer=customer, total=Decimal(total), currency=currency,
                        placed_at=timezone.now() - timedelta(days=days_ago), **fields)


# --- who may open it ----------------------------------------------------------------------------------------------

def test_staff_who_are_not_support_agents_are_refused_the_page(client, lucas):
    client.force_login(StaffFactory())
    assert client.get(page_of(lucas)).status_code == 403


def test_someone_not_logged_in_is_sent_to_the_admin_login(client, lucas):
    response = client.get(page_of(lucas))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_an_unknown_customer_is_not_found(desk):
    assert desk.get(reverse("desk-customer", args=[999_999])).status_code == 404


# --- what it shows -------------------------------------------------------------------------------------------------

def test_the_header_says_who_the_customer_is_and_how_much_history_they_have(desk, lucas):
    ordered(lucas, "ORD-30001", days_ago=3)
    ConversationFactory(customer=lucas)
    TicketFactory(customer_email=lucas.email, email_verified=True)
    page = text_of(desk.get(page_of(lucas)).content.decode())
    assert "Lucas Bernard" in page and "lucas.bernard@example.fr" in page and "French" in page
    assert "Customer since" in page and "Logs in as lucas" in page
    assert "1 order" in page and "0 refunds" in page and "1 conversation" in page and "1 ticket 1 open" in page


def test_a_customer_without_an_account_is_said_to_have_none(desk):
    guest = CustomerFactory(name="Ann Guest", user=None)
    assert "No account: guest orders only" in desk.get(page_of(guest)).content.decode()


def test_orders_show_their_items_status_totals_and_refunded_amount_newest_first(desk, lucas):
    older = ordered(lucas, "ORD-30001", days_ago=20, total="49.99")
    newer = ordered(lucas, "ORD-30002", days_ago=2, total="1299.00", refunded_total=Decimal("39.98"),
                    status=Order.Status.PARTIALLY_REFUNDED)
    OrderItemFactory(order=newer, product=ProductFactory(name="Laptop Air 13"), quantity=2, unit_price=Decimal("649.50"))
    OrderItemFactory(order=older, product=ProductFactory(name="Charger"), unit_price=Decimal("49.99"))
    page = desk.get(page_of(lucas)).content.decode()
    assert page.index("ORD-30002") < page.index("ORD-30001")
    assert reverse("admin:orders_order_change", args=[newer.pk]) in page
    text = text_of(page)
    assert "2 × Laptop Air 13" in text and "€1,299.00" in text and "€39.98" in text
    assert "Partially refunded" in text and "€49.99" in text


def test_refunds_show_their_status_decision_who_decided_the_reason_and_the_approval_ticket(desk, lucas, sam):
    order = ordered(lucas, "ORD-30003", days_ago=4, total="1299.00")
    declined = RefundFactory(order=order, amount=Decimal("1299.00"), status=Refund.Status.DECLINED,
                             reason=Refund.Reason.CHANGED_MIND, decided_by=sam, decided_at=timezone.now(),
                             decision_note="The laptop was dropped.")
    ticket = TicketFactory(refund=declined, customer_email=lucas.email, email_verified=True)
    page = desk.get(page_of(lucas)).content.decode()
    text = text_of(page)
    assert "€1,299.00" in text and "Declined" in text and "Changed mind" in text
    assert "Sam Rivera" in text and "The laptop was dropped." in text
    assert reverse("desk-ticket", args=[ticket.number]) in page


def test_conversations_show_status_outcome_rating_and_open_in_the_console(desk, lucas, sam):
    rated = ConversationFactory(customer=lucas, status=Conversation.Status.CLOSED,
                                outcome=Conversation.Outcome.RESOLVED_BY_AGENT, csat_score=4, assigned_agent=sam)
    by_email = ConversationFactory(verified_email=lucas.email, status=Conversation.Status.WAITING)
    page = desk.get(page_of(lucas)).content.decode()
    text = text_of(page)
    assert "Resolved by an agent" in text and "4/5" in text and "Waiting for a person" in text
    assert reverse("agent-console", args=[rated.pk]) in page and reverse("agent-console", args=[by_email.pk]) in page


def test_tickets_show_status_priority_assignee_and_open_their_desk_page(desk, lucas, sam):
    ticket = TicketFactory(subject="Charger missing", customer_email=lucas.email, email_verified=True,
                           priority=Ticket.Priority.URGENT, status=Ticket.Status.OPEN, assignee=sam)
    page = desk.get(page_of(lucas)).content.decode()
    text = text_of(page)
    assert "Charger missing" in text and "Urgent" in text and "Open" in text and "Sam Rivera" in text
    assert reverse("desk-ticket", args=[ticket.number]) in page


def test_a_guests_ticket_under_the_customers_email_is_not_on_their_page(desk, lucas):
    TicketFactory(subject="Refund me to this card", customer_email=lucas.email, email_verified=False)
    page = desk.get(page_of(lucas)).content.decode()
    assert "Refund me to this card" not in page and "0 tickets" in text_of(page)


def test_a_customer_with_a_blank_email_is_not_given_every_unverified_conversation(desk):
    nobody = CustomerFactory(email="")
    ConversationFactory(verified_email="")
    assert "0 conversations" in text_of(desk.get(page_of(nobody)).content.decode())


def test_long_histories_show_the_newest_rows_and_how_many_there_are(desk, lucas, monkeypatch):
    monkeypatch.setattr(customers, "PAGE_ROWS", 2)
    for n in range(3):
        ordered(lucas, f"ORD-3100{n}", days_ago=10 - n)
    page = desk.get(page_of(lucas)).content.decode()
    assert "ORD-31002" in page and "ORD-31001" in page and "ORD-31000" not in page
    assert "3 orders" in text_of(page) and "The latest 2 of 3." in text_of(page)
    assert reverse("admin:orders_order_changelist") + "?q=lucas.bernard%40example.fr" in page


def _history(customer, agent, size: int) -> None:
    for n in range(size):
        order = ordered(customer, f"ORD-{size:02d}{n:03d}", days_ago=n + 1)
        OrderItemFactory.create_batch(2, order=order)
        refund = RefundFactory(order=order, decided_by=agent, requested_by_user=agent)
        TicketFactory(refund=refund, customer_email=customer.email, email_verified=True, assignee=agent)
        ConversationFactory(customer=customer, assigned_agent=agent)


def test_the_page_reads_a_bounded_number_of_queries_whatever_the_history(desk, lucas, sam,
                                                                         django_assert_max_num_queries):
    _history(lucas, sam, 12)
    with django_assert_max_num_queries(14):  # 13 today: session, user, 4 lists + prefetches, counts
        response = desk.get(page_of(lucas))
    assert response.status_code == 200 and "12 orders" in text_of(response.content.decode())


# --- the links to it -----------------------------------------------------------------------------------------------

def link_for(subject) -> str:
    return Template("{% load desk_customers %}{% customer_link subject 'a guest' %}").render(
        Context({"subject": subject}))


def test_a_verified_tickets_customer_is_linked_to_their_page(lucas):
    ticket = TicketFactory(customer_email=lucas.email, email_verified=True)
    assert f'href="{page_of(lucas)}"' in link_for(ticket) and "Lucas Bernard" in link_for(ticket)


def test_a_guest_ticket_with_an_unverified_email_never_links_to_that_customers_page(lucas):
    assert link_for(TicketFactory(customer_email=lucas.email, email_verified=False)) == "a guest"


def test_a_guest_conversation_that_verified_nothing_never_links_to_a_customers_page(lucas):
    assert link_for(ConversationFactory(verified_email="")) == "a guest"


def test_a_conversation_that_verified_the_customers_email_links_to_their_page(lucas):
    assert f'href="{page_of(lucas)}"' in link_for(ConversationFactory(verified_email=lucas.email))


def test_the_ticket_page_links_its_customer_to_their_page(desk, lucas):
    ticket = TicketFactory(customer_email=lucas.email, customer_name="Lucas", email_verified=True)
    page = desk.get(reverse("desk-ticket", args=[ticket.number])).content.decode()
    assert f'<a class="customer-link" href="{page_of(lucas)}">Lucas Bernard</a>' in page


def test_the_ticket_page_of_a_guest_with_an_unverified_email_does_not_link_to_the_customer(desk, lucas):
    ticket = TicketFactory(customer_email=lucas.email, customer_name="Someone", email_verified=False)
    page = desk.get(reverse("desk-ticket", args=[ticket.number])).content.decode()
    assert page_of(lucas) not in page and "Their email was not checked" in page


def test_the_customer_admin_leads_agents_to_the_customer_page(desk, sam, lucas):
    from django.contrib.auth.models import Permission

    sam.user_permissions.add(Permission.objects.get(codename="view_customer"))
    assert page_of(lucas) in desk.get(reverse("admin:orders_customer_changelist")).content.decode()
    assert page_of(lucas) in desk.get(reverse("admin:orders_customer_change", args=[lucas.pk])).content.decode()


def test_the_customer_admin_offers_no_desk_link_to_staff_who_may_not_open_it(client, lucas):
    from django.contrib.auth.models import Permission

    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(viewer)
    assert page_of(lucas) not in client.get(reverse("admin:orders_customer_changelist")).content.decode()
    assert page_of(lucas) not in client.get(reverse("admin:orders_customer_change", args=[lucas.pk])).content.decode()


def test_the_console_links_its_customer_to_their_page(desk, lucas):
    conversation = ConversationFactory(verified_email=lucas.email)
    page = desk.get(reverse("agent-console", args=[conversation.pk])).content.decode()
    assert f'<a class="customer-link" href="{page_of(lucas)}">Lucas Bernard</a>' in page


def test_the_console_of_a_guest_who_verified_nothing_links_to_no_customer_page(desk, lucas):
    conversation = ConversationFactory(verified_email="")
    page = desk.get(reverse("agent-console", args=[conversation.pk])).content.decode()
    assert page_of(lucas) not in page
