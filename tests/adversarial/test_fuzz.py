"""Property-based fuzzing (hypothesis) of websocket frames and tool inputs: never a crash, a closed socket, a
stored invalid message, or money moved without a verified order."""

import json
import re

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.tools import TOOLS, ToolContext, run_tool
from conversations.models import Message
from orders.models import Refund
from tests.chat.wsclient import connect, settle_turns
from tests.factories import ConversationFactory

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
frame_types = st.sampled_from(["message", "resume", "typing", "csat", "close", "agent.message", "", "MESSAGE"]) \
    | st.text(max_size=12)
frames = st.one_of(
    st.fixed_dictionaries({"type": frame_types},
                          optional={"text": json_values, "client_id": json_values, "last_seq": json_values,
                                    "score": json_values, "comment": json_values, "role": json_values}).map(json.dumps),
    json_values.map(json.dumps),
    st.text(min_size=1, max_size=200),  # (the test client cannot send an empty frame)
)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def is_valid_message(raw: str) -> bool:
    try:
        frame = json.loads(raw)
    except ValueError:
        return False
    return (isinstance(frame, dict) and frame.get("type") == "message" and isinstance(frame.get("text"), str)
            and bool(frame["text"].strip()) and len(frame["text"].strip()) <= 2000
            and isinstance(frame.get("client_id"), str) and bool(CLIENT_ID.match(frame["client_id"]))
            and not any(0xD800 <= ord(c) <= 0xDFFF or c == "\x00" for c in frame["text"]))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@FUZZ
@given(batch=st.lists(frames, min_size=1, max_size=5))
def test_arbitrary_frames_never_crash_the_socket_or_store_an_invalid_message(batch):
    async def run():
        before = await Message.objects.filter(role="customer").acount()
        ws = await connect()
        await ws.receive_json_from()
        expected_new = set()
        for raw in batch:
            await ws.send_to(text_data=raw)
            if is_valid_message(raw):
                expected_new.add(json.loads(raw)["client_id"])
        await ws.send_json_to({"type": "resume", "last_seq": 0})  # the socket still answers
        await settle_turns()
        output = await ws.receive_output(timeout=2)
        assert output["type"] == "websocket.send", output
        await ws.disconnect()
        after = await Message.objects.filter(role="customer").acount()
        assert after - before <= len(expected_new)

    async_to_sync(run)()


@pytest.mark.django_db
@FUZZ
@given(name=st.sampled_from([tool["name"] for tool in TOOLS] + ["drop_tables"]),
       args=st.dictionaries(st.sampled_from(["order_id", "customer_email", "reason", "amount", "query", "category",
                                             "subject", "priority", "description", "conversation_summary",
                                             "admin", "role"]), json_values, max_size=6) | json_values)
def test_arbitrary_tool_inputs_never_raise_and_never_move_money_unverified(name, args):
    conversation = ConversationFactory()
    result = run_tool(name, args, ToolContext(conversation_id=conversation.pk))
    assert isinstance(result.content, dict)
    assert not Refund.objects.filter(conversation=conversation, status="completed").exists()
