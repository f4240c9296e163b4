"""Live human takeover: the queue, the console socket, the race between two agents, resolve and hand back."""


import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from conversations.models import Conversation, Message
from desk import takeover
from tests.chat.wsclient import connect, receive_until, resume_after, send_message, settle_turns
from tests.concurrency import at_once
from tests.factories import ConversationFactory, MessageFactory, StaffFactory, UserFactory
from tickets.exceptions import AlreadyTaken
from tickets.models import Ticket


@pytest.mark.django_db
def test_taking_over_silences_the_assistant_and_tells_the_customer(sam):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.AGENT and conversation.assigned_agent == sam
    joined = Message.objects.get(role="system")
    assert joined.text == "Sam joined the conversation"
    assert Ticket.objects.get(conversation=conversation).assignee == sam


@pytest.mark.django_db
def test_the_second_agent_is_told_who_has_the_conversation(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    with pytest.raises(AlreadyTaken, match="Sam has already taken this conversation"):
        takeover.take_over(conversation_id=conversation.pk, agent=lea)


@pytest.mark.django_db(transaction=True)
def test_two_agents_taking_over_at_once_one_wins(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    results = at_once(lambda agent: takeover.take_over(conversation_id=conversation.pk, agent=agent), [sam, lea],
                      expected=AlreadyTaken)
    outcomes = {agent.username: outcome.message if isinstance(outcome, AlreadyTaken) else "won"
                for agent, outcome in results}
    assert sorted(outcomes.values()).count("won") == 1
    loser_message = next(v for v in outcomes.values() if v != "won")
    winner = next(name for name, v in outcomes.items() if v == "won")
    assert loser_message.startswith({"sam": "Sam", "lea": "Léa"}[winner])
    assert Message.objects.filter(role="system").count() == 1


@pytest.mark.django_db
def test_resolving_closes_the_conversation_and_its_ticket(sam):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    takeover.resolve(conversation_id=conversation.pk, agent=sam)
    conversation.refresh_from_db()
    assert conversation.status == "closed" and conversation.outcome == "resolved_by_agent"
    assert Ticket.objects.get().status == Ticket.Status.SOLVED


@pytest.mark.django_db
def test_handing_back_returns_to_the_assistant_with_the_agents_messages_in_its_context(sam):
    from assistant import memory

    conversation = ConversationFactory(status=Conversation.Status.WAITING, last_seq=1)
    MessageFactory(conversation=conversation, seq=1, text="I can't log in")
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    takeover.send_agent_message(conversation_id=conversation.pk, agent=sam, text="I've reset your account.")
    takeover.hand_back(conversation_id=conversation.pk, agent=sam)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.BOT
    context = memory.build_messages(memory.context_messages(conversation))
    assert any("[Human agent Sam]: I've reset your account." in block.get("text", "")
               for turn in context for block in turn["content"])


@pytest.mark.django_db
def test_only_the_agent_holding_the_conversation_can_write(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    with pytest.raises(AlreadyTaken):
        takeover.send_agent_message(conversation_id=conversation.pk, agent=lea, text="hi")


@pytest.mark.django_db
def test_a_non_staff_user_gets_no_console(client):
    conversation = ConversationFactory()
    client.force_login(UserFactory())
    response = client.get(reverse("agent-console", args=[conversation.pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url


@pytest.mark.django_db
def test_staff_without_the_ticket_permission_get_no_console(client):
    conversation = ConversationFactory()
    client.force_login(StaffFactory())
    assert client.get(reverse("agent-console", args=[conversation.pk])).status_code == 403


@pytest.mark.django_db
def test_an_agent_opens_the_console_with_the_customer_context(client, sam, emma):
    conversation = ConversationFactory(customer=emma, verified_email=emma.email,
                                       verified_order_numbers=["ORD-78432"])
    client.force_login(sam)
    page = client.get(reverse("agent-console", args=[conversation.pk])).content.decode()
    assert "Emma Martin" in page and "ORD-78432" in page and "/ws/agent/" in page


@pytest.mark.django_db
def test_the_queue_lists_handoffs_urgent_first_with_take_over(client, sam):
    high = ConversationFactory(status="waiting")
    urgent = ConversationFactory(status="waiting")
    Ticket.objects.create(kind="handoff", subject="Slow", priority="high", conversation=high)
    Ticket.objects.create(kind="handoff", subject="Angry", priority="urgent", conversation=urgent)
    client.force_login(sam)
    page = client.get(reverse("desk-queue")).content.decode()
    rows = page[page.index('id="queue-table"'):]
    assert rows.index("Angry") < rows.index("Slow")
    assert page.count(">Take over<") == 2 and "js/queue.js" in page


@pytest.mark.django_db(transaction=True)
async def test_a_non_staff_session_gets_no_agent_socket():
    conversation = await sync_to_async(ConversationFactory)()
    user = await sync_to_async(UserFactory)()
    ws = await connect(f"/ws/agent/{conversation.pk}/", user=user)
    assert not ws.connected or (await ws.receive_output())["type"] == "websocket.close"
    queue = await connect("/ws/agent/queue/", user=user)
    assert not queue.connected or (await queue.receive_output())["type"] == "websocket.close"


@pytest.mark.django_db(transaction=True)
async def test_customer_and_agent_talk_live_through_their_sockets(sam):
    customer = await connect()
    await customer.receive_json_from()
    await send_message(customer, "I want to talk to a human", "h1")
    await receive_until(customer, "state", status="waiting")
    await settle_turns()
    conversation = await Conversation.objects.aget()

    queue = await connect("/ws/agent/queue/", user=sam)
    assert (await queue.receive_json_from())["waiting"] == 1
    console = await connect(f"/ws/agent/{conversation.pk}/", user=sam)
    state = await resume_after(console, 0)
    assert state["status"] == "waiting" and not state["mine"]
    first, _ = await receive_until(console, "customer.message")
    assert first["text"] == "I want to talk to a human"

    await console.send_json_to({"type": "take_over"})
    mine, _ = await receive_until(console, "state", status="agent")
    assert mine["mine"]
    joined, _ = await receive_until(customer, "agent.joined")
    assert joined["name"] == "Sam"
    assert (await receive_until(queue, "queue"))[0]["waiting"] == 0

    await console.send_json_to({"type": "message", "text": "Hi, I'm Sam. How can I help?", "client_id": "a1"})
    reply, _ = await receive_until(customer, "agent.message")
    assert reply["name"] == "Sam" and "How can I help?" in reply["html"]

    await customer.send_json_to({"type": "typing"})
    typing, _ = await receive_until(console, "typing")
    assert typing["role"] == "customer"
    await send_message(customer, "My parcel is lost", "h2")
    heard, _ = await receive_until(console, "customer.message", text="My parcel is lost")
    await settle_turns()
    assert not await Message.objects.filter(role="assistant", seq__gt=heard["seq"]).aexists()

    await console.send_json_to({"type": "resolve"})
    closed, _ = await receive_until(customer, "state", status="closed")
    assert closed["csat"] is None
    await customer.send_json_to({"type": "csat", "score": 4})
    await receive_until(customer, "csat.thanks")
    for socket in (customer, console, queue):
        await socket.disconnect()
