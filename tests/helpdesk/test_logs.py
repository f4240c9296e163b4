"""Logs as JSON lines (helpdesk.logs, LOG_FORMAT=json) through the PII filter, and one line per turn."""

import json
import logging
import sys

import pytest

from helpdesk.logs import JsonLinesFormatter
from helpdesk.pii import PiiMaskingFilter
from tests.chat.wsclient import connect, receive_until, send_message, settle_turns


def record(message="hello %s", args=("world",), **extra) -> logging.LogRecord:
    entry = logging.LogRecord("helpdesk.test", logging.INFO, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(entry, name, value)
    return entry


def formatted(entry: logging.LogRecord) -> dict:
    PiiMaskingFilter().filter(entry)
    line = JsonLinesFormatter().format(entry)
    assert "\n" not in line
    return json.loads(line)


def test_a_record_is_one_json_object_with_its_extra_fields():
    line = formatted(record(event="turn", turn_ms=12.5, usage={"input_tokens": 3}))
    assert line["message"] == "hello world"
    assert line["level"] == "INFO" and line["logger"] == "helpdesk.test"
    assert line["event"] == "turn" and line["turn_ms"] == 12.5 and line["usage"] == {"input_tokens": 3}
    assert line["time"].endswith("+00:00")


def test_personal_data_in_the_message_and_in_extra_fields_is_masked():
    line = formatted(record("customer %s wrote", ("jane.doe@example.com",),
                            client={"email": "jane.doe@example.com", "notes": ["call +33 6 12 34 56 78"]}))
    text = json.dumps(line)
    assert "jane.doe@example.com" not in text
    assert "12 34 56 78" not in text


def test_an_exception_is_kept_in_the_line():
    try:
        raise ValueError("broken")
    except ValueError:
        entry = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = formatted(entry)
    assert "ValueError: broken" in line["exception"]


@pytest.mark.django_db(transaction=True)
async def test_a_turn_logs_one_line_with_its_conversation_timings_and_usage(caplog):
    customer = await connect()
    await receive_until(customer, "state")
    with caplog.at_level(logging.INFO, logger="assistant.turn"):
        await send_message(customer, "How long does standard shipping take?")
        await receive_until(customer, "assistant.message")
        await settle_turns()
    lines = [entry for entry in caplog.records if getattr(entry, "event", None) == "turn"]
    assert len(lines) == 1
    line = lines[0]
    from conversations.models import Conversation

    assert line.conversation == str((await Conversation.objects.aget()).pk)
    assert line.outcome == "answered" and line.backend == "offline"
    assert line.turn_ms >= line.first_word_ms > 0
    assert line.model_calls >= 1 and line.usage["input_tokens"] > 0
    await customer.disconnect()
