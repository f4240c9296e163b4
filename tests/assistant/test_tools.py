"""The five tools enforce their rules whatever the model asks: each call here is what an obedient model would send."""

import json
from decimal import Decimal

import pytest
from django.test import override_settings

from assistant.tools import ToolContext, ToolResult, run_tool
from conversations.models import Conversation, ConversationEvent
from orders.models import Order, Refund
from tests.factories import (
    ConversationFactory,
    CustomerFactory,
    FaqEntryFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from tickets.models import Ticket

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
    # another email: failures against one email now count across conversations
    missing = call(ConversationFactory(), "lookup_order", order_id="ORD-99999", customer_email="y@example.com")
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
def test_a_refund_over_the_cap_opens_a_handoff_for_approval_and_moves_no_money(emma, agent_on_duty):
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


def test_a_guest_gets_the_same_answer_for_a_customers_email_and_an_unknown_one(jane):
    def file(email):
        result = call(ConversationFactory(), "create_ticket", subject="Help", category="other", priority="low",
                      description="Please", customer_email=email)
        number = result.content["ticket"]
        return json.dumps([result.content, result.action, result.is_error]).replace(number, "TCK")

    assert file("jane.cooper@example.com") == file("nobody@example.com").replace("nobody", "jane.cooper")
    assert set(Ticket.objects.values_list("email_verified", flat=True)) == {False}


def test_a_ticket_for_the_conversations_own_email_is_marked_verified(emma):
    call(logged_in(emma), "create_ticket", subject="Help", category="other", priority="low", description="Please",
         customer_email="ｅｍｍａ．ｍａｒｔｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ")
    ticket = Ticket.objects.get()
    assert ticket.email_verified and ticket.customer_email == "emma.martin@example.com"


@pytest.mark.parametrize("email", [
    "Emma Martin <emma.martin@example.com>", "emma.martin\u200b@example.com", "emma.martin@example.com\u00a0",
    "emma.martin@example.com, jane.cooper@example.com", "emma.martin@exa\u00admple.com",
])
def test_a_ticket_with_an_email_that_only_looks_like_one_is_refused_and_nothing_is_filed(emma, email):
    for conversation in (logged_in(emma), ConversationFactory()):
        result = call(conversation, "create_ticket", subject="Help", category="other", priority="low",
                      description="Please", customer_email=email)
        assert result.is_error and result.content["error"].startswith(("invalid_email", "email_"))
    assert not Ticket.objects.exists()


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


def test_escalation_opens_a_handoff_and_the_conversation_waits(emma, agent_on_duty):
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


# --- emails, budgets, lock-outs across conversations, non-finite numbers -----------------------------------------
@pytest.mark.parametrize("email", ["EMMA.MARTIN@EXAMPLE.COM.", "ｅｍｍａ．ｍａｒｔｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                                   " emma.martin@example.com "])
def test_a_guest_spelling_the_owners_email_differently_is_verified_with_the_canonical_email(emma_order, email):
    conversation = ConversationFactory()
    assert not call(conversation, "lookup_order", order_id="ORD-78432", customer_email=email).is_error
    conversation.refresh_from_db()
    assert conversation.verified_email == "emma.martin@example.com"


@pytest.mark.parametrize("email", ["Emma <emma.martin@example.com>", "emma.martin\u200b@example.com",
                                   "emma.martin@example.com x@evil.example"])
def test_a_look_up_with_a_malformed_email_is_refused_as_such_and_verifies_nothing(emma_order, email):
    from orders.models import LookupFailure

    conversation = ConversationFactory()
    result = call(conversation, "lookup_order", order_id="ORD-78432", customer_email=email)
    assert result.is_error and result.content["error"].startswith(("invalid_email", "email_"))
    conversation.refresh_from_db()
    assert conversation.verified_email == "" and conversation.verified_order_numbers == []
    assert conversation.failed_verifications == 0 and not LookupFailure.objects.exists()  # a typo, not a guess


def _guess(conversation, times, email="guess@example.com"):
    for n in range(times):
        call(conversation, "lookup_order", order_id=f"ORD-1000{n}", customer_email=email)


@pytest.mark.parametrize("second_conversation", [
    {"session_key_hash": "a" * 64},  # the same browser, after closing the chat
    {"client_address_hash": "b" * 64},  # the same client address, another browser
])
def test_five_failed_look_ups_lock_a_new_conversation_sharing_a_key(emma_order, second_conversation):
    first = ConversationFactory(session_key_hash="a" * 64, client_address_hash="b" * 64)
    _guess(first, 5)
    Conversation.objects.filter(pk=first.pk).update(status="closed")
    later = ConversationFactory(**second_conversation)
    result = call(later, "lookup_order", order_id="ORD-78432", customer_email="emma.martin@example.com")
    assert result.content["error"] == "verification_locked" and result.content["offer_human"]
    later.refresh_from_db()
    assert later.verified_order_numbers == []


def test_five_guesses_at_one_customers_email_from_five_browsers_lock_that_email(emma_order):
    for n in range(5):
        _guess(ConversationFactory(session_key_hash=f"{n}" * 64, client_address_hash=f"{n}" * 64), 1,
               email="Emma.Martin@example.com")
    result = call(ConversationFactory(session_key_hash="f" * 64), "lookup_order", order_id="ORD-78432",
                  customer_email="emma.martin@example.com.")
    assert result.content["error"] == "verification_locked"


def test_a_logged_in_customer_is_not_locked_by_guesses_at_their_email(emma, emma_order):
    for n in range(5):
        _guess(ConversationFactory(session_key_hash=f"{n}" * 64), 1, email="emma.martin@example.com")
    assert not call(logged_in(emma), "lookup_order", order_id="ORD-78432").is_error


def test_one_customer_message_gets_at_most_two_order_look_ups(emma_order):
    from assistant.tools import ToolBudget
    from orders.models import LookupFailure

    conversation = ConversationFactory()
    context = ToolContext(conversation_id=conversation.pk, budget=ToolBudget(max_lookups=2, max_calls=8))
    results = [run_tool("lookup_order", {"order_id": f"ORD-1000{n}", "customer_email": "emma.martin@example.com"},
                        context) for n in range(5)]
    assert [r.content["error"] for r in results[2:]] == ["lookup_budget_exceeded"] * 3
    assert LookupFailure.objects.count() == 2  # refused calls never ran
    conversation.refresh_from_db()
    assert conversation.failed_verifications == 2


@override_settings(ASSISTANT_MAX_LOOKUPS_PER_MESSAGE=2, ASSISTANT_MAX_TOOL_CALLS_PER_MESSAGE=8)
def test_one_customer_message_gets_at_most_eight_tool_calls_in_all(emma):
    from assistant.tools import ToolBudget

    conversation = logged_in(emma)
    context = ToolContext(conversation_id=conversation.pk, budget=ToolBudget())
    names = ["search_faq", "lookup_order", "no_such_tool", "process_refund"] * 3
    results = [run_tool(name, {"query": "x"} if name == "search_faq" else {"order_id": "ORD-78432"}, context)
               for name in names]
    assert all(r.content.get("error") == "tool_budget_exceeded" for r in results[8:])
    assert not any(r.content.get("error") == "tool_budget_exceeded" for r in results[:8])


def test_each_tool_context_gets_a_fresh_budget_by_default(emma):
    conversation = logged_in(emma)
    results = [call(conversation, "lookup_order", order_id="ORD-99999") for _ in range(3)]
    assert all(r.content["error"] == "order_not_found" for r in results)


@pytest.mark.parametrize("args", [
    {"order_id": "ORD-78432", "reason": "defective", "amount": float("inf")},
    {"order_id": "ORD-78432", "reason": "defective", "amount": float("-inf")},
    {"order_id": "ORD-78432", "reason": "defective", "amount": float("nan")},
    {"order_id": "ORD-78432", "reason": "defective", "amount": json.loads("1e309")},
    {"order_id": ["ORD-78432", float("nan")], "reason": "defective"},
    {"order_id": {"nested": [{"deeper": float("inf")}]}, "reason": "defective"},
])
def test_a_non_finite_number_anywhere_in_a_tool_input_is_a_bad_input(emma, emma_order, args):
    conversation = logged_in(emma)
    call(conversation, "lookup_order", order_id="ORD-78432")
    result = run_tool("process_refund", args, ToolContext(conversation.pk))
    assert result.is_error and result.content["error"] == "non_finite_number"
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["1e309", "NaN", "Infinity", "-Infinity", "-0", "0x10", "1e3", "1e999999999",
                                    "8.999e1", "٨٩", "８９"])
def test_a_refund_amount_given_as_a_string_must_be_a_plain_decimal(emma, emma_order, amount):
    conversation = logged_in(emma)
    call(conversation, "lookup_order", order_id="ORD-78432")
    result = call(conversation, "process_refund", order_id="ORD-78432", reason="defective", amount=amount)
    assert result.is_error and result.content["error"] == "invalid_amount"
    assert Order.objects.get(pk=emma_order.pk).refunded_total == 0 and not Refund.objects.exists()


@override_settings(REFUND_APPROVAL_THRESHOLD=Decimal("200"))
def test_a_refund_split_over_calls_and_conversations_by_the_tool_waits_for_a_person(emma, agent_on_duty):
    order = OrderFactory(number="ORD-44900", customer=emma, total=Decimal("449.00"))
    first = logged_in(emma)
    call(first, "lookup_order", order_id="ORD-44900")
    assert call(first, "process_refund", order_id="ORD-44900", reason="defective", amount=150).content["status"] \
        == "refunded"
    second = logged_in(emma)
    call(second, "lookup_order", order_id="ORD-44900")
    result = call(second, "process_refund", order_id="ORD-44900", reason="wrong_item", amount=100)
    assert result.content["status"] == "pending_approval" and result.handoff
    order.refresh_from_db()
    assert order.refunded_total == Decimal("150.00")


def test_a_tool_result_reaches_the_model_as_compact_json_with_its_accents_as_letters():
    content = {"answer": "Le remboursement arrive sous 5 à 7 jours — 89,99 €", "score": 0.9, "items": [1, 2]}
    sent = ToolResult(content).block("toolu_1")["content"]
    assert sent == '{"answer":"Le remboursement arrive sous 5 à 7 jours — 89,99 €","score":0.9,"items":[1,2]}'
    assert json.loads(sent) == content
