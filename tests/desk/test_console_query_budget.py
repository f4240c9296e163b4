"""Query budget of the agent console's first load (the page; its messages come over its socket): a fixed number of
queries for a customer with orders, tickets and earlier chats, however long the conversation."""

import pytest
from django.urls import reverse

from conversations.models import Conversation, Message
from orders.models import Order
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def conversation_of(customer, exchanges: int) -> Conversation:
    """`customer`'s conversation waiting for a person after `exchanges` questions answered by the assistant."""
    conversation = ConversationFactory(customer=customer, status=Conversation.Status.WAITING)
    for number in range(exchanges):
        MessageFactory(conversation=conversation, seq=2 * number + 1, text=f"Question {number}")
        MessageFactory(conversation=conversation, seq=2 * number + 2, role=Message.Role.ASSISTANT,
                       text=f"Answer {number}")
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=2 * exchanges)
    return conversation


@pytest.mark.parametrize("exchanges", [2, 20])
def test_the_console_opens_within_a_fixed_query_budget_however_long_the_conversation(
        desk, emma, exchanges, django_assert_max_num_queries):
    ConversationFactory(customer=emma, status=Conversation.Status.CLOSED)  # an earlier chat, listed
    conversation = conversation_of(emma, exchanges)
    latest_order = Order.objects.filter(customer=emma).order_by("-placed_at").first()
    with django_assert_max_num_queries(15):  # 15 today
        response = desk.get(reverse("agent-console", args=[conversation.pk]))
    assert response.status_code == 200 and latest_order.number in response.content.decode()
