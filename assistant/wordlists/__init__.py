"""Insults and threats in English and French, matched against the word lists in this folder.

    insults.en.txt  insults.fr.txt    -> find_insult(text): the abusive words of a message, or None
    threats.en.txt  threats.fr.txt    -> find_threat(text): the threat of a message (legal action, harm), or None

Each file says in its header how to maintain it. The lists are read once, on first use, and compiled into a few
regular expressions; every language's lists apply to every message (a short insult says little of its language).

A message is matched in three forms, and a term found in any of them counts:
- folded: lower case, accents and zero-width characters removed, typographic apostrophes made plain;
- with digits and symbols read as the letters they stand for inside a word ("sh1t", "$hit", "1d10t", "b!tch");
- with spaced-out letters joined ("f u c k", "i.d.i.o.t").
Inside a term's pattern a letter may be stretched to three or more ("fuuuck", "connnard"), but a single letter
does not match a double one ("proces" is not "process", "nul" not "null") nor a double letter a single one
("conne" is not "cone"); every letter but the first may be hidden by a star ("f*ck", "enc*lé"). Terms match whole
words only: "con" is not found in "concert", nor "ass" in "class", nor "suck" in "successful".

Why our own lists rather than a library: the maintained profanity packages on PyPI are English-only
(better-profanity, profanex, alt-profanity-check with its scikit-learn model) or, with French, are lists of sexual
and vulgar vocabulary rather than insults aimed at someone (glin-profanity 4.1: it misses "idiot", "tocard",
"abruti", "t'es nul", "fdp", and flags "bosser", "veuve", "my money is tied up", "this product sucks"). Support
language needs the distinction those lists do not make: a complaint about a thing is not abuse of a person.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
LANGUAGES = ("en", "fr")
INSULT_SECTIONS = ("insults", "swearing", "said to someone", "addressing", "about oneself", "between", "innocent")
THREAT_SECTIONS = ("threats", "innocent")
MAX_BETWEEN = 4  # words allowed between a way of addressing someone and the insult ("you are SUCH A clown")

ZERO_WIDTH = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
APOSTROPHES = re.compile("[\u2018\u2019\u201b\u02bc\u2032`\u00b4]")
# A run of characters that may spell a word in disguise: letters, digits, and the symbols used for letters.
DISGUISED_WORD = re.compile(r"[a-z0-9@$!|*]+")
LETTERS_FOR = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
                             "!": "i", "|": "i"})
# Three or more single letters in a row, separated by spaces, dots, dashes or underscores ("f u c k").
SPACED_LETTERS = re.compile(r"(?<![a-z0-9'])[a-z](?:[ ._-]{1,2}[a-z](?![a-z0-9'])){2,}")
# Between two words of a listed phrase: spaces, or an apostrophe or hyphen ("t'es", "va-t'en", "cul-de-sac").
BETWEEN_WORDS = r"(?:\s*['\-]\s*|\s+)"
WORD_START = r"(?<![a-z0-9])"
WORD_END = r"(?![a-z0-9])"


def fold(text: str) -> str:
    """Lower case without accents, zero-width characters or typographic apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return APOSTROPHES.sub("'", ZERO_WIDTH.sub("", plain))


def _letters_for_symbols(match: re.Match) -> str:
    word = match.group(0)
    core = word.rstrip("!")  # "idiot!!" ends a sentence; "b!tch" hides an i
    if not re.search(r"[a-z]", core) or not re.search(r"[0-9@$!|]", core):
        return word  # a number, an amount, or a plain word
    return core.translate(LETTERS_FOR) + word[len(core):]


def forms(text: str) -> list[str]:
    """The forms of `text` that terms are looked for in (see the module's docstring)."""
    folded = fold(text)
    undisguised = DISGUISED_WORD.sub(_letters_for_symbols, folded)
    joined = SPACED_LETTERS.sub(lambda m: re.sub(r"[ ._-]", "", m.group(0)), undisguised)
    return list(dict.fromkeys((folded, undisguised, joined)))


def term_pattern(term: str) -> str:
    """A listed term (a word or a phrase, folded) as a regular expression, without the word boundaries."""
    words = [w for w in re.split(r"[^a-z0-9*]+", fold(term)) if w]
    return BETWEEN_WORDS.join(_word_pattern(word) for word in words)


def _word_pattern(word: str) -> str:
    any_ending = word.endswith("*") and len(word.rstrip("*")) > 0
    word = word.rstrip("*")
    parts = []
    for index, (char, run) in enumerate((char, len(list(run))) for char, run in groupby(word)):
        # The first letter is a plain literal (the regex engine then skips an alternative on its first letter);
        # the others may be hidden by a star.
        letter = re.escape(char) if index == 0 else f"[{re.escape(char)}*]"
        if run == 1:  # once, or stretched to three or more: "proces" must not match "process", nor "nul" "null"
            parts.append(f"{letter}(?:{letter}{letter}+)?")
        else:
            parts.append(f"{letter * run}{letter}*")
    return "".join(parts) + (r"[a-z*]*" if any_ending else "")


def _alternatives(terms) -> str:
    # Longest first, so that a phrase wins over the word it starts with.
    return "|".join(term_pattern(t) for t in sorted(terms, key=len, reverse=True))


def read_list(path: Path, sections: tuple[str, ...]) -> dict[str, list[str]]:
    """A word list file: its terms by section. Terms before any [section] belong to the first of `sections`."""
    found: dict[str, list[str]] = {name: [] for name in sections}
    current = sections[0]
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            if current not in found:
                raise ValueError(f"{path.name}:{number}: unknown section [{current}] (known: {', '.join(sections)})")
            continue
        found[current].append(fold(line))
    return found


@dataclass(frozen=True)
class Lexicon:
    """Compiled lists: `find` is what flags a message; `excused` spans are removed from it first."""

    find: tuple[re.Pattern, ...]
    excused: tuple[re.Pattern, ...]

    def first_match(self, text: str) -> str | None:
        for form in forms(text):
            for pattern in self.excused:
                form = pattern.sub(lambda m: " " * len(m.group(0)), form)
            for pattern in self.find:
                if match := pattern.search(form):
                    return match.group(0)
        return None


def _compiled(body: str) -> re.Pattern:
    return re.compile(f"{WORD_START}(?:{body}){WORD_END}")


def _insult_patterns(lists: dict[str, list[str]], excusable: list[str]) -> tuple[list[re.Pattern], list[re.Pattern]]:
    """One language's patterns. `excusable`: the insults of every language, which a customer may say of
    themselves in any of them ("je suis un idiot")."""
    find, excused = [], []
    between = f"(?:{BETWEEN_WORDS}(?:{_alternatives(lists['between'])})){{0,{MAX_BETWEEN}}}" if lists["between"] else ""
    if anywhere := lists["insults"] + lists["swearing"]:
        find.append(_compiled(_alternatives(anywhere)))
    if lists["said to someone"] and lists["addressing"]:
        find.append(_compiled(f"(?:{_alternatives(lists['addressing'])}){between}{BETWEEN_WORDS}"
                              f"(?:{_alternatives(lists['said to someone'])})"))
    if lists["about oneself"]:
        excused.append(_compiled(f"(?:{_alternatives(lists['about oneself'])}){between}{BETWEEN_WORDS}"
                                 f"(?:{_alternatives(excusable)})"))
    if lists["innocent"]:
        excused.append(_compiled(_alternatives(lists["innocent"])))
    return find, excused


@cache
def insults() -> Lexicon:
    lists = {language: read_list(FOLDER / f"insults.{language}.txt", INSULT_SECTIONS) for language in LANGUAGES}
    excusable = sorted({term for found in lists.values() for term in found["insults"] + found["said to someone"]})
    find, excused = [], []
    for found in lists.values():
        more_find, more_excused = _insult_patterns(found, excusable)
        find += more_find
        excused += more_excused
    return Lexicon(tuple(find), tuple(excused))


@cache
def threats() -> Lexicon:
    find, excused = [], []
    for language in LANGUAGES:
        lists = read_list(FOLDER / f"threats.{language}.txt", THREAT_SECTIONS)
        find.append(_compiled(_alternatives(lists["threats"])))
        if lists["innocent"]:
            excused.append(_compiled(_alternatives(lists["innocent"])))
    return Lexicon(tuple(find), tuple(excused))


def find_insult(text: str) -> str | None:
    """The first insult (or strong swearing) in `text`, as written there after folding; None when there is none."""
    return insults().first_match(text)


def find_threat(text: str) -> str | None:
    """The first threat in `text` (legal action, a complaint to an authority, a chargeback, harm), or None."""
    return threats().first_match(text)
