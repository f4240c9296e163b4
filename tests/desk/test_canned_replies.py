"""Canned replies for a conversation or a ticket: which are offered, their placeholders filled from what the agent
may see, and the JSON endpoint of the composers (support agents only)."""

import pytest
from django.urls import reverse

from desk.canned import Subject, offered_replies
from desk.models import CannedReply
from desk.placeholders import unknown_placeholders
from orders.models import Order
from tests.factories import (
    ConversationFactory,
    CustomerFactory,
    MessageFactory,
    OrderFactory,
    RefundFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)
from tickets.models import Ticket

pytestmark = pytest.mark.django_db



@pytest.fixture
def greeting(db):
    CannedReply.objects.create(shortcut="hello", language="en", title="Hello",
                               body="Hi {first_name}, I'm {agent_name}. About {order_number}:")
    return CannedReply.objects.create(shortcut="hello", language="fr", title="Bonjour",
                                      body="Bonjour {first_name}, je suis {agent_name}. Pour {order_number} :")


def offered(subject, agent) -> dict:
    return {reply.shortcut: reply for reply in offered_replies(subject, agent=agent)}


def test_the_placeholders_are_filled_for_a_logged_in_customers_conversation(sam, greeting):
    emma = CustomerFactory(name="Emma Martin")
    OrderFactory(customer=emma, number="ORD-11111")
    conversation = ConversationFactory(customer=emma)
    reply = offered(Subject.of_conversation(conversation), sam)["hello"]
    assert reply.text == "Hi Emma, I'm Sam. About ORD-11111:"
    assert reply.missing == []


def test_a_guest_who_verified_nothing_gets_no_raw_placeholder_and_the_agent_is_told(sam, greeting):
    conversation = ConversationFactory(customer=None)
    reply = offered(Subject.of_conversation(conversation), sam)["hello"]
    assert reply.text == "Hi, I'm Sam. About:"
    assert set(reply.missing) == {"first_name", "order_number"}
    assert "order" in reply.as_json()["note"]


def test_the_order_checked_in_the_chat_is_the_order_in_question(sam, greeting):
    emma = CustomerFactory(name="Emma Martin")
    checked = OrderFactory(customer=emma, number="ORD-22222")
    OrderFactory(customer=emma, number="ORD-33333")  # more recent, but not the one the chat is about
    Order.objects.filter(pk=checked.pk).update(placed_at=checked.placed_at.replace(year=checked.placed_at.year - 1))
    conversation = ConversationFactory(customer=emma, verified_order_numbers=["ORD-22222"])
    assert "ORD-22222" in offered(Subject.of_conversation(conversation), sam)["hello"].text


def test_an_order_the_customer_mentioned_comes_before_their_most_recent_one(sam, greeting):
    emma = CustomerFactory(name="Emma Martin")
    mentioned = OrderFactory(customer=emma, number="ORD-44444")
    OrderFactory(customer=emma, number="ORD-55555")
    Order.objects.filter(pk=mentioned.pk).update(placed_at=mentioned.placed_at.replace(year=2020))
    conversation = ConversationFactory(customer=emma)
    MessageFactory(conversation=conversation, seq=1, text="my order ord-44444 is late")
    assert "ORD-44444" in offered(Subject.of_conversation(conversation), sam)["hello"].text


def test_a_guest_naming_somebody_elses_order_never_gets_it_filled_in(sam, greeting):
    OrderFactory(customer=CustomerFactory(name="Someone Else"), number="ORD-66666")
    conversation = ConversationFactory(customer=None)
    MessageFactory(conversation=conversation, seq=1, text="What about ORD-66666?")
    reply = offered(Subject.of_conversation(conversation), sam)["hello"]
    assert "ORD-66666" not in reply.text and "order_number" in reply.missing


def test_the_customers_language_picks_the_french_version(sam, greeting):
    conversation = ConversationFactory(customer=CustomerFactory(name="Léa Dubois"), language="fr")
    reply = offered(Subject.of_conversation(conversation), sam)["hello"]
    assert (reply.language, reply.text.split(",")[0]) == ("fr", "Bonjour Léa")


def test_a_shortcut_with_no_version_in_the_customers_language_is_offered_in_english(sam, greeting):
    CannedReply.objects.create(shortcut="bye", language="en", title="Bye", body="Bye {first_name}!")
    conversation = ConversationFactory(customer=None, language="fr")
    replies = offered(Subject.of_conversation(conversation), sam)
    assert replies["bye"].language == "en" and replies["hello"].language == "fr"


def test_an_inactive_reply_is_not_offered(sam, greeting):
    CannedReply.objects.filter(shortcut="hello").update(active=False)
    assert offered_replies(Subject.of_conversation(ConversationFactory()), agent=sam) == []


def test_a_tickets_reply_names_the_ticket_and_the_order_of_its_refund(sam):
    CannedReply.objects.create(shortcut="refund", language="en", title="Refund",
                               body="{first_name}: ticket {ticket_number}, order {order_number}.")
    refund = RefundFactory(order=OrderFactory(number="ORD-77777"))
    ticket = TicketFactory(customer_name="Noah Blanc", refund=refund, email_verified=False)
    reply = offered(Subject.of_ticket(Ticket.objects.get(pk=ticket.pk)), sam)["refund"]
    assert reply.text == f"Noah: ticket {ticket.number}, order ORD-77777."


def test_the_demo_has_every_canned_reply_in_english_and_french_with_valid_placeholders(demo_store):
    replies = list(CannedReply.objects.all())
    shortcuts = {reply.shortcut for reply in replies}
    assert len(shortcuts) >= 5
    assert {(reply.shortcut, reply.language) for reply in replies} == {(s, lang) for s in shortcuts for lang in ("en", "fr")}
    assert all(unknown_placeholders(reply.body) == [] for reply in replies)


# --- the composers' endpoint --------------------------------------------------------------------------------------
def test_the_endpoint_gives_the_rendered_replies_of_a_conversation(client, sam, greeting):
    conversation = ConversationFactory(customer=CustomerFactory(name="Emma Martin"))
    client.force_login(sam)
    response = client.get(reverse("desk-canned-conversation", args=[conversation.pk]))
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    data = response.json()
    assert data["language"] == "en"
    assert data["replies"][0]["shortcut"] == "hello" and data["replies"][0]["text"].startswith("Hi Emma, I'm Sam.")


def test_the_endpoint_gives_the_rendered_replies_of_a_ticket(client, sam, greeting):
    ticket = TicketFactory(customer_name="Noah Blanc", language="fr")
    client.force_login(sam)
    data = client.get(reverse("desk-canned-ticket", args=[ticket.number])).json()
    assert data["replies"][0]["text"].startswith("Bonjour Noah, je suis Sam.")


@pytest.mark.parametrize("who", ["anonymous", "customer", "staff without the ticket permission"])
def test_anyone_but_a_support_agent_gets_403_from_the_canned_replies(client, greeting, who):
    conversation = ConversationFactory(customer=CustomerFactory(name="Emma Martin"))
    if who == "customer":
        client.force_login(UserFactory())
    elif who != "anonymous":
        client.force_login(StaffFactory())
    response = client.get(reverse("desk-canned-conversation", args=[conversation.pk]))
    assert response.status_code == 403 and "Emma" not in response.content.decode()


def test_an_unknown_conversation_is_404_for_an_agent(client, sam):
    client.force_login(sam)
    response = client.get(reverse("desk-canned-conversation", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
