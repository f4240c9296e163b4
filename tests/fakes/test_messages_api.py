"""Tests of the fake Messages API, driven through the real `anthropic` SDK over loopback (no Django needed)."""

import json
import math
import time

import anthropic
import httpx2
import pytest
import pytest_asyncio
from anthropic import omit

from tests.fakes.messages_api import NO_SCRIPT_TEXT, FakeMessagesAPI, Fault, Reply, text, tool_use

MODEL = "claude-sonnet-5-5"
HAIKU = "claude-haiku-5-5"
QUESTION = "Where is my order ORD-78432?"
USER = [{"role": "user", "content": QUESTION}]
LOOKUP_ORDER = {
    "name": "lookup_order",
    "description": "Look up an order by its id.",
    "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
}
LONG_SYSTEM = "You are the helpdesk assistant of a small web shop. Be brief and kind. " * 30


@pytest.fixture
def small_model_answers():
    """None: `fake_api` is the bare fake here, with no routes of its own."""
    return None


@pytest_asyncio.fixture
async def client(fake_api):
    async with anthropic.AsyncAnthropic(api_key="test-key", base_url=fake_api.base_url, max_retries=0,
                                        timeout=5) as sdk:
        yield sdk


def block_tokens(block: dict) -> int:
    """The documented count: ceil(len(canonical JSON without cache_control) / 4)."""
    block = {key: value for key, value in block.items() if key != "cache_control"}
    return math.ceil(len(json.dumps(block, sort_keys=True, separators=(",", ":"), ensure_ascii=False)) / 4)


def tool_turn(tool_id: str = "toolu_01A") -> dict:
    return {"role": "assistant", "content": [tool_use("lookup_order", {"order_id": "ORD-78432"}, id=tool_id)]}


def tool_result(tool_id: str = "toolu_01A") -> dict:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": "shipped on Monday"}


def total_input(usage) -> int:
    return usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens


# --- replies -----------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_streamed_tool_use_round_trip(fake_api, client):
    fake_api.enqueue(Reply([text("Let me check that order for you."),
                            tool_use("lookup_order", {"order_id": "ORD-78432"})]))
    async with client.messages.stream(model=MODEL, max_tokens=200, tools=[LOOKUP_ORDER], messages=USER) as stream:
        pieces = [piece async for piece in stream.text_stream]
        first = await stream.get_final_message()

    assert len(pieces) > 1 and "".join(pieces) == "Let me check that order for you."
    assert first.stop_reason == "tool_use"
    call = first.content[1]
    assert call.type == "tool_use" and call.name == "lookup_order" and call.input == {"order_id": "ORD-78432"}
    assert call.id.startswith("toolu_01")

    fake_api.enqueue(Reply([text("It shipped on Monday.")]))
    messages = [*USER, first.to_param(), {"role": "user", "content": [tool_result(call.id)]}]
    async with client.messages.stream(model=MODEL, max_tokens=200, tools=[LOOKUP_ORDER], messages=messages) as stream:
        second = await stream.get_final_message()

    assert second.stop_reason == "end_turn" and second.content[0].text == "It shipped on Monday."
    assert [(r.path, r.status, r.stream) for r in fake_api.requests] == [("/v1/messages", 200, True)] * 2
    assert fake_api.requests[1].response_usage["output_tokens"] == second.usage.output_tokens
    assert fake_api.requests[1].headers["authorization"] == "Bearer test-key"


@pytest.mark.asyncio
async def test_stream_frames_match_the_api(fake_api, client):
    fake_api.enqueue(Reply([text("Hi"), tool_use("lookup_order", {"order_id": "ORD-1"})], output_tokens=42))
    response = await client.messages.with_raw_response.create(model=MODEL, max_tokens=50, messages=USER, stream=True)
    events = [event async for event in await response.parse()]

    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert events[0].message.usage.output_tokens == 1 and events[0].message.stop_reason is None
    tool_start = next(e for e in events if e.type == "content_block_start" and e.content_block.type == "tool_use")
    assert tool_start.content_block.input == {}
    partial = "".join(e.delta.partial_json for e in events if e.type == "content_block_delta" and e.index == 1)
    assert json.loads(partial) == {"order_id": "ORD-1"}
    assert events[-2].usage.output_tokens == 42 and events[-2].delta.stop_reason == "tool_use"
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"] == fake_api.requests[0].request_id


@pytest.mark.asyncio
async def test_text_is_streamed_in_token_sized_pieces_that_rejoin_exactly(fake_api, client):
    message = "Grüße!  Your refund\nof €12.50 is on its way: https://shop.example/orders/ORD-78432 \n"
    fake_api.enqueue(Reply([text(message)]))
    async with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        pieces = [piece async for piece in stream.text_stream]

    assert "".join(pieces) == message
    assert max(len(piece) for piece in pieces) <= 8


@pytest.mark.asyncio
async def test_non_streaming_create(fake_api, client):
    fake_api.enqueue(Reply([text("Your order shipped.")], stop_reason="end_turn", output_tokens=None))
    message = await client.messages.create(model=MODEL, max_tokens=100, messages=USER)

    assert message.content[0].text == "Your order shipped." and message.stop_reason == "end_turn"
    assert message.id.startswith("msg_") and message.model == MODEL
    assert message.usage.input_tokens == block_tokens(text(QUESTION))
    assert message.usage.output_tokens == math.ceil(len("Your order shipped.") / 4)
    assert message._request_id == fake_api.requests[0].request_id
    assert fake_api.requests[0].stream is False


@pytest.mark.asyncio
async def test_nothing_scripted_answers_a_visible_placeholder(fake_api, client):
    message = await client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert message.content[0].text == NO_SCRIPT_TEXT


@pytest.mark.asyncio
async def test_count_tokens_uses_the_documented_approximation(fake_api, client):
    counted = await client.messages.count_tokens(model=MODEL, system="Be brief.", tools=[LOOKUP_ORDER], messages=USER)
    created = await client.messages.create(
        model=MODEL, max_tokens=10, system="Be brief.", tools=[LOOKUP_ORDER], messages=USER
    )

    expected = block_tokens(LOOKUP_ORDER) + block_tokens(text("Be brief.")) + block_tokens(text(QUESTION))
    assert counted.input_tokens == expected == created.usage.input_tokens


@pytest.mark.asyncio
async def test_ttft_and_pacing(fake_api, client):
    fake_api.ttft, fake_api.tokens_per_second = 0.15, 100
    fake_api.enqueue(Reply([text("one two three four five")], output_tokens=20))
    started = time.monotonic()
    async with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        first_at = None
        async for _piece in stream.text_stream:
            first_at = first_at or time.monotonic() - started
    total = time.monotonic() - started

    assert 0.15 <= first_at < 0.3
    assert 0.35 <= total < 0.7  # ttft + 20 tokens / 100 per second

    fake_api.enqueue(Reply([text("instant")], ttft=0, tokens_per_second=float("inf")))
    started = time.monotonic()
    await client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert time.monotonic() - started < 0.1


# --- prompt caching ----------------------------------------------------------------------------------------------


def cached_system() -> list[dict]:
    return [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]


@pytest.mark.asyncio
async def test_extending_a_cached_prefix_reads_it(fake_api, client):
    first = await client.messages.create(
        model=MODEL, max_tokens=50, system=cached_system(), messages=USER, cache_control={"type": "ephemeral"}
    )
    assert first.usage.cache_read_input_tokens == 0 and first.usage.input_tokens == 0
    assert first.usage.cache_creation_input_tokens == total_input(first.usage)

    longer = [*USER, {"role": "assistant", "content": "It shipped."}, {"role": "user", "content": "Thanks! When?"}]
    second = await client.messages.create(
        model=MODEL, max_tokens=50, system=cached_system(), messages=longer, cache_control={"type": "ephemeral"}
    )
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens > 0
    assert second.usage.cache_creation_input_tokens == block_tokens(text("It shipped.")) + block_tokens(
        text("Thanks! When?")
    )
    assert second.usage.input_tokens == 0
    assert fake_api.requests[1].response_usage["cache_read_input_tokens"] == second.usage.cache_read_input_tokens


@pytest.mark.asyncio
async def test_a_system_breakpoint_is_shared_by_different_conversations_of_one_model(fake_api, client):
    system_tokens = block_tokens(cached_system()[0])
    await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=USER)
    other = [{"role": "user", "content": "Do you ship to Belgium?"}]
    second = await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=other)
    haiku = await client.messages.create(model=HAIKU, max_tokens=50, system=cached_system(), messages=other)

    assert second.usage.cache_read_input_tokens == system_tokens and second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == block_tokens(text("Do you ship to Belgium?"))
    assert haiku.usage.cache_read_input_tokens == 0 and haiku.usage.cache_creation_input_tokens == system_tokens


@pytest.mark.asyncio
@pytest.mark.parametrize("blocks, read", [(20, True), (25, False)], ids=["within lookback", "beyond lookback"])
async def test_a_breakpoint_looks_back_twenty_blocks_for_a_cached_prefix(fake_api, client, blocks, read):
    def lines(count: int) -> list[dict]:
        return [{"role": "user", "content": [text(f"Line {n} of the order history.") for n in range(count)]}]

    automatic = {"type": "ephemeral"}
    first = await client.messages.create(model=MODEL, max_tokens=50, messages=lines(1), cache_control=automatic)
    second = await client.messages.create(model=MODEL, max_tokens=50, messages=lines(blocks), cache_control=automatic)

    expected = first.usage.cache_creation_input_tokens if read else 0
    assert second.usage.cache_read_input_tokens == expected
    assert second.usage.input_tokens == 0 and total_input(second.usage) > total_input(first.usage)


@pytest.mark.asyncio
async def test_automatic_breakpoint_on_an_already_marked_last_block_takes_no_extra_slot(fake_api, client):
    system = five_system_breakpoints()[:3]
    messages = [{"role": "user", "content": [{**text(QUESTION), "cache_control": {"type": "ephemeral"}}]}]
    message = await client.messages.create(
        model=MODEL, max_tokens=50, system=system, messages=messages, cache_control={"type": "ephemeral"}
    )
    assert message.usage.cache_creation_input_tokens == total_input(message.usage)


@pytest.mark.asyncio
async def test_min_cacheable_tokens_disables_short_prefixes(fake_api, client):
    fake_api.min_cacheable_tokens = 100_000
    for _ in range(2):
        message = await client.messages.create(
            model=MODEL, max_tokens=50, system=cached_system(), messages=USER, cache_control={"type": "ephemeral"}
        )
        assert message.usage.cache_creation_input_tokens == message.usage.cache_read_input_tokens == 0
        assert message.usage.input_tokens > 0


@pytest.mark.asyncio
async def test_one_hour_ttl_is_reported_apart(fake_api, client):
    system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    message = await client.messages.create(
        model=MODEL, max_tokens=50, system=system, messages=USER, cache_control={"type": "ephemeral"}
    )
    assert message.usage.cache_creation.ephemeral_1h_input_tokens == block_tokens(system[0])
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == block_tokens(text(QUESTION))


@pytest.mark.asyncio
async def test_reset_forgets_everything(fake_api, client):
    await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=USER)
    fake_api.enqueue(Reply([text("left over")]))
    fake_api.route(lambda req: True, lambda req: Reply([text("routed")]))
    fake_api.responder = lambda req: Reply([text("responded")])
    fake_api.reset()

    assert fake_api.requests == [] and fake_api.pending == 0
    message = await client.messages.create(model=MODEL, max_tokens=50, system=cached_system(), messages=USER)
    assert message.content[0].text == NO_SCRIPT_TEXT
    assert message.usage.cache_read_input_tokens == 0 and message.usage.cache_creation_input_tokens > 0


# --- faults ------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_rate_limit_is_retried_by_the_sdk(fake_api):
    fake_api.enqueue(Fault.rate_limit(retry_after=0), Reply([text("Done")]))
    async with anthropic.AsyncAnthropic(api_key="test-key", base_url=fake_api.base_url, max_retries=2) as sdk:
        message = await sdk.messages.create(model=MODEL, max_tokens=50, messages=USER)

    assert message.content[0].text == "Done"
    assert [r.status for r in fake_api.requests] == [429, 200]
    assert fake_api.requests[1].headers["x-stainless-retry-count"] == "1"


@pytest.mark.asyncio
async def test_rate_limit_error_carries_retry_after(fake_api, client):
    fake_api.enqueue(Fault.rate_limit(retry_after=7))
    with pytest.raises(anthropic.RateLimitError) as raised:
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert raised.value.response.headers["retry-after"] == "7" and raised.value.type == "rate_limit_error"


@pytest.mark.asyncio
async def test_overloaded_raises_without_retries(fake_api, client):
    fake_api.enqueue(Fault.overloaded())
    with pytest.raises(anthropic.OverloadedError) as raised:
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert raised.value.status_code == 529 and raised.value.type == "overloaded_error"
    assert raised.value.request_id == fake_api.requests[0].request_id


@pytest.mark.asyncio
async def test_server_error(fake_api, client):
    fake_api.enqueue(Fault.server_error())
    with pytest.raises(anthropic.InternalServerError) as raised:
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert raised.value.status_code == 500 and raised.value.type == "api_error"


@pytest.mark.asyncio
async def test_error_mid_stream_raises_after_the_text(fake_api, client):
    fake_api.enqueue(Fault.error_mid_stream(after_text="Let me", error_type="overloaded_error"))
    received = []
    with pytest.raises(anthropic.APIStatusError) as raised:
        async with client.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
            async for piece in stream.text_stream:
                received.append(piece)

    assert "".join(received) == "Let me"
    assert raised.value.status_code == 200 and raised.value.type == "overloaded_error"
    assert len(fake_api.requests) == 1


@pytest.mark.asyncio
async def test_error_mid_stream_without_a_stream_is_an_http_error(fake_api, client):
    fake_api.enqueue(Fault.error_mid_stream(after_text="Let me"))
    with pytest.raises(anthropic.OverloadedError):
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)


@pytest.mark.asyncio
async def test_truncated_stream_leaves_stop_reason_none(fake_api, client):
    fake_api.enqueue(Fault.truncated(after_text="Hi"))
    async with client.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
        message = await stream.get_final_message()
    assert message.stop_reason is None and message.content[0].text == "Hi"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_stalled_stream_trips_the_read_timeout(fake_api):
    fake_api.enqueue(Fault.stall(seconds=30, after_text="Let me"))
    # The read timeout also covers the response's headers: long enough that a loaded machine (CI) still opens the
    # stream in time, short enough to trip on the stall.
    async with anthropic.AsyncAnthropic(api_key="test-key", base_url=fake_api.base_url, max_retries=0,
                                        timeout=1.5) as sdk:
        received = []
        # Surprise worth knowing: once the stream is open, the SDK lets httpx2's own timeout through unwrapped.
        with pytest.raises(httpx2.ReadTimeout):
            async with sdk.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
                async for piece in stream.text_stream:
                    received.append(piece)
        assert "".join(received) == "Let me"

        fake_api.enqueue(Fault.stall(seconds=30))
        with pytest.raises(anthropic.APITimeoutError):
            await sdk.messages.create(model=MODEL, max_tokens=50, messages=USER)


@pytest.mark.asyncio
async def test_truncated_body_without_a_stream_is_a_connection_error(fake_api, client):
    fake_api.enqueue(Fault.truncated(after_text="Hi"))
    with pytest.raises(anthropic.APIConnectionError):
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER)


# --- scripting ---------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_routes_come_before_the_queue_and_the_responder_after_it(fake_api, client):
    fake_api.route(lambda req: "haiku" in req.body["model"], lambda req: Reply([text('{"score": 0.1}')]))
    fake_api.route(lambda req: "CLASSIFIER" in req.system_text, lambda req: Reply([text("classified")]))

    async def echo(req):
        return Reply([text(f"echo: {req.body['messages'][-1]['content']}")])

    fake_api.responder = echo
    fake_api.enqueue(Reply([text("queued")]))

    async def ask(model: str, system: str = "Be kind.") -> str:
        message = await client.messages.create(model=model, max_tokens=50, system=system, messages=USER)
        return message.content[0].text

    assert await ask(HAIKU) == '{"score": 0.1}'
    assert await ask(MODEL, system="CLASSIFIER: rate the mood") == "classified"
    assert fake_api.pending == 1
    assert await ask(MODEL) == "queued"
    assert await ask(MODEL) == f"echo: {QUESTION}"


@pytest.mark.asyncio
async def test_a_failing_responder_is_reported_not_retried(fake_api):
    fake_api.responder = lambda req: 1 / 0
    async with anthropic.AsyncAnthropic(api_key="test-key", base_url=fake_api.base_url, max_retries=2) as sdk:
        with pytest.raises(anthropic.InternalServerError, match="ZeroDivisionError"):
            await sdk.messages.create(model=MODEL, max_tokens=50, messages=USER)
    assert len(fake_api.requests) == 1


def test_reply_rejects_unsupported_blocks():
    with pytest.raises(ValueError, match="text or tool_use"):
        Reply([{"type": "thinking", "thinking": "hmm"}])


def test_running_in_thread_serves_a_sync_client():
    with FakeMessagesAPI.running_in_thread() as fake:
        fake.enqueue(Reply([text("Hello from a thread")]), Reply([tool_use("lookup_order", {"order_id": "ORD-1"})]))
        with anthropic.Anthropic(api_key="test-key", base_url=fake.base_url, max_retries=0, timeout=5) as sdk:
            with sdk.messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
                streamed = stream.get_final_message()
            created = sdk.messages.create(model=MODEL, max_tokens=50, messages=USER)

    assert streamed.content[0].text == "Hello from a thread"
    assert created.stop_reason == "tool_use" and created.content[0].input == {"order_id": "ORD-1"}


# --- authentication, paths and validation ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_missing_key_is_401_and_x_api_key_is_accepted(fake_api, client):
    with pytest.raises(anthropic.AuthenticationError):
        await client.messages.create(model=MODEL, max_tokens=50, messages=USER, extra_headers={"Authorization": omit})
    message = await client.messages.create(
        model=MODEL, max_tokens=50, messages=USER, extra_headers={"Authorization": omit, "x-api-key": "other-key"}
    )
    assert message.content[0].text == NO_SCRIPT_TEXT


@pytest.mark.asyncio
async def test_unknown_path_is_404(fake_api, client):
    with pytest.raises(anthropic.NotFoundError):
        await client.get("/v1/unknown", cast_to=object)
    assert fake_api.requests[0].status == 404


@pytest.mark.asyncio
async def test_a_full_valid_conversation_is_accepted(fake_api, client):
    """Guards against false positives: tools, 4 breakpoints, tool results first then text, and a prefill."""
    cached = {"type": "ephemeral"}
    messages = [
        {"role": "user", "content": [{"type": "text", "text": QUESTION, "cache_control": cached}]},
        {"role": "assistant", "content": [text("Checking."), *tool_turn("toolu_01A")["content"]]},
        {"role": "user", "content": [tool_result("toolu_01A"), text("And my other order?")]},
        {"role": "assistant", "content": [tool_use("lookup_order", {"order_id": "ORD-1"}, id="toolu_01B")]},
        {"role": "user", "content": [{**tool_result("toolu_01B"), "cache_control": cached}]},
        {"role": "assistant", "content": "Both orders"},
    ]
    message = await client.messages.create(
        model=MODEL,
        max_tokens=50,
        tools=[{**LOOKUP_ORDER, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
        system=[{"type": "text", "text": "Be kind.", "cache_control": cached}],
        messages=messages,
    )
    assert message.content[0].text == NO_SCRIPT_TEXT


def five_system_breakpoints() -> list[dict]:
    return [{"type": "text", "text": f"Rule {n}.", "cache_control": {"type": "ephemeral"}} for n in range(5)]


INVALID_REQUESTS = {
    "roles not alternating": ({"messages": [*USER, *USER]}, "roles must alternate"),
    "first message from the assistant": ({"messages": [{"role": "assistant", "content": "Hi"}, *USER]}, '"user" role'),
    "unanswered tool_use": (
        {"messages": [*USER, tool_turn(), {"role": "user", "content": "thanks"}], "tools": [LOOKUP_ORDER]},
        "without `tool_result` blocks immediately after: toolu_01A",
    ),
    "tool_use as the last message": ({"messages": [*USER, tool_turn()]}, "without `tool_result`"),
    "tool_result not first": (
        {"messages": [*USER, tool_turn(), {"role": "user", "content": [text("here"), tool_result()]}]},
        "`tool_result` blocks must come first",
    ),
    "tool_result without its tool_use": (
        {"messages": [{"role": "user", "content": [tool_result()]}]},
        "unexpected `tool_use_id`",
    ),
    "repeated tool_use id": (
        {
            "messages": [
                *USER,
                tool_turn(),
                {"role": "user", "content": [tool_result()]},
                tool_turn(),
                {"role": "user", "content": [tool_result()]},
            ]
        },
        "ids must be unique",
    ),
    "five breakpoints": ({"system": five_system_breakpoints()}, "A maximum of 4 blocks with cache_control"),
    "four breakpoints and the automatic one": (
        {"system": five_system_breakpoints()[:4], "cache_control": {"type": "ephemeral"}},
        "Found 5",
    ),
    "cache_control type": ({"cache_control": {"type": "persistent"}}, "cache_control.type"),
    "cache_control ttl": ({"cache_control": {"type": "ephemeral", "ttl": "2h"}}, "cache_control.ttl"),
    "1h after 5m": (
        {"system": cached_system(), "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        "must not come after",
    ),
    "missing max_tokens": ({"max_tokens": omit}, "max_tokens: Field required"),
    "zero max_tokens": ({"max_tokens": 0}, "greater than or equal to 1"),
    "bad tool name": ({"tools": [{**LOOKUP_ORDER, "name": "lookup order"}]}, "tools.0.name"),
    "duplicate tool names": ({"tools": [LOOKUP_ORDER, LOOKUP_ORDER]}, "Tool names must be unique"),
    "tool schema not an object": (
        {"tools": [{**LOOKUP_ORDER, "input_schema": {"type": "string"}}]},
        "input_schema.type",
    ),
    "tool_choice of an unknown tool": (
        {"tools": [LOOKUP_ORDER], "tool_choice": {"type": "tool", "name": "refund"}},
        "no tool named 'refund'",
    ),
    "tool_choice none with disable_parallel_tool_use": (
        {"tools": [LOOKUP_ORDER], "tool_choice": {"type": "none", "disable_parallel_tool_use": True}},
        "Extra inputs are not permitted",
    ),
    "empty text block": ({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}, "non-empty"),
    "whitespace text block": ({"messages": [{"role": "user", "content": [text("  \n")]}]}, "non-whitespace"),
    "empty content": ({"messages": [{"role": "user", "content": ""}]}, "non-empty content"),
    "no messages": ({"messages": []}, "at least one message"),
    "system of non-text blocks": ({"system": [{"type": "image", "source": {}}]}, "system.0"),
    "prefill ending in whitespace": (
        {"messages": [*USER, {"role": "assistant", "content": "Sure, "}]},
        "trailing whitespace",
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("change, message", INVALID_REQUESTS.values(), ids=INVALID_REQUESTS.keys())
async def test_invalid_requests_are_400(fake_api, client, change, message):
    params = {"model": MODEL, "max_tokens": 50, "messages": USER, **change}
    fake_api.enqueue(Reply([text("not for an invalid request")]))
    with pytest.raises(anthropic.BadRequestError, match=message) as raised:
        await client.messages.create(**params)
    assert raised.value.type == "invalid_request_error"
    assert fake_api.requests[0].status == 400 and fake_api.pending == 1
