"""Guardrails that live in code: PII masking of logs, and an output guard that keeps the system prompt and the
tool definitions from ever reaching a customer, whatever the model was talked into."""

import functools
import html
import re
import unicodedata
from collections import deque
from dataclasses import dataclass

from conversations.rendering import render_markdown

from .prompts import prompt_canary, static_prompt
from .tools import TOOLS

# --- output guard: the system prompt and tool definitions never reach the customer ---------------------------------
# The guard compares what the customer will SEE with the protected text, both folded the same way: HTML entities
# decoded, tags and Markdown markers removed, invisible characters (Cf) and combining marks (Mn, Me) dropped, NFKC,
# common Cyrillic/Greek look-alikes mapped to Latin, case folded. Two measures, both computed incrementally:
# - an ordered run of CHAIN_WORDS protected words where at most MAX_INSERTED other words sit between two of them in
#   the answer and at most MAX_SKIPPED protected words are left out between two of them (a quote with a word
#   inserted every few words, or a word dropped, is still a quote);
# - COMPACT_CHARS letters and digits in a row of the protected text, whatever is between them in the answer (words
#   glued together or split by punctuation, spaces or emphasis).
# Sentences the prompt tells the model to say word for word (the text between double quotes) are not protected.
CHAIN_WORDS = 12  # counted in content words: a function word (of, the, pour, …) counts half
MAX_INSERTED = 2
MAX_SKIPPED = 1
COMPACT_CHARS = 60
HOLD_FROM_WORDS = 3  # while a run of this weight may still grow, the text from its start waits
FUNCTION_WORDS = frozenset(
    "a an the of to for in on at by or and is are be as it its this that with from your you our we i if not no "
    "le la les un une des de du d l et ou en au aux pour par sur est sont ce cet cette vous votre nous je il elle "
    "ne pas qui que".split()
)

_ENTITY = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};?)")
_ENTITY_PREFIX = re.compile(r"&(?:#[xX]?[0-9a-fA-F]{0,7}|[A-Za-z][A-Za-z0-9]{0,31})?")
_TAG = re.compile(r"<[^<>]{0,200}>")
_MARKUP = frozenset("*_~`\\")
_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "һ": "h", "ӏ": "l", "к": "k", "м": "m", "т": "t", "в": "b", "н": "h", "ԛ": "q", "ԝ": "w",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
})


@functools.lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One displayed character as the guard compares it (may be empty: invisible characters and marks)."""
    composed = unicodedata.normalize("NFKC", char)
    decomposed = unicodedata.normalize("NFD", composed)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
    return kept.casefold().translate(_LOOKALIKES)


def fold_displayed(text: str) -> str:
    """The whole of `text` folded as the guard sees it (entities decoded, markup and invisibles dropped)."""
    return "".join(char for char, _ in _DisplayFolder().feed(text, final=True))


class _DisplayFolder:
    """Turns raw model text, delta by delta, into folded characters, each with the raw offset it came from.

    An entity or a tag cut by the end of a delta waits for the next one (or for the end of the answer)."""

    def __init__(self):
        self.pending = ""
        self.offset = 0  # raw offset of pending[0]

    def feed(self, text: str, *, final: bool) -> list[tuple[str, int]]:
        raw, base = self.pending + text, self.offset
        out, i = [], 0
        while i < len(raw):
            char = raw[i]
            if char == "&":
                entity = _ENTITY.match(raw, i)
                if entity and (entity.group(0).endswith(";") or final or entity.end() < len(raw)):
                    decoded = html.unescape(entity.group(0))
                    if decoded != entity.group(0):
                        out += [(c, base + i) for d in decoded for c in fold_char(d) if c]
                        i = entity.end()
                        continue
                elif not final and _ENTITY_PREFIX.fullmatch(raw, i):
                    break  # may still become an entity
            elif char == "<":
                tag = _TAG.match(raw, i)
                if tag:
                    out.append((" ", base + i))
                    i = tag.end()
                    continue
                if not final and len(raw) - i <= 200 and "<" not in raw[i + 1:]:
                    break  # may still become a tag
            if char not in _MARKUP:
                out += [(c, base + i) for c in fold_char(char)]
            i += 1
        self.pending, self.offset = raw[i:], base + i
        return out


@dataclass(frozen=True)
class _Protected:
    positions: dict  # folded word -> (positions in the protected text (segments kept apart), weight)
    compact_runs: frozenset  # every COMPACT_CHARS-long run of letters and digits of a segment
    canary: str  # the canary folded to letters and digits
    canary_hex: str  # its secret part alone


def _segments(protected: str) -> list[str]:
    """The protected text without the sentences it asks the model to say verbatim (between double quotes)."""
    return [part for part in re.split(r"\"[^\"]{0,400}\"|“[^”]{0,400}”", protected) if part.strip()]


@functools.lru_cache(maxsize=4)
def _protected_index(protected: str, canary: str) -> _Protected:
    positions: dict[str, list[int]] = {}
    runs = set()
    position = 0
    for segment in _segments(protected):
        folded = fold_displayed(segment)
        for word in re.findall(r"[^\W_]+", folded):
            positions.setdefault(word, []).append(position)
            position += 1
        position += MAX_SKIPPED + 2  # no run continues across a removed quote
        compact = "".join(c for c in folded if c.isalnum())
        runs.update(compact[i:i + COMPACT_CHARS] for i in range(len(compact) - COMPACT_CHARS + 1))
    weighted = {word: (tuple(found), 0.5 if word in FUNCTION_WORDS else 1.0) for word, found in positions.items()}
    folded_canary = "".join(c for c in fold_displayed(canary) if c.isalnum())
    return _Protected(weighted, frozenset(runs), folded_canary, folded_canary[2:])


def protected_text() -> str:
    """What must never be quoted to a customer: the static system prompt and the tools' descriptions."""
    return static_prompt() + "\n" + "\n".join(tool["description"] for tool in TOOLS)


class _LeakDetector:
    """Scores folded characters as they come; `leaked` once a measure is crossed. Constant work per character."""

    def __init__(self, protected: _Protected):
        self.protected = protected
        self.leaked = False
        self.word, self.word_start = "", 0
        self.compact: deque = deque(maxlen=max(COMPACT_CHARS, len(protected.canary)))  # (char, raw offset)
        self.compact_tail = ""  # the same characters as one string, for the checks of every character
        self.recent: deque = deque(maxlen=MAX_INSERTED + 1)  # per recent word: {protected position: (run, start)}

    def push(self, chars: list[tuple[str, int]]) -> None:
        for char, offset in chars:
            if self.leaked:
                return
            if char.isalnum():
                if not self.word:
                    self.word_start = offset
                self.word += char
                self.compact.append((char, offset))
                self.compact_tail = (self.compact_tail + char)[-self.compact.maxlen:]
                self._check_compact()
            elif self.word:
                self.end_word()

    def end_word(self) -> None:
        if not self.word:
            return
        word, start = self.word, self.word_start
        self.word = ""
        runs = {}
        positions, weight = self.protected.positions.get(word, ((), 0))
        for position in positions:
            best = (weight, start)
            for previous in self.recent:
                for earlier in range(position - 1 - MAX_SKIPPED, position):
                    if earlier in previous and previous[earlier][0] + weight > best[0]:
                        best = (previous[earlier][0] + weight, previous[earlier][1])
            runs[position] = best
            if best[0] >= CHAIN_WORDS:
                self.leaked = True
        self.recent.append(runs)

    def _check_compact(self) -> None:
        tail = self.compact_tail
        canary = self.protected
        if tail.endswith(canary.canary) or tail.endswith(canary.canary_hex):
            self.leaked = True
        elif len(tail) >= COMPACT_CHARS and tail[-COMPACT_CHARS:] in canary.compact_runs:
            self.leaked = True

    def hold_from(self) -> int | None:
        """The raw offset from which text must wait: a quote that may be growing, or a possible canary start."""
        starts = [start for runs in self.recent for run, start in runs.values() if run >= HOLD_FROM_WORDS]
        tail, canary, secret = self.compact_tail, self.protected.canary, self.protected.canary_hex
        # The longest end of the text that a canary could continue from; only a start on the canary's (or its
        # secret's) first letter can be one, so the others are not compared.
        for i in range(max(0, len(tail) - len(canary)), len(tail)):
            if (tail[i] == canary[:1] and canary.startswith(tail[i:])) or (
                    len(tail) - i >= 3 and tail[i] == secret[:1] and secret.startswith(tail[i:])):
                starts.append(self.compact[i - len(tail)][1])
                break
        return min(starts) if starts else None


def _new_detector() -> _LeakDetector:
    return _LeakDetector(_protected_index(protected_text(), prompt_canary()))


def displayed_text(text: str) -> str:
    """What the customer reads once `text` is rendered (conversations.rendering): the HTML's text, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", " ", render_markdown(text)))


def leaks_prompt(text: str, *, as_written_checked: bool = False) -> bool:
    """Whether `text`, as written or as displayed, quotes the protected text or contains the canary.
    `as_written_checked`: a guard already scored exactly this text as written and found no leak (only the
    displayed form is left)."""
    if as_written_checked:
        displayed = _DisplayFolder().feed(displayed_text(text), final=True)
        # A detector's verdict depends on the folded words alone (letters and digits; anything else only ends a
        # word): a displayed form with the same words as the text scored as written has the same verdict.
        if _words(displayed) == _words(_DisplayFolder().feed(text, final=True)):
            return False
        candidates = [displayed]
    else:
        candidates = [_DisplayFolder().feed(candidate, final=True) for candidate in (text, displayed_text(text))]
    for folded in candidates:
        detector = _new_detector()
        detector.push(folded)
        detector.end_word()
        if detector.leaked:
            return True
    return False


def _words(folded: list[tuple[str, int]]) -> list[str]:
    """The words a _LeakDetector sees in folded characters: the runs of letters and digits."""
    return "".join(char if char.isalnum() else " " for char, _ in folded).split()


class OutputGuard:
    """Filters a streamed answer. Each delta is folded and scored once (cost proportional to the delta); text is
    held back only from the start of a quote of the protected text that may still be growing, or of a possible
    canary, so ordinary text is not delayed. Once a leak is seen, nothing more is streamed and the final text is
    replaced."""

    def __init__(self):
        self.seen = ""
        self.emitted = 0
        self.leaked = False
        self.flushed = False  # everything seen so far was scored to its end…
        self.resumed = False  # …in one piece: no text came after a flush (which ended a word there)
        self._folder = _DisplayFolder()
        self._detector = _new_detector()

    def feed(self, delta: str) -> str:
        """The part of the answer so far that is safe to show now."""
        if delta and self.flushed:
            self.flushed, self.resumed = False, True
        return self._advance(delta, final=False)

    def flush(self) -> str:
        """Everything not shown yet, checked to its end (call when the text stops: a tool call or the end)."""
        self.flushed = True
        return self._advance("", final=True)

    def _advance(self, delta: str, *, final: bool) -> str:
        if self.leaked:
            return ""
        self.seen += delta
        self._detector.push(self._folder.feed(delta, final=final))
        if final:
            self._detector.end_word()
        if self._detector.leaked:
            self.leaked = True
            return ""
        safe_until = self._folder.offset  # an unfinished entity or tag waits
        hold = self._detector.hold_from()
        if hold is not None and not final:
            safe_until = min(safe_until, hold)
        safe_until = max(self.emitted, safe_until)
        chunk = self.seen[self.emitted:safe_until]
        self.emitted = safe_until
        return chunk

    def final_text(self, text: str) -> tuple[str, bool]:
        """The text to store and show, and whether it had to be withheld."""
        # The streamed text was scored as it came, in one piece: when the final text is that same text, only its
        # displayed form (Markdown rendered) is left to check.
        scored = self.flushed and not self.resumed and text == self.seen
        if self.leaked or leaks_prompt(text, as_written_checked=scored):
            self.leaked = True
            return WITHHELD_ANSWER, True
        return text, False


WITHHELD_ANSWER = ("I'm sorry, I can't share that. I'm here to help with your orders, refunds and questions about "
                   "our store. What can I do for you?")
