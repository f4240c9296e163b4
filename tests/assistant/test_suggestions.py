"""Suggest a reply: the assistant drafts the agent's next message from the conversation, and nothing else happens.

Offline: a deterministic draft from the conversation's facts. With Claude: the real anthropic SDK against the fake
Messages API, whose recorded request shows what the model was asked."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from assistant import suggestions
from assistant.exceptions import SuggestionRefused
from assistant.llm import FinalMessage, Usage
from assistant.llm.offline import OfflineBackend
from conversations.models import Message
from tests.conftest import claude_backend
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    CustomerFactory,
    FaqEntryFactory,
    MessageFactory,
    TicketFactory,
)
from tests.fakes.messages_api import Fault, Reply, text
from tickets.models import TicketComment

ORDER = {"number": "ORD-10001", "status": "delivered", "placed_at": "2026-11-20", "shipped_at": "2026-11-21",
         "delivered_at": "2026-11-24", "expected_delivery": "2026-11-24", "carrier": "UPS", "tracking_number": "1Z1",
         "total": "89.99", "refunded_total": "0.00", "currency": "USD", "items": ["ProMax Audio Headphones"]}
FACTS = {"customer_first_name": "Emma", "agent_name": "Sam", "order": ORDER}


@pytest.fixture(autouse=True)
def fresh_limiter():
    suggestions.limiter.reset()
    yield
    suggestions.limiter.reset()


@sync_to_async
def chat(*lines, language="en", **fields):
    """A conversation whose messages are `lines` of (role, text), and its agent."""
    conversation = ConversationFactory(customer=CustomerFactory(name="Emma Martin"), language=language, **fields)
    for seq, (role, said) in enumerate(lines, start=1):
        MessageFactory(conversation=conversation, seq=seq, role=role, text=said)
    return conversation, AgentFactory(first_name="Sam")


async def draft(conversation, agent, facts=FACTS, backend=None) -> str:
    return await suggestions.suggest_reply(agent_id=agent.pk, facts=facts, conversation_id=conversation.pk,
                                           backend=backend or OfflineBackend())


@pytest.mark.django_db(transaction=True)
async def test_the_offline_draft_is_grounded_in_the_conversation_and_stores_nothing():
    conversation, sam = await chat(("customer", "I want a person"), ("agent", "Hi, I'm Sam."),
                                   ("customer", "My headphones from ORD-10001 stopped working"))
    before = await Message.objects.filter(conversation=conversation).acount()
    written = await draft(conversation, sam)
    assert written.startswith("Hi Emma,")
    assert "isn't working" in written and "ORD-10001" in written and "delivered on November 24" in written
    assert await Message.objects.filter(conversation=conversation).acount() == before


@pytest.mark.django_db(transaction=True)
async def test_the_offline_draft_introduces_the_agent_to_a_customer_who_asked_for_a_person():
    conversation, sam = await chat(("customer", "I want to talk to a human"))
    written = await draft(conversation, sam)
    assert written == "Hi Emma,\n\nI'm Sam from the ShopExpress team, and I'm here to help. What can I do for you?"


@pytest.mark.django_db(transaction=True)
async def test_the_offline_draft_answers_a_question_from_the_help_center():
    await sync_to_async(FaqEntryFactory)(question="How long does delivery take?",
                                         answer="Delivery takes 3 to 5 business days in France.")
    conversation, sam = await chat(("customer", "How long does delivery take to France?"))
    written = await draft(conversation, sam, facts={"customer_first_name": "Emma", "agent_name": "Sam"})
    assert "3 to 5 business days" in written


@pytest.mark.django_db(transaction=True)
async def test_a_french_customer_gets_a_french_draft():
    conversation, sam = await chat(("customer", "Ma commande ORD-10001 n'est jamais arrivée"), language="fr")
    written = await draft(conversation, sam)
    assert written.startswith("Bonjour Emma,") and "ORD-10001" in written and "livrée le 24 novembre" in written


@pytest.mark.django_db(transaction=True)
async def test_with_claude_the_model_is_asked_for_a_draft_for_the_agent_with_the_conversation_and_no_tools(fake_api):
    conversation, sam = await chat(("customer", "My parcel never arrived, order ORD-10001"),
                                   ("assistant", "Let me connect you with a person."))
    fake_api.enqueue(Reply([text("Hi Emma, I'm sorry your parcel hasn't arrived. I'm checking with UPS now.")]))
    written = await draft(conversation, sam, backend=claude_backend(fake_api))
    assert written == "Hi Emma, I'm sorry your parcel hasn't arrived. I'm checking with UPS now."
    request = fake_api.requests[-1]
    assert request.status == 200 and "tools" not in request.body and "tool_choice" not in request.body
    assert "DRAFT for the agent" in request.system_text and "never sent" in request.system_text
    assert "The agent is Sam." in request.system_text and "first name is Emma" in request.system_text
    sent = json.dumps(request.body["messages"], ensure_ascii=False)
    assert "<customer_message>\\nMy parcel never arrived, order ORD-10001\\n</customer_message>" in sent
    assert "Let me connect you with a person." in sent and "ORD-10001" in sent and "UPS" in sent
    assert await Message.objects.filter(conversation=conversation).acount() == 2


@pytest.mark.django_db(transaction=True)
async def test_a_model_that_is_down_is_a_clear_refusal(fake_api):
    conversation, sam = await chat(("customer", "Hello?"))
    fake_api.enqueue(Fault.overloaded(), Fault.overloaded())
    with pytest.raises(SuggestionRefused) as refused:
        await draft(conversation, sam, backend=claude_backend(fake_api, max_retries=0))
    assert refused.value.code == "unavailable" and refused.value.message.startswith("The assistant is busy")


@pytest.mark.django_db(transaction=True)
async def test_a_model_that_takes_too_long_is_a_timeout(fake_api, settings):
    settings.LLM_FIRST_EVENT_TIMEOUT_SECONDS = 0.2
    conversation, sam = await chat(("customer", "Hello?"))
    fake_api.enqueue(Fault.stall(seconds=3))
    with pytest.raises(SuggestionRefused) as refused:
        await draft(conversation, sam, backend=claude_backend(fake_api, max_retries=0))
    assert refused.value.code == "timeout" and "too long" in refused.value.message


class HeldBackend:
    """A backend whose answer waits until the test lets it go."""

    name, model = "held", "held"

    def __init__(self):
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def stream(self, request):
        self.started.set()
        await self.release.wait()
        yield FinalMessage([{"type": "text", "text": "Drafted."}], "end_turn", Usage(), "held")


@pytest.mark.django_db(transaction=True)
async def test_an_agent_gets_one_draft_at_a_time():
    conversation, sam = await chat(("customer", "Hello?"))
    held = HeldBackend()
    first = asyncio.create_task(draft(conversation, sam, backend=held))
    await asyncio.wait_for(held.started.wait(), 5)
    with pytest.raises(SuggestionRefused) as refused:
        await draft(conversation, sam, backend=held)
    assert refused.value.code == "busy"
    held.release.set()
    assert await first == "Drafted."


@pytest.mark.django_db(transaction=True)
async def test_an_agent_asking_too_often_is_told_to_wait(settings):
    settings.SUGGEST_REPLY_PER_AGENT_PER_MINUTE = 2
    conversation, sam = await chat(("customer", "Hello?"))
    await draft(conversation, sam)
    await draft(conversation, sam)
    with pytest.raises(SuggestionRefused) as refused:
        await draft(conversation, sam)
    assert refused.value.code == "too_many"


@pytest.mark.django_db
def test_a_tickets_draft_reads_its_request_and_public_thread_but_never_its_internal_notes():
    ticket = TicketFactory(question="Where is my refund for ORD-10001?", customer_name="Emma Martin")
    TicketComment.objects.create(ticket=ticket, public=True, author_kind="customer", body="Any news?")
    TicketComment.objects.create(ticket=ticket, public=False, author_kind="agent", body="Suspected fraud, hold it")
    material = suggestions.ticket_material(ticket)
    request = suggestions.build_request(material, FACTS, faq=[])
    sent = json.dumps(request.messages, ensure_ascii=False)
    assert "Where is my refund for ORD-10001?" in sent and "Any news?" in sent
    assert "fraud" not in sent.lower()
    assert material.last_customer_text == "Any news?" and material.channel == "email"
    assert request.tools == []
