"""Which model answers: Claude when ANTHROPIC_API_KEY is set, the offline assistant otherwise."""

import asyncio

from django.conf import settings

from assistant.llm.base import FinalMessage, LLMBackend, LLMError, LLMRequest, TextDelta, ToolUseStarted, Usage, bounded

_backends: dict = {}


def backend_name() -> str:
    return "claude" if settings.ANTHROPIC_API_KEY else "offline"


def get_backend(*, paced: bool = True) -> LLMBackend:
    """One backend per event loop (the SDK's HTTP client belongs to the loop that created it).

    The offline assistant streams its words at OFFLINE_WORDS_PER_SECOND, as a model would, unless `paced` is false
    (nobody watches the words arrive: output to a file, a script)."""
    try:
        loop_id = id(asyncio.get_running_loop())
    except RuntimeError:
        loop_id = None
    name = backend_name()
    pace = float(settings.OFFLINE_WORDS_PER_SECOND) if paced and name == "offline" else 0.0
    key = (name, settings.ANTHROPIC_BASE_URL, settings.ANTHROPIC_MODEL, pace, loop_id)
    if key not in _backends:
        if name == "claude":
            from assistant.llm.claude import ClaudeBackend

            _backends[key] = ClaudeBackend()
        else:
            from assistant.llm.offline import OfflineBackend

            _backends[key] = OfflineBackend(words_per_second=pace)
    return _backends[key]


__all__ = ["FinalMessage", "LLMBackend", "LLMError", "LLMRequest", "TextDelta", "ToolUseStarted", "Usage",
           "backend_name", "bounded", "get_backend"]
