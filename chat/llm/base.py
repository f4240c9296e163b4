"""The LLM seam: one async protocol that streams a model's answer as events.

Both backends (Claude through the anthropic SDK, and the offline assistant) take the same request — system blocks,
messages and tool definitions in the Messages API's shapes — and yield the same events, so the tool loop, the
tools and every rule behind them run identically with or without an API key.
"""

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
    """The model could not answer. `kind`: rate_limited, overloaded, unavailable, timeout, incomplete, refused,
    bad_request. `streamed` tells whether some text already reached the customer (then it is not retried)."""

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
