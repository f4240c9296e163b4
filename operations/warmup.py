"""What a serving process prepares before it listens, so that its first customer does not pay for it.

Several things are built on first use and kept for the life of the process: the insult and threat word lists
compiled into regular expressions (assistant.wordlists, about 0.3 s), the output guard's index of the protected
prompt, Babel's locale data for amounts, the FAQ search index and its sentence model (faq.search, faq.meaning),
and on the Claude path the SDK's client (its modules, TLS context and response types). Built lazily, they made the
first turn of a fresh process 0.4 s (offline) to 0.8 s (Claude) slower than the next ones: after every deploy or
restart, that was the p99 of the chats it took first. `manage.py serve` runs `warm_up` before it listens.

Each part is independent and best effort: one that fails (the database not reachable yet, say) is logged and left
to be built on first use, as before; serving never waits on it beyond its own duration.
"""

import logging
import time

logger = logging.getLogger(__name__)


def _word_lists() -> None:
    from assistant import wordlists

    wordlists.insults()
    wordlists.threats()


def _output_guard() -> None:
    from assistant import guardrails

    guardrails.leaks_prompt("Hello")  # the protected prompt's index, and Markdown rendering


def _money_formats() -> None:
    """Babel's locale data (read from disk on first use) for every language served: order look-ups state amounts."""
    from decimal import Decimal

    from django.conf import settings

    from helpdesk.money import format_money

    for language, _name in settings.LANGUAGES:
        for currency in ("USD", "EUR"):
            format_money(Decimal("1.00"), currency, language)


def _faq_index() -> None:
    """The FAQ's index, its sentence vectors (from the database when stored, faq.meaning) and the sentence model
    (about 90 MB of weights, once through its arithmetic)."""
    from faq.search import current_index

    current_index().prepare_meaning()


def _model_client() -> None:
    """A client built and thrown away, so the SDK's modules and TLS context are loaded once per process (the backend
    a turn uses is still made on the server's event loop: assistant.llm.get_backend, the HTTP client belongs to
    it); and the SDK's response types completed (its pydantic models defer building their schemas to their first
    use, which was the first streamed answer: about 75 ms)."""
    from assistant.llm import backend_name

    if backend_name() != "claude":
        return
    import anthropic.types
    import pydantic

    from assistant.llm.claude import ClaudeBackend

    ClaudeBackend()
    for name in dir(anthropic.types):
        model = getattr(anthropic.types, name)
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            model.model_rebuild()


PARTS = {"word lists": _word_lists, "output guard": _output_guard, "money formats": _money_formats,
         "FAQ index": _faq_index, "model client": _model_client}


def warm_up() -> dict[str, float | None]:
    """Build every part; returns how long each took (ms), None for one that failed."""
    spent: dict[str, float | None] = {}
    for name, build in PARTS.items():
        started = time.perf_counter()
        try:
            build()
        except Exception:
            logger.warning("warm-up: %s not prepared, it will be on first use", name, exc_info=True)
            spent[name] = None
            continue
        spent[name] = round((time.perf_counter() - started) * 1000, 1)
    logger.info("warmed up in %.0f ms (%s)", sum(ms for ms in spent.values() if ms),
                ", ".join(f"{name} {'failed' if ms is None else f'{ms:.0f} ms'}" for name, ms in spent.items()),
                extra={"warm_up_ms": spent})
    return spent
