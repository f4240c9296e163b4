"""Which model answers: Claude when ANTHROPIC_API_KEY is set, the offline assistant otherwise."""

import asyncio

from django.conf import settings

from assistant.llm.base import FinalMessage, LLMBackend, LLMError, LLMRequest, TextDelta, ToolUseStarted, Usage, bounded

_backends: dict = {}


def backend_name() -> str:
    return "claude" if settings.ANTHROPIC_API_KEY else "offline"


def get_backend() -> LLMBackend:
    """One backend per event loop (the SDK's HTTP client belongs to the loop that created it)."""
    try:
        loop_id = id(asyncio.get_running_loop())
    except RuntimeError:
        loop_id = None
    key = (backend_name(), settings.ANTHROPIC_BASE_URL, settings.ANTHROPIC_MODEL, loop_id)
    if key not in _backends:
        if backend_name() == "claude":
            from assistant.llm.claude import ClaudeBackend

            _backends[key] = ClaudeBackend()
        else:
            from assistant.llm.offline import OfflineBackend

            _backends[key] = OfflineBackend()
    return _backends[key]


__all__ = ["FinalMessage", "LLMBackend", "LLMError", "LLMRequest", "TextDelta", "ToolUseStarted", "Usage",
           "backend_name", "bounded", "get_backend"]
