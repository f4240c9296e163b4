"""The LLM seam: one async protocol that streams a model's answer as events.

Both backends (Claude through the anthropic SDK, and the offline assistant) take the same request — system blocks,
messages and tool definitions in the Messages API's shapes — and yield the same events, so the tool loop, the
tools and every rule behind them run identically with or without an API key.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolUseStarted:
    """The model began writing a tool call (its input is not complete yet): lets the UI say what is happening."""

    name: str


@dataclass(frozen=True)
class FinalMessage:
    """The complete assistant message: content blocks as the API returns them, ready to be stored and sent back."""

    content: list[dict]
    stop_reason: str | None
    usage: Usage
    model: str

    @property
    def text(self) -> str:
        return "".join(block.get("text", "") for block in self.content if block.get("type") == "text")

    @property
    def tool_uses(self) -> list[dict]:
        return [block for block in self.content if block.get("type") == "tool_use"]


StreamEvent = TextDelta | ToolUseStarted | FinalMessage


@dataclass
class LLMRequest:
    system: list[dict]
    messages: list[dict]
    tools: list[dict] = field(default_factory=list)
    max_tokens: int = 1024
    # Facts the offline assistant needs and Claude reads from the system prompt instead.
    hints: dict = field(default_factory=dict)


class LLMError(Exception):
    """The model could not answer. `kind`: rate_limited, overloaded, unavailable, timeout, incomplete, malformed,
    refused, bad_request. `streamed` tells whether some text already reached the customer (then it is not
    retried)."""

    def __init__(self, kind: str, detail: str = "", *, streamed: bool = False):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.streamed = streamed


class LLMBackend(Protocol):
    name: str
    model: str

    def stream(self, request: LLMRequest) -> AsyncIterator[StreamEvent]:
        """Yield TextDelta / ToolUseStarted events as they come, then exactly one FinalMessage; or raise LLMError."""
        ...

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 300) -> str:
        """One short non-streaming answer from the small model (classification, summaries)."""
        ...


async def bounded(events: AsyncIterator[StreamEvent], *, first_event: float, between_events: float,
                  total: float) -> AsyncIterator[StreamEvent]:
    """Re-yield a backend's `events`, or raise LLMError("timeout") when the first event takes longer than
    `first_event` seconds, a later one longer than `between_events`, or the whole stream longer than `total`.

    The source is read by a task of its own and handed over through a queue, so no timeout scope ever spans a
    `yield`: a deadline cancels the model call, never the caller while it handles an event (publishing a delta).
    Any other failure of the source (a malformed stream the SDK chokes on) becomes LLMError("malformed"), so the
    caller has one kind of failure to handle. Close this generator (aclosing) to cancel the call early.
    """
    queue: asyncio.Queue = asyncio.Queue()

    async def read() -> None:
        try:
            async for event in events:
                queue.put_nowait((True, event))
        except Exception as error:
            queue.put_nowait((False, error))
        else:
            queue.put_nowait((False, None))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + total
    reader = asyncio.create_task(read())
    waited_for = "the first event"
    try:
        while True:
            wait = min(first_event if waited_for == "the first event" else between_events, deadline - loop.time())
            try:
                is_event, value = await asyncio.wait_for(queue.get(), timeout=max(wait, 0))
            except TimeoutError:
                raise LLMError("timeout", f"no answer: waited too long for {waited_for}") from None
            if not is_event:
                if value is None:
                    return
                if isinstance(value, LLMError):
                    raise value
                raise LLMError("malformed", f"{type(value).__name__}: {value}") from value
            waited_for = "the next event"
            yield value
    finally:
        reader.cancel()
        try:
            await reader
        except BaseException:
            pass


def estimate_tokens(payload) -> int:
    """About 4 characters per token over the JSON, the same approximation as the fake API and the benchmarks."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return (len(text) + 3) // 4
