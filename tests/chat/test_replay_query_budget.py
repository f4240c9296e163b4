"""Query budget of a replay: a customer's socket reconnecting and resuming from the start reads the conversation in
a fixed number of queries, however many messages it holds (every thread counted)."""

import pytest
from asgiref.sync import sync_to_async

from conversations import services
from conversations.models import Conversation, Message
from tests.chat.wsclient import connect, receive_until, resume_after, session_cookie_for
from tests.conversations.helpers import start_conversation
from tests.queries import every_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("exchanges", [2, 20])
async def test_a_reconnect_replays_the_whole_conversation_within_a_fixed_query_budget(
        exchanges, django_assert_max_num_queries):
    session_key = await session_cookie_for()
    conversation = await start_conversation(session_key=session_key)
    for number in range(exchanges):
        await sync_to_async(services.record_customer_message)(conversation_id=conversation.pk, text=f"Question {number}",
                                                                client_id=None)
        last = await sync_to_async(services.record_message)(conversation_id=conversation.pk,
                                                            role=Message.Role.ASSISTANT, text=f"Answer {number}")
    # Every message answered: the resume starts no turn, and only the replay's queries are counted.
    await Conversation.objects.filter(pk=conversation.pk).aupdate(answered_through_seq=last.seq)
    with django_assert_max_num_queries(4, connection=every_thread()):  # 4 today: session, conversation, messages, refresh
        socket = await connect(session_key=session_key)
        await resume_after(socket, 0)
        replayed, _ = await receive_until(socket, "assistant.message", seq=last.seq)
        await receive_until(socket, "state")
    await socket.disconnect()
