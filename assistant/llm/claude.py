"""Claude through the anthropic SDK (AsyncAnthropic): streaming, prompt caching, retries, deadlines.

Retries: the SDK retries 408/409/429/5xx/529 and connection errors itself (max_retries, honouring retry-after).
Two things it does not do, which we add: an `error` event in the middle of a stream, and a stream that ends
without message_stop, are retried here once more when no text has reached the customer yet. Deadlines (the first
event, the gap between events, the whole call: the SDK obeys any retry-after, however long) are the caller's, with
llm.bounded: a timeout scope here would span the generator's `yield` and cancel the caller instead of the call.
Whatever else goes wrong while reading a stream (a data line that is not JSON, a delta for a block that never
started) becomes LLMError("malformed"): the turn has one kind of failure to handle.

Prompt caching: breakpoints on the last tool definition, on the static part of the system prompt (shared by every
conversation), and on the last block of the conversation, so each call reads everything before it from cache.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import anthropic
import httpx2
from django.conf import settings

from assistant.llm.base import FinalMessage, LLMError, LLMRequest, StreamEvent, TextDelta, ToolUseStarted, Usage
from helpdesk import metrics

log = logging.getLogger(__name__)

EPHEMERAL = {"type": "ephemeral"}
INCOMPLETE_RETRIES = 1


def _error_kind(error: Exception) -> str:
    # A stream that stalls after it opened raises httpx2's own timeout, which the SDK neither wraps nor retries.
    if isinstance(error, (TimeoutError, httpx2.TimeoutException, anthropic.APITimeoutError)):
        return "timeout"
    if isinstance(error, httpx2.HTTPError):
        return "unavailable"
    if isinstance(error, anthropic.RateLimitError):
        return "rate_limited"
    if isinstance(error, anthropic.APIConnectionError):
        return "unavailable"
    if isinstance(error, anthropic.BadRequestError):
        return "bad_request"
    if isinstance(error, anthropic.APIStatusError):
        body_type = getattr(error, "type", None) or ""
        if error.status_code == 529 or "overloaded" in str(body_type) or "overloaded" in str(error):
            return "overloaded"
        return "unavailable"
    return "unavailable"


def with_cache_breakpoints(request: LLMRequest) -> tuple[list[dict], list[dict], list[dict]]:
    """Copies of tools, system and messages with cache_control on their last cacheable blocks (3 of the 4 allowed).

    Only what changes is copied (the lists, and each block that gets cache_control or loses its "cache" mark): the
    request keeps the whole history, and a deep copy of it on every model call grew with the conversation."""
    tools = list(request.tools or [])
    if tools:
        tools[-1] = {**tools[-1], "cache_control": EPHEMERAL}
    system = [{key: value for key, value in block.items() if key != "cache"} for block in request.system]
    cached = [index for index, block in enumerate(request.system) if block.get("cache")]
    if cached:
        system[cached[-1]]["cache_control"] = EPHEMERAL
    messages = list(request.messages)
    if messages:
        last = dict(messages[-1])
        content = last["content"]
        content = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        if content:
            content[-1] = {**content[-1], "cache_control": EPHEMERAL}
        last["content"] = content
        messages[-1] = last
    return tools, system, messages


class ClaudeBackend:
    name = "claude"

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None, model: str | None = None,
                 small_model: str | None = None, timeout: float | None = None, max_retries: int | None = None):
        self.model = model or settings.ANTHROPIC_MODEL
        self.small_model = small_model or settings.ANTHROPIC_SMALL_MODEL
        self.timeout = timeout if timeout is not None else settings.ANTHROPIC_TIMEOUT_SECONDS
        self.client = anthropic.AsyncAnthropic(
            api_key=api_key or settings.ANTHROPIC_API_KEY,
            base_url=base_url or settings.ANTHROPIC_BASE_URL,
            timeout=self.timeout,
            max_retries=settings.ANTHROPIC_MAX_RETRIES if max_retries is None else max_retries,
            http_client=anthropic.DefaultAsyncHttpxClient(event_hooks={"request": [_count_sdk_retry]}),
        )
        # However many retries the SDK makes (and however long a retry-after asks us to wait), a call ends here.
        self.deadline = settings.LLM_CALL_DEADLINE_SECONDS

    async def stream(self, request: LLMRequest) -> AsyncIterator[StreamEvent]:
        tools, system, messages = with_cache_breakpoints(request)
        for attempt in range(INCOMPLETE_RETRIES + 1):
            streamed = False
            try:
                message = _Accumulated()
                stream = await self.client.messages.create(
                    model=self.model, max_tokens=request.max_tokens, system=system, messages=messages,
                    **({"tools": tools} if tools else {}), stream=True,
                )
                async with stream:
                    async for event in stream:
                        shown = message.add(event)
                        if shown is not None:
                            streamed = streamed or isinstance(shown, TextDelta)
                            yield shown
                final = message.final() if message.stop_reason is not None else None
            except (anthropic.APIError, httpx2.HTTPError, TimeoutError) as error:
                kind = _error_kind(error)
                retryable = kind in ("overloaded", "unavailable", "rate_limited") and not streamed
                log.warning("Claude call failed (%s, attempt %d): %s", kind, attempt + 1, error)
                if retryable and attempt < INCOMPLETE_RETRIES:
                    metrics.record_model_retry(self.name)
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
                raise LLMError(kind, str(error), streamed=streamed) from error
            except Exception as error:
                log.warning("Claude stream was malformed (attempt %d): %r", attempt + 1, error)
                if not streamed and attempt < INCOMPLETE_RETRIES:
                    metrics.record_model_retry(self.name)
                    continue
                raise LLMError("malformed", f"{type(error).__name__}: {error}", streamed=streamed) from error
            if message.stop_reason is None:
                log.warning("Claude stream ended without message_stop (attempt %d)", attempt + 1)
                if not streamed and attempt < INCOMPLETE_RETRIES:
                    metrics.record_model_retry(self.name)
                    continue
                raise LLMError("incomplete", "the stream ended early", streamed=streamed)
            if message.stop_reason == "refusal":
                raise LLMError("refused", "the model declined to answer", streamed=streamed)
            yield final
            return

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 300) -> str:
        try:
            async with asyncio.timeout(self.deadline):
                message = await self.client.messages.create(
                    model=self.small_model, max_tokens=max_tokens, system=system,
                    messages=[{"role": "user", "content": prompt}],
                )
        except (anthropic.APIError, httpx2.HTTPError, TimeoutError) as error:
            raise LLMError(_error_kind(error), str(error)) from error
        return "".join(block.text for block in message.content if block.type == "text")


async def _count_sdk_retry(request) -> None:
    """The SDK's own retries (429, 5xx, connection errors) are invisible to us but for this header it sends."""
    if request.headers.get("x-stainless-retry-count", "0") != "0":
        metrics.record_model_retry(ClaudeBackend.name)



class _Accumulated:
    """The message a raw event stream (`messages.create(stream=True)`) describes, built as its events come.

    The SDK's `messages.stream()` helper rebuilds a snapshot of the whole message on every event (and re-parses a
    tool call's partial JSON input on each of its deltas); a turn needs only the text deltas as they come and the
    message at the end. Usage counts on message_delta are cumulative: they overwrite message_start's, and an
    omitted optional one keeps message_start's value. Blocks other than text and tool_use (none is asked for) are
    kept as they started. An event out of order (a delta for a block that never started) raises, as the SDK's does.
    """

    def __init__(self):
        self.blocks: list[dict] = []
        self.texts: dict[int, list[str]] = {}
        self.inputs: dict[int, list[str]] = {}
        self.stop_reason = None
        self.model = ""
        self.usage = {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0,
                      "cache_creation_input_tokens": 0}

    def add(self, event) -> TextDelta | ToolUseStarted | None:
        """Fold `event` in; returns what the turn streams of it (a text delta, a tool call starting), if anything."""
        kind = event.type
        if kind == "content_block_delta":
            delta, index = event.delta, event.index
            if not 0 <= index < len(self.blocks):
                raise IndexError(f"a delta for block {index}, which never started")
            if delta.type == "text_delta" and index in self.texts:
                self.texts[index].append(delta.text)
                return TextDelta(delta.text) if delta.text else None
            if delta.type == "input_json_delta" and index in self.inputs:
                self.inputs[index].append(delta.partial_json)
        elif kind == "content_block_start":
            block = event.content_block
            index = len(self.blocks)
            if block.type == "text":
                self.blocks.append({"type": "text", "text": block.text})
                self.texts[index] = [block.text]
            elif block.type == "tool_use":
                self.blocks.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
                self.inputs[index] = []
                return ToolUseStarted(block.name)
            else:
                self.blocks.append(block.model_dump(exclude_none=True))
        elif kind == "message_start":
            self.model = event.message.model
            self._count(event.message.usage, initial=True)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self._count(event.usage, initial=False)
        return None

    def _count(self, usage, *, initial: bool) -> None:
        for name in self.usage:
            value = getattr(usage, name, None)
            if initial or name == "output_tokens" or value is not None:
                self.usage[name] = value or 0

    def final(self) -> FinalMessage:
        content = []
        for index, block in enumerate(self.blocks):
            if index in self.texts:
                block = {**block, "text": "".join(self.texts[index])}
            elif self.inputs.get(index):
                block = {**block, "input": json.loads("".join(self.inputs[index]))}
            content.append(block)
        usage = Usage(input_tokens=self.usage["input_tokens"], output_tokens=self.usage["output_tokens"],
                      cache_read_tokens=self.usage["cache_read_input_tokens"],
                      cache_write_tokens=self.usage["cache_creation_input_tokens"])
        return FinalMessage(content=content, stop_reason=self.stop_reason, usage=usage, model=self.model)
