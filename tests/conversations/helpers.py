"""The tests' one way to hold a conversation at the level of the services: start it, record what the customer
writes, run the assistant's turn to its end and read what the customer was shown. The socket's side (connect with a
session, send, wait for frames, settle background turns) is tests/chat/wsclient.py.

Every function is async, for async tests; sync tests build conversations with tests.factories.
"""

import asyncio

from asgiref.sync import sync_to_async

from assistant import turn
from conversations import services
from conversations.models import Conversation, Message
from conversations.sinks import RecordingSink


async def start_conversation(customer=None, *, language: str = "en", backend: str = "offline",
                             session_key: str = "s") -> Conversation:
    """A new conversation of the browser session `session_key`, as the chat socket starts one: a guest's, or the
    logged-in `customer`'s (their email verified). `backend` is the name recorded on it; a turn runs whichever
    backend it is given."""
    return await sync_to_async(services.start_conversation)(session_key=session_key, customer=customer,
                                                            language=language, backend=backend)


async def record_customer_message(conversation: Conversation, text: str, *, client_id: str | None = None) -> Message:
    """Store `text` as the customer's next message, as the socket does (masked first; a repeated `client_id`
    returns the message already stored). Returns the stored message."""
    recorded = await sync_to_async(services.record_customer_message)(conversation_id=conversation.pk, text=text,
                                                                     client_id=client_id)
    return recorded.message


async def conversation_with_message(text: str = "Hello", *, client_id: str | None = None,
                                    **start) -> Conversation:
    """A new conversation (`start` as for start_conversation) whose customer has written `text`, not answered yet."""
    conversation = await start_conversation(**start)
    await record_customer_message(conversation, text, client_id=client_id)
    return conversation


async def run_turn(conversation: Conversation, backend, *, sink: RecordingSink | None = None,
                   timeout: float | None = None) -> RecordingSink:
    """Answer every unanswered customer message of `conversation` with `backend` and return once the turn has ended.
    What the customer is shown goes to `sink` (a new RecordingSink by default), which is returned. With `timeout`,
    a turn still running after that many seconds fails the test (TimeoutError)."""
    sink = RecordingSink() if sink is None else sink
    await asyncio.wait_for(turn.answer_pending(conversation.pk, sink=sink, backend=backend), timeout)
    return sink


async def say(conversation: Conversation, text: str, backend, *, client_id: str | None = None,
              sink: RecordingSink | None = None, timeout: float | None = None) -> RecordingSink:
    """The customer writes `text` and the assistant's turn runs to its end (see run_turn); returns the sink."""
    await record_customer_message(conversation, text, client_id=client_id)
    return await run_turn(conversation, backend, sink=sink, timeout=timeout)
