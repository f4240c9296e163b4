"""The offline assistant runs the source document's conversation through the same tools, in English and French."""

import io
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from assistant.llm.offline import OfflineBackend
from conversations.models import Conversation, Message
from orders.models import Refund
from tests.conversations.helpers import say, start_conversation
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE_CONVERSATION = [
    "Hi, I ordered a pair of headphones 2 weeks ago and they don't work. My order is ORD-78432.",
    "The Bluetooth won't connect to anything at all. I've tried with 3 different devices. It's really frustrating, "
    "it was a gift.",
    "Yes I've tried everything!! Nothing works. I want a refund.",
]


def tool_calls(conversation):
    return [block for m in conversation.messages.filter(role="assistant").order_by("seq")
            for block in m.content if block["type"] == "tool_use"]


async def test_the_source_documents_conversation_runs_end_to_end_for_emma(emma):
    conversation = await start_conversation(emma)
    first = await say(conversation, SOURCE_CONVERSATION[0], OfflineBackend())
    assert "ORD-78432" in first.texts[-1] and "ProMax Audio Headphones" in first.texts[-1]
    assert "return window (30 days)" in first.texts[-1]
    second = await say(conversation, SOURCE_CONVERSATION[1], OfflineBackend())
    assert "10 seconds" in second.texts[-1]
    third = await say(conversation, SOURCE_CONVERSATION[2], OfflineBackend())
    assert "$89.99" in third.texts[-1] and "5-7 business days" in third.texts[-1]
    assert third.actions == [{"kind": "refund", "order_id": "ORD-78432", "amount": "89.99", "currency": "USD",
                              "timing": "within 5-7 business days, on your original payment method",
                              "status": "completed"}]

    calls = await _calls(conversation)
    assert [c["name"] for c in calls] == ["lookup_order", "search_faq", "process_refund"]
    assert calls[0]["input"] == {"order_id": "ORD-78432"}
    assert calls[2]["input"] == {"order_id": "ORD-78432", "reason": "defective"}
    refund = await Refund.objects.aget(order__number="ORD-78432")
    assert refund.amount == Decimal("89.99") and refund.reason == "defective"


async def _calls(conversation):
    from asgiref.sync import sync_to_async

    return await sync_to_async(tool_calls)(conversation)


async def test_a_guest_is_asked_for_order_number_and_email_before_anything_is_shown(demo_store):
    conversation = await start_conversation()
    asked = await say(conversation, "Where is my order?", OfflineBackend())
    assert "order number" in asked.texts[-1]
    asked_email = await say(conversation, "It's ORD-55120", OfflineBackend())
    assert "email" in asked_email.texts[-1]
    found = await say(conversation, "emma.martin@example.com", OfflineBackend())
    assert "ORD-55120" in found.texts[-1] and "expected by" in found.texts[-1]


async def test_a_french_customer_is_answered_in_french_through_the_same_tools(demo_store):
    conversation = await start_conversation(language="fr")
    sink = await say(conversation, "Bonjour, où en est ma commande ORD-66210 ? Mon e-mail : lucas.bernard@example.fr",
                     OfflineBackend())
    assert "J'ai trouvé votre commande ORD-66210" in sink.texts[-1]
    faq = await say(conversation, "Combien de temps prend la livraison ?", OfflineBackend())
    assert faq.statuses == ["Searching our help articles…"] or faq.statuses == ["Recherche dans nos articles d'aide…"]
    assert "centre d'aide" in faq.texts[-1]


async def test_asking_for_a_person_hands_the_conversation_over_and_the_assistant_falls_silent(emma):
    conversation = await start_conversation(emma)
    sink = await say(conversation, "I want to talk to a human please", OfflineBackend())
    assert "number 1 in the queue" in sink.texts[-1]
    ticket = await Ticket.objects.aget()
    assert ticket.kind == "handoff" and ticket.priority == "urgent"
    silent = await say(conversation, "Hello? Anyone?", OfflineBackend())
    assert silent.texts == []
    refreshed = await Conversation.objects.aget(pk=conversation.pk)
    assert refreshed.status == Conversation.Status.WAITING


@pytest.mark.parametrize("threat", ["If this isn't fixed today I'm filing a chargeback",
                                    "Je vais signaler votre boutique à la DGCCRF"])
async def test_a_threat_from_the_word_lists_is_handed_to_a_person_as_urgent(emma, threat):
    conversation = await start_conversation(emma)
    await say(conversation, threat, OfflineBackend())
    calls = await _calls(conversation)
    assert calls[0]["name"] == "escalate_to_human" and calls[0]["input"]["priority"] == "urgent"
    assert (await Ticket.objects.aget()).priority == "urgent"


def test_the_same_conversation_runs_through_manage_py_chat(emma, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(SOURCE_CONVERSATION) + "\n"))
    out = io.StringIO()
    call_command("chat", "--as", "emma.martin@example.com", stdout=out)
    transcript = out.getvalue()
    assert "Chatting as Emma Martin with the offline assistant" in transcript
    assert "[Looking up your order…]" in transcript and "[Processing your refund…]" in transcript
    assert "Your refund of $89.99 for order ORD-78432 has been initiated" in transcript
    assert Refund.objects.filter(order__number="ORD-78432").count() == 1
    assert Message.objects.filter(role="customer").count() == 3


@pytest.mark.parametrize(("question", "language"), [
    ("How long do refunds take?", "en"),
    ("when will I get my refund?", "en"),
    ("c'est quoi les délais de remboursement ?", "fr"),
])
async def test_a_question_about_how_refunds_work_is_answered_from_the_help_center(question, language):
    from faq.models import FaqEntry
    from storefront.demo.store import DemoStore

    await sync_to_async(DemoStore().faq)()
    conversation = await start_conversation(language=language)
    reply = await say(conversation, question, OfflineBackend())
    refund_timing = await FaqEntry.objects.aget(key="refund-timing", language=language)
    assert refund_timing.answer[:40] in reply.texts[-1]
