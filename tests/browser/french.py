"""Is a page in French? Its visible text checked against the English msgids of our catalog and of Django's admin.

A string counts as untranslated when a piece of the page's visible text (a line of `document.body.innerText`, a
part of it between separators such as " · " or ":", a title / aria-label / placeholder, the value of a button, or
a string a script will show, in the hidden `data-s` spans) is the English msgid of a catalog entry whose French
differs from it. A long msgid (four words or more) also counts inside a longer line; a msgid with placeholders
(`%(name)s`, `{name}`) matches whatever fills them.

Data is not UI text: ticket subjects, names and order numbers are in no catalog, so they never count, and the parts
of a page that show stored text written once in one language (messages, a hand-off's summary, tool calls) are
left out (DATA_SELECTORS, plus a page's own, plus anything marked translate="no").

Use: `untranslated_strings(page)` -> the English strings found, for `assert not found, found`; a desk page to check
is one `FrenchPage(...)` line in tests/browser/test_french_desk_browser.py.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    Path(django.__file__).parent / "contrib" / "admin" / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    Path(django.__file__).parent / "contrib" / "admin" / "locale" / "fr" / "LC_MESSAGES" / "djangojs.po",
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}")
SEPARATORS = re.compile(r"\s+[·•|—–→›]\s+|:\s+|\s*[()]\s*|\s+/\s+|, ")
LONG_MSGID_WORDS = 4
FILLED_BY_DATA = re.compile(r"[\d@#]|[a-z]+-\d")
# Stored text shown as it was written: the chat's messages and tool calls, a hand-off's generated summary.
DATA_SELECTORS = (".bubble", ".tool", "pre.summary", "[translate=no]")


@dataclass(frozen=True)
class FrenchPage:
    """A page to check: `path` may name the ids of the test's data ({ticket}, {conversation}, {customer});
    `user` is who opens it; `data` are CSS selectors of the page's stored text, beside DATA_SELECTORS."""

    name: str
    path: str
    user: str = "sam"
    data: tuple = ()

    def __str__(self):
        return self.name

# What the page shows: its text and the accessible names and hints that are not in its text.
VISIBLE_TEXT_JS = """(dataSelectors) => {
  const data = Array.from(document.querySelectorAll(dataSelectors.join(", ")));
  const displays = data.map((el) => el.style.display);
  data.forEach((el) => { el.style.display = "none"; });
  const texts = [document.title, document.body.innerText];
  data.forEach((el, i) => { el.style.display = displays[i]; });
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  document.querySelectorAll("[title], [aria-label], [placeholder], input[type=submit], input[type=button]")
    .forEach((el) => {
      if (el.closest("[hidden]") || data.some((region) => region.contains(el))) return;
      for (const name of ["title", "aria-label", "placeholder"]) {
        if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
      }
      if (el.matches("input[type=submit], input[type=button]") && visible(el)) texts.push(el.value);
    });
  // The strings a script will show later (the hidden data-s spans) are UI text too.
  document.querySelectorAll("[hidden] [data-s]").forEach((el) => texts.push(el.textContent));
  return texts;
}"""


@dataclass(frozen=True)
class Entry:
    msgid: str
    pattern: re.Pattern
    french: re.Pattern
    long: bool
    short: bool  # one word besides its placeholders ("{count} waiting")

    def shown_in(self, piece: str) -> bool:
        # "Pagination des tickets" matches "Pagination %(name)s" but is the French "Pagination des %(name)s".
        match = self.pattern.fullmatch(piece)
        if not match or self.french.fullmatch(piece):
            return False
        # "%(STORE_NAME)s support" would match the French "indicateurs du support": with one word of its own, a
        # msgid counts when what fills its placeholders is a figure or a code ("2 waiting"), not words.
        return not self.short or all(FILLED_BY_DATA.search(value) for value in match.groups())


def _unquote(line: str) -> str:
    body = line[line.index('"') + 1:line.rindex('"')]
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def read_po(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a PO file, plural forms as (msgid_plural, msgstr[1]) too; the header left out."""
    entries: list[dict] = []
    entry: dict[str, str] = {}
    keyword = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):  # obsolete entries are not in the compiled catalog
            continue
        if not line or line.startswith("#"):
            keyword = None
            continue
        if line.startswith('"'):
            if keyword:
                entry[keyword] += _unquote(line)
            continue
        keyword = line.split(" ", 1)[0]
        if keyword in ("msgctxt", "msgid") and any(key.startswith("msgstr") for key in entry):
            entries.append(entry)
            entry = {}
        entry[keyword] = _unquote(line)
    entries.append(entry)
    pairs = []
    for entry in entries:
        if entry.get("msgid"):
            pairs.append((entry["msgid"], entry.get("msgstr", entry.get("msgstr[0]", ""))))
        if entry.get("msgid_plural"):
            pairs.append((entry["msgid_plural"], entry.get("msgstr[1]", "")))
    return pairs


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _pattern(msgid: str) -> re.Pattern:
    parts = PLACEHOLDER.split(_normal(msgid))
    return re.compile("(.+?)".join(re.escape(part) for part in parts))


@cache
def english_entries() -> tuple[Entry, ...]:
    """Catalog entries whose French differs from their English: seeing their msgid on a French page is a bug."""
    entries = {}
    for path in CATALOGS:
        for msgid, msgstr in read_po(path):
            english = _normal(msgid)
            words = PLACEHOLDER.sub(" ", english)
            if english == _normal(msgstr) or not re.search(r"[a-z]{2}", words):
                continue  # the same in both languages ("Notes", "Total"), or no word at all ("%(day)s/%(month)s")
            entries.setdefault(english, Entry(msgid, _pattern(msgid), _pattern(msgstr or msgid),
                                              long=len(words.split()) >= LONG_MSGID_WORDS,
                                              short=english != words and len(words.split()) <= 1))
    return tuple(entries.values())


@cache
def french_patterns() -> tuple[re.Pattern, ...]:
    """The French translations to look for in a line: without placeholders, or with two words of their own (a
    "%(title)s : %(facts)s" would be found in any line)."""
    return tuple({entry.french.pattern: entry.french for entry in english_entries()
                  if not entry.french.groups or len(re.sub(r"\(\.\+\?\)", " ", entry.french.pattern).split()) >= 2
                  }.values())


@cache
def french_in(line: str) -> tuple[str, ...]:
    """The French translations the line shows (as they read there, placeholders filled)."""
    return tuple(match.group(0) for pattern in french_patterns() if (match := pattern.search(line)))


def pieces(texts: list[str]) -> set[tuple[str, str]]:
    """(piece, line): the lines of the visible texts and their parts between separators, normalized."""
    found = set()
    for text in texts:
        for line in (text or "").splitlines():
            line = _normal(line)
            if not line:
                continue
            found.add((line, line))
            found.update((_normal(part).strip(" .…,;!?*★✔✘✕"), line) for part in SEPARATORS.split(line))
    return {(piece, line) for piece, line in found if piece}


def _inside_french(piece: str, line: str) -> bool:
    """The piece is a word of a French translation on its line: "csat" in "satisfaction (csat) moyenne par jour"."""
    return any(piece != french and piece in french for french in french_in(line))


def untranslated_in(texts: list[str]) -> list[str]:
    """The English msgids that the texts show (as a whole piece, or inside a line for long msgids)."""
    shown = pieces(texts)
    lines = {line for _, line in shown}
    found = []
    for entry in english_entries():
        if any(entry.shown_in(piece) and not _inside_french(piece, line) for piece, line in shown) or (
                entry.long and any(entry.pattern.search(line) and not entry.french.search(line) for line in lines)):
            found.append(entry.msgid)
    return sorted(found)


def visible_texts(page, data: tuple = ()) -> list[str]:
    """The page's visible text, accessible names and script strings, without its stored text (`data` selectors
    beside DATA_SELECTORS)."""
    return page.evaluate(VISIBLE_TEXT_JS, [*DATA_SELECTORS, *data])


def untranslated_strings(page, data: tuple = ()) -> list[str]:
    """The English strings (catalog msgids with a French translation) that the page shows."""
    return untranslated_in(visible_texts(page, data))
