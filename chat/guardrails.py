"""Guardrails that live in code: PII masking of logs, and an output guard that keeps the system prompt and the
tool definitions from ever reaching a customer, whatever the model was talked into."""

import functools
import hashlib
import logging
import re

from .pii import mask_pii


class PiiMaskingFilter(logging.Filter):
    """Masks emails, card numbers, phone numbers, IBANs and secrets in every log record.

    The message is formatted with its arguments first, then masked, so a PII value passed as a %-argument is
    caught too. Exception text is masked by formatting it into the message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must still be logged, masked as it is
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        record.msg = mask_pii(message)
        record.args = None
        return True


# --- output guard: the system prompt and tool definitions never reach the customer ---------------------------------
SHINGLE_WORDS = 10
TAIL_CHARS = 400  # longer than any run of SHINGLE_WORDS words of the prompt, and than the canary


def prompt_canary() -> str:
    """A secret marker planted in the system prompt: if it ever shows up in an answer, the prompt is leaking."""
    from django.conf import settings

    return _canary_for(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _canary_for(secret_key: str) -> str:
    digest = hashlib.sha256(f"canary:{secret_key}".encode()).hexdigest()
    return f"ZX-{digest[:12].upper()}"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@functools.lru_cache(maxsize=4)
def _protected_shingles(protected: str) -> frozenset:
    words = _words(protected)
    return frozenset(tuple(words[i:i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))


def protected_text() -> str:
    """What must never be quoted to a customer: the static system prompt and the tools' descriptions."""
    from .prompts import static_prompt
    from .tools import TOOLS

    return static_prompt() + "\n" + "\n".join(tool["description"] for tool in TOOLS)


def leaks_prompt(text: str) -> bool:
    if prompt_canary().lower() in text.lower():
        return True
    shingles = _protected_shingles(protected_text())
    words = _words(text)
    return any(tuple(words[i:i + SHINGLE_WORDS]) in shingles for i in range(len(words) - SHINGLE_WORDS + 1))


class OutputGuard:
    """Filters a streamed answer: a delta's tail is held back only while it could be the start of the canary (so a
    canary split across deltas is still caught, and ordinary text is not delayed); once a leak is seen, nothing
    more is streamed and the final text is replaced."""

    def __init__(self):
        self.seen = ""
        self.emitted = 0
        self.leaked = False
        self.hold = len(prompt_canary())

    def feed(self, delta: str) -> str:
        """The part of the answer so far that is safe to show now."""
        if self.leaked:
            return ""
        self.seen += delta
        # Only the tail can hold something new: the delta plus enough before it to complete a canary or a quoted
        # run of words that started earlier (checking the whole answer at every delta would be quadratic).
        if leaks_prompt(self.seen[-(len(delta) + TAIL_CHARS):]):
            self.leaked = True
            return ""
        safe_until = max(self.emitted, len(self.seen) - self._held_suffix())
        chunk = self.seen[self.emitted:safe_until]
        self.emitted = safe_until
        return chunk

    def _held_suffix(self) -> int:
        """How many trailing characters could be the start of the canary: only those wait for the next delta."""
        canary, tail = prompt_canary().lower(), self.seen[-self.hold:].lower()
        for size in range(min(len(tail), len(canary)), 0, -1):
            if canary.startswith(tail[-size:]):
                return size
        return 0

    def flush(self) -> str:
        if self.leaked:
            return ""
        chunk = self.seen[self.emitted:]
        self.emitted = len(self.seen)
        return chunk

    def final_text(self, text: str) -> tuple[str, bool]:
        """The text to store and show, and whether it had to be withheld."""
        if self.leaked or leaks_prompt(text):
            self.leaked = True
            return WITHHELD_ANSWER, True
        return text, False


WITHHELD_ANSWER = ("I'm sorry, I can't share that. I'm here to help with your orders, refunds and questions about "
                   "our store. What can I do for you?")
