"""Transferring a conversation to another agent (desk.takeover.transfer): everything moves at once, or nothing."""

import pytest

from conversations.models import Conversation, ConversationEvent, Message
from desk import takeover
from desk.exceptions import TransferRefused
from helpdesk.realtime import agents_queue_group, conversation_group
from tests.factories import AgentFactory, ConversationFactory, StaffFactory, UserFactory
from tickets.exceptions import AlreadyTaken
from tickets.models import AgentAvailability, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(sam):
    conversation = ConversationFactory(status=Conversation.Status.WAITING, language="en")
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    return conversation


def snapshot(conversation):
    """What a transfer changes: who holds the chat and its ticket, the events, the customer's transcript."""
    conversation.refresh_from_db()
    return (conversation.assigned_agent_id, list(Ticket.objects.values_list("assignee_id", flat=True)),
            ConversationEvent.objects.count(), Message.objects.count())


def test_a_transfer_gives_the_conversation_and_its_hand_off_to_the_new_agent(held, sam, lea):
    takeover.transfer(conversation_id=held.pk, agent=sam, to_id=lea.pk)
    held.refresh_from_db()
    assert held.status == Conversation.Status.AGENT and held.assigned_agent == lea
    assert Ticket.objects.get(conversation=held).assignee == lea


def test_a_transfer_tells_the_customer_who_joined(held, sam, lea):
    takeover.transfer(conversation_id=held.pk, agent=sam, to_id=lea.pk)
    joined = Message.objects.filter(role=Message.Role.SYSTEM).order_by("-seq").first()
    assert joined.text == "Léa joined the conversation" and joined.content[0]["event"] == "agent.joined"


def test_a_transfer_tells_the_customer_in_their_language(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING, language="fr")
    takeover.take_over(conversation_id=conversation.pk, agent=sam)
    takeover.transfer(conversation_id=conversation.pk, agent=sam, to_id=lea.pk)
    assert Message.objects.order_by("-seq").first().text == "Léa a rejoint la conversation"


def test_a_transfer_is_recorded_with_who_made_it(held, sam, lea):
    takeover.transfer(conversation_id=held.pk, agent=sam, to_id=lea.pk)
    event = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.AGENT_JOINED).last()
    assert (event.actor, event.actor_user, event.data) == ("agent", sam, {"transferred_to": lea.pk})
    assert event.detail == "Sam transferred the conversation to Léa"


def test_a_transfer_tells_the_queue_and_the_conversation_after_commit(held, sam, lea, broadcasts):
    with broadcasts.run():
        takeover.transfer(conversation_id=held.pk, agent=sam, to_id=lea.pk)
    assert [event["change"] for event in broadcasts.to(agents_queue_group())] == ["transferred"]
    assert {"type": "conversation.state", "status": "agent"} in broadcasts.to(conversation_group(held.pk))


def test_an_agent_cannot_transfer_to_themselves(held, sam):
    before = snapshot(held)
    with pytest.raises(TransferRefused) as refused:
        takeover.transfer(conversation_id=held.pk, agent=sam, to_id=sam.pk)
    assert refused.value.code == "transfer_to_self" and snapshot(held) == before


@pytest.mark.parametrize("make", [UserFactory, StaffFactory], ids=["a customer account", "staff without tickets"])
def test_a_conversation_cannot_go_to_someone_who_is_not_a_support_agent(held, sam, make):
    someone = make()
    before = snapshot(held)
    with pytest.raises(TransferRefused) as refused:
        takeover.transfer(conversation_id=held.pk, agent=sam, to_id=someone.pk)
    assert refused.value.code == "not_an_agent" and snapshot(held) == before


def test_a_conversation_cannot_go_to_a_user_who_does_not_exist(held, sam):
    before = snapshot(held)
    with pytest.raises(TransferRefused, match="support agent"):
        takeover.transfer(conversation_id=held.pk, agent=sam, to_id=987654)
    assert snapshot(held) == before


def test_a_conversation_cannot_go_to_an_agent_who_is_away(held, sam, lea):
    AgentAvailability.objects.create(user=lea, status=AgentAvailability.Status.AWAY)
    before = snapshot(held)
    with pytest.raises(TransferRefused, match="Léa is away") as refused:
        takeover.transfer(conversation_id=held.pk, agent=sam, to_id=lea.pk)
    assert refused.value.code == "agent_away" and snapshot(held) == before


def test_only_the_holder_can_transfer(held, sam, lea):
    zoe = AgentFactory(username="zoe", first_name="Zoé")
    before = snapshot(held)
    with pytest.raises(AlreadyTaken, match="Sam has this conversation"):
        takeover.transfer(conversation_id=held.pk, agent=lea, to_id=zoe.pk)
    assert snapshot(held) == before


def test_a_conversation_nobody_took_cannot_be_transferred(sam, lea):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    with pytest.raises(AlreadyTaken) as refused:
        takeover.transfer(conversation_id=conversation.pk, agent=sam, to_id=lea.pk)
    assert refused.value.code == "not_taken" and Conversation.objects.get().assigned_agent is None


def test_the_holder_is_offered_the_other_available_agents(sam, lea):
    AgentAvailability.objects.create(user=AgentFactory(username="zoe"), status=AgentAvailability.Status.AWAY)
    StaffFactory(username="paul")
    assert takeover.transfer_targets(sam) == [{"id": lea.pk, "name": "Léa"}]
