"""The five tools enforce their rules whatever the model asks: each call here is what an obedient model would send."""

import json
from decimal import Decimal

import pytest
from django.test import override_settings

from chat.models import Conversation, ConversationEvent
from chat.tools import ToolContext, run_tool
from orders.models import Order, Refund
from tickets.models import Ticket
from tests.factories import (
    ConversationFactory, CustomerFactory, FaqEntryFactory, OrderFactory, OrderItemFactory, ProductFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def emma():
    return CustomerFactory(name="Emma Martin", email="emma.martin@example.com")


@pytest.fixture
def jane():
    return CustomerFactory(name="Jane Cooper", email="jane.cooper@example.com")


@pytest.fixture
def emma_order(emma):
    order = OrderFactory(number="ORD-78432", customer=emma, total=Decimal("89.99"))
    OrderItemFactory(order=order, product=ProductFactory(name="ProMax Audio Headphones"), unit_price=Decimal("89.99"))
    return order


@pytest.fixture
def jane_order(jane):
    return OrderFactory(number="ORD-54321", customer=jane, total=Decimal("59.99"))


def call(conversation, name, **args):
    return run_tool(name, args, ToolContext(conversation_id=conversation.pk, language=conversation.language))


def logged_in(customer):
    return ConversationFactory(customer=customer, verified_email=customer.email)


def test_a_logged_in_customer_sees_their_own_order_without_giving_an_email(emma, emma_order):
    result = call(logged_in(emma), "lookup_order", order_id="ORD-78432")
    assert not result.is_error
    assert result.content["order"]["items"][0]["product"] == "ProMax Audio Headphones"


def test_another_customers_order_is_refused_to_a_logged_in_customer(emma, jane_order):
    result = call(logged_in(emma), "lookup_order", order_id="ORD-54321")
    assert result.is_error and result.content["error"] == "order_not_found"
    assert "Jane" not in json.dumps(result.content)


def test_a_logged_in_customer_cannot_borrow_another_email(emma, jane_order):
    result = call(logged_in(emma), "lookup_order", order_id="ORD-54321", customer_email="jane.cooper@example.com")
    assert result.is_error and "jane" not in json.dumps(result.content).lower()


def test_a_guest_with_the_right_email_is_verified_and_remembered(emma_order):
    conversation = ConversationFactory()
    result = call(conversation, "lookup_order", order_id="ord-78432", customer_email="Emma.Martin@Example.com")
    assert not result.is_error
    conversation.refresh_from_db()
    assert conversation.verified_email == "emma.martin@example.com"
    assert conversation.verified_order_numbers == ["ORD-78432"]


def test_a_wrong_email_and_a_missing_order_get_the_same_answer(emma_order):
    wrong_email = call(ConversationFactory(), "lookup_order", order_id="ORD-78432", customer_email="x@example.com")
    missing = call(ConversationFactory(), "lookup_order", order_id="ORD-99999", customer_email="x@example.com")
    assert wrong_email.content == missing.content


def test_a_guest_without_an_email_is_asked_for_one(emma_order):
    result = call(ConversationFactory(), "lookup_order", order_id="ORD-78432")
    assert result.is_error and result.content["error"] == "identity_required"


def test_after_five_failed_checks_lookups_stop_and_a_person_is_offered(emma_order):
    conversation = ConversationFactory()
    for n in range(5):
        call(conversation, "lookup_order", order_id=f"ORD-1000{n}", customer_email="guess@example.com")
    result = call(conversation, "lookup_order", order_id="ORD-78432", customer_email="emma.martin@example.com")
    assert result.is_error and result.content["error"] == "verification_locked" and result.content["offer_human"]
    assert ConversationEvent.objects.filter(kind="verification_failed").count() == 5


def test_a_verified_guest_cannot_switch_to_another_customer(emma_order, jane_order):
    conversation = ConversationFactory()
    call(conversation, "lookup_order", order_id="ORD-78432", customer_email="emma.martin@example.com")
    result = call(conversation, "lookup_order", order_id="ORD-54321", customer_email="jane.cooper@example.com")
    assert result.is_error


def test_a_refund_needs_the_order_verified_in_this_conversation(emma_order):
    result = call(ConversationFactory(), "process_refund", order_id="ORD-78432", reason="defective")
    assert result.is_error and result.content["error"] == "order_not_verified"
    assert not Refund.objects.exists()


def test_the_source_documents_refund_is_made_once(emma, emma_order):
    conversation = logged_in(emma)
    call(conversation, "lookup_order", order_id="ORD-78432")
    first = call(conversation, "process_refund", order_id="ORD-78432", reason="defective")
    second = call(conversation, "process_refund", order_id="ORD-78432", reason="defective")
    assert first.content["amount"] == "89.99" and first.action["kind"] == "refund"
    assert second.content["already_done"] and second.action is None
    assert Refund.objects.get().amount == Decimal("89.99")


def test_a_refund_outside_the_window_is_refused(emma):
    OrderFactory(number="ORD-31877", customer=emma, old=True)
    conversation = logged_in(emma)
    call(conversation, "lookup_order", order_id="ORD-31877")
    result = call(conversation, "process_refund", order_id="ORD-31877", reason="changed_mind")
    assert result.is_error and result.content["error"] == "outside_window"
    assert not Refund.objects.exists()


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_a_refund_over_the_cap_opens_a_handoff_for_approval_and_moves_no_money(emma):
    order = OrderFactory(number="ORD-66210", customer=emma, total=Decimal("1299.00"))
    conversation = logged_in(emma)
    call(conversation, "lookup_order", order_id="ORD-66210")
    result = call(conversation, "process_refund", order_id="ORD-66210", reason="defective")
    assert result.content["status"] == "pending_approval" and result.handoff
    ticket = Ticket.objects.get()
    assert ticket.kind == "handoff" and ticket.refund.status == Refund.Status.PENDING_APPROVAL
    order.refresh_from_db()
    assert order.refunded_total == 0
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING


@pytest.mark.parametrize("amount", [-5, 0, 1e12, "lots", True])
def test_absurd_amounts_are_refused(emma, emma_order, amount):
    conversation = logged_in(emma)
    call(conversation, "lookup_order", order_id="ORD-78432")
    result = call(conversation, "process_refund", order_id="ORD-78432", reason="defective", amount=amount)
    assert result.is_error
    assert Order.objects.get(pk=emma_order.pk).refunded_total == 0


def test_invalid_or_missing_fields_are_an_error_result_not_an_exception(emma):
    conversation = logged_in(emma)
    assert call(conversation, "process_refund", order_id="ORD-78432").content["error"] == "invalid_input"
    assert call(conversation, "process_refund", order_id="ORD-78432", reason="because").is_error
    assert call(conversation, "lookup_order", order_id=["ORD-78432"]).is_error
    assert call(conversation, "lookup_order", order_id="ORD-78432", admin=True).is_error
    assert run_tool("drop_tables", {}, ToolContext(conversation.pk)).content["error"] == "unknown_tool"
    assert run_tool("search_faq", "not an object", ToolContext(conversation.pk)).is_error


def test_a_ticket_for_someone_elses_email_is_refused(emma, jane):
    result = call(logged_in(emma), "create_ticket", subject="Help", category="other", priority="low",
                  description="Please", customer_email="jane.cooper@example.com")
    assert result.is_error and not Ticket.objects.exists()


def test_an_unverified_guest_cannot_file_a_ticket_as_a_known_customer(jane):
    result = call(ConversationFactory(), "create_ticket", subject="Help", category="other", priority="low",
                  description="Please", customer_email="jane.cooper@example.com")
    assert result.is_error and result.content["error"] == "identity_required"


def test_a_ticket_is_tied_to_the_conversation_and_its_verified_email(emma):
    conversation = logged_in(emma)
    result = call(conversation, "create_ticket", subject="Invoice", category="billing", priority="medium",
                  description="Needs an invoice", customer_email="EMMA.MARTIN@example.com")
    ticket = Ticket.objects.get()
    assert result.action == {"kind": "ticket", "ticket": ticket.number, "email": "emma.martin@example.com"}
    assert ticket.conversation_id == conversation.pk and ticket.kind == "follow_up"


def test_search_faq_finds_published_entries_in_the_conversation_language():
    FaqEntryFactory(question="How do I pair my headphones over Bluetooth?", answer="Hold the power button.",
                    category="products")
    FaqEntryFactory(question="Comment appairer mon casque en Bluetooth ?", answer="Maintenez le bouton.",
                    category="products", language="fr")
    FaqEntryFactory(question="Bluetooth pairing (draft)", answer="Secret draft", published=False)
    conversation = ConversationFactory(language="fr")
    result = call(conversation, "search_faq", query="casque bluetooth")
    assert [r["question"] for r in result.content["results"]] == ["Comment appairer mon casque en Bluetooth ?"]
    english = call(ConversationFactory(), "search_faq", query="bluetooth headphones pairing")
    assert all("draft" not in r["question"] for r in english.content["results"])


def test_an_admins_edit_is_searchable_at_once():
    entry = FaqEntryFactory(question="Delivery times", answer="Three to five days.")
    entry.answer = "Standard shipping takes three to five business days; express takes one to two."
    entry.save()
    result = call(ConversationFactory(), "search_faq", query="express shipping")
    assert result.content["results"][0]["id"] == entry.pk


def test_escalation_opens_a_handoff_and_the_conversation_waits(emma):
    conversation = logged_in(emma)
    result = call(conversation, "escalate_to_human", reason="Wants a person", priority="urgent",
                  conversation_summary="Customer wants a person")
    assert result.handoff and result.content["queue_position"] == 1
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.priority) == ("handoff", "urgent")
    assert "Emma Martin" in ticket.summary
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING


def test_coming_back_about_the_same_order_within_seven_days_reopens_the_earlier_conversation(emma, emma_order):
    from django.utils import timezone

    earlier = logged_in(emma)
    call(earlier, "lookup_order", order_id="ORD-78432")
    Conversation.objects.filter(pk=earlier.pk).update(status="closed", closed_at=timezone.now())
    unrelated = logged_in(emma)
    OrderFactory(number="ORD-11111", customer=emma)
    call(unrelated, "lookup_order", order_id="ORD-11111")
    later = logged_in(emma)
    call(later, "lookup_order", order_id="ORD-78432")
    later.refresh_from_db()
    unrelated.refresh_from_db()
    assert later.reopened_from_id == earlier.pk and unrelated.reopened_from_id is None
