"""The "Suggest a reply" endpoints of the composers: support agents only, and the draft goes back to the agent who
asked and nowhere else (no Message stored, nothing on the customer's socket) until they send it themselves."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client, override_settings
from django.urls import reverse

from assistant import suggestions
from conversations.models import Conversation, Message
from desk import takeover
from tests.chat.wsclient import connect, receive_until, send_message, settle_turns
from tests.conftest import claude_settings
from tests.factories import ConversationFactory, CustomerFactory, StaffFactory, TicketFactory, UserFactory
from tests.fakes.messages_api import Fault, Reply, text


@pytest.fixture(autouse=True)
def fresh_limiter():
    suggestions.limiter.reset()
    yield
    suggestions.limiter.reset()



# The views are async: their queries run on pooled threads (helpdesk.db.in_thread), which only see committed rows.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["anonymous", "customer", "staff without the ticket permission"])
def test_anyone_but_a_support_agent_gets_403_and_no_draft(client, who):
    conversation = ConversationFactory(customer=CustomerFactory(name="Emma Martin"))
    if who == "customer":
        client.force_login(UserFactory())
    elif who != "anonymous":
        client.force_login(StaffFactory())
    response = client.post(reverse("desk-suggest-conversation", args=[conversation.pk]))
    assert response.status_code == 403 and "draft" not in response.json()


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(sam):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    response = client.post(reverse("desk-suggest-conversation", args=[ConversationFactory().pk]))
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_ticket_without_a_chat_gets_a_draft_from_its_question(client, sam):
    ticket = TicketFactory(question="How do I reset my password?", customer_name="Noah Blanc")
    client.force_login(sam)
    response = client.post(reverse("desk-suggest-ticket", args=[ticket.number]))
    assert response.status_code == 200 and response.json()["draft"].startswith("Hi Noah,")


async def held_conversation(customer_user, sam):
    """A logged-in customer's socket in a conversation that Sam has taken over, its frames read to the end."""
    customer = await connect(user=customer_user)
    await customer.receive_json_from()
    await send_message(customer, "I want to talk to a human", "h1")
    await receive_until(customer, "state", status="waiting")
    await settle_turns()
    conversation = await Conversation.objects.aget()
    await sync_to_async(takeover.take_over)(conversation_id=conversation.pk, agent=sam)
    await receive_until(customer, "agent.joined")
    await receive_until(customer, "state", status="agent")
    while not await customer.receive_nothing(timeout=0.2):
        await customer.receive_json_from()
    return customer, conversation


async def ask_for_a_draft(sam, conversation) -> tuple[int, dict]:
    client = AsyncClient()
    await client.aforce_login(sam)
    response = await client.post(reverse("desk-suggest-conversation", args=[conversation.pk]))
    return response.status_code, json.loads(response.content)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
async def test_the_draft_reaches_the_agent_only_and_is_never_stored_or_sent_to_the_customer(sam):
    customer_user = await sync_to_async(UserFactory)(username="emma")
    await sync_to_async(CustomerFactory)(name="Emma Martin", user=customer_user, email="emma@example.com")
    customer, conversation = await held_conversation(customer_user, sam)
    stored = await Message.objects.filter(conversation=conversation).acount()

    status, data = await ask_for_a_draft(sam, conversation)

    assert status == 200 and data["draft"].startswith("Hi Emma,")
    assert await customer.receive_nothing(timeout=0.5)
    assert await Message.objects.filter(conversation=conversation).acount() == stored
    await customer.disconnect()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
async def test_with_claude_the_endpoint_returns_the_models_draft_and_the_customer_hears_nothing(sam, fake_api):
    customer_user = await sync_to_async(UserFactory)(username="emma")
    await sync_to_async(CustomerFactory)(name="Emma Martin", user=customer_user, email="emma@example.com")
    customer, conversation = await held_conversation(customer_user, sam)
    fake_api.enqueue(Reply([text("Hi Emma, Sam here. What can I do for you today?")]))

    with override_settings(**claude_settings(fake_api)):
        status, data = await ask_for_a_draft(sam, conversation)

    assert (status, data) == (200, {"draft": "Hi Emma, Sam here. What can I do for you today?"})
    request = [r for r in fake_api.requests if "DRAFT for the agent" in r.system_text][-1]
    assert "tools" not in request.body and "I want to talk to a human" in json.dumps(request.body["messages"])
    assert await customer.receive_nothing(timeout=0.5)
    assert not await Message.objects.filter(conversation=conversation, text__contains="Sam here").aexists()
    await customer.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_model_that_is_down_gives_the_agent_a_clear_error(sam, fake_api):
    conversation = await sync_to_async(ConversationFactory)(status="agent")
    fake_api.enqueue(Fault.overloaded(), Fault.overloaded())
    with override_settings(**claude_settings(fake_api)):
        status, data = await ask_for_a_draft(sam, conversation)
    assert status == 503 and data["code"] == "unavailable" and data["error"].startswith("The assistant is busy")
    assert "draft" not in data
