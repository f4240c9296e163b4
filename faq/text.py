"""How the knowledge base reads text: the same analysis for entries, phrasings, customers' questions and the
content-gaps page, so that "remboursé", "rembourser" and "Remboursement" are one word, and "délais" is "delais".

`analyze` folds (lower case, accents removed, typographic apostrophes made plain), splits into words (French
elisions such as l', d', qu' come apart), drops stop words of either language and stems with the Snowball stemmer
of the text's language (PyStemmer: the C build of the Snowball project's stemmers, maintained by that project).

A country's name, in English or French, in one word or several ("Belgium", "Royaume-Uni", "the United States"),
is read as one word, COUNTRY: a customer asking whether we deliver to Portugal asks the question the entry that
lists the countries we ship to answers, whichever countries that entry happens to name. The names are Babel's
(CLDR's territory names, maintained by the Unicode consortium), not a list of ours.
"""

import functools
import re
import threading
import unicodedata

import Stemmer
from babel import Locale

LANGUAGES = {"en": "english", "fr": "french"}

# Function words of English and French (folded), the halves of contractions ("won't" reads "won" + "t"), and what
# customers add around a question without it being the question ("hi", "please", "thanks"). Both languages' lists apply to every text: a French customer writes "ok",
# an English one "merci", and neither list holds a content word of the other language.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves im ive id dont doesnt didnt cant cannot
    wont isnt arent wasnt hi hello hey thanks thank please pls plz ok okay yes yeah also really still just want
    wanted need needs know tell help guys anyone someone something thing things get got getting go going way
    u ur r us let lets may might must shall would like could
    ve ll re don doesn didn won isn aren wasn weren couldn shouldn wouldn haven hasn hadn ain
    au aux avec ce ces cette cet dans de des du elle elles en et eux il ils je la le les leur leurs lui ma mais me
    meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une
    vos votre vous c d j l m n s t y a ete etre avoir ai as avez ont suis es est sommes etes sont fait faire
    comment quand quel quelle quels quelles bonjour bonsoir merci salut svp stp plait veux voudrais voudrai peux
    pouvez puis peut dois doit ca cela ceci ici la voila alors donc aussi tres bien oui non si deja encore
    chez quoi combien pourquoi est-ce estce ya
    """.split()
)

WORD = re.compile(r"[a-z0-9]+")

COUNTRY = "country0"  # no language's word, and both stemmers leave it as it is: one term in every language
# CLDR territories that are not countries a parcel goes to, and names that are also everyday words in support
# questions ("a turkey", "a jersey", "la réunion" is a meeting, Chad and Jordan are first names).
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AQ", "BV", "HM", "UM", "IO", "TF"})
AMBIGUOUS_NAMES = frozenset({"turkey", "jersey", "chad", "jordan", "georgia", "guinea", "la reunion", "reunion",
                             "maurice", "christmas island"})
_local = threading.local()


def fold(text: str) -> str:
    """Lower case without accents ("Délais" -> "delais"), typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'").replace("œ", "oe")


@functools.cache
def _country_names() -> dict[str, tuple[tuple[str, ...], ...]]:
    """First folded word -> the folded names (word tuples) that start with it, longest first."""
    names = set()
    for language in LANGUAGES:
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES:
                folded = tuple(WORD.findall(fold(name)))
                if folded and " ".join(folded) not in AMBIGUOUS_NAMES:
                    names.add(folded)
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for name in names:
        by_first.setdefault(name[0], []).append(name)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in by_first.items()}


def _countries_as_one_word(found: list[str]) -> list[str]:
    names = _country_names()
    out, i = [], 0
    while i < len(found):
        for name in names.get(found[i], ()):
            if tuple(found[i:i + len(name)]) == name:
                out.append(COUNTRY)
                i += len(name)
                break
        else:
            out.append(found[i])
            i += 1
    return out


def words(text: str) -> list[str]:
    """Folded words, stop words and single letters dropped, digits kept only inside words ("ps5", not "30"), a
    country's name one word (COUNTRY)."""
    return [w for w in _countries_as_one_word(WORD.findall(fold(text)))
            if len(w) > 1 and w not in STOP_WORDS and not w.isdigit()]


def stemmer(language: str) -> Stemmer.Stemmer:
    """One stemmer per thread and language (a PyStemmer object is not meant to be shared across threads)."""
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    name = LANGUAGES.get(language, "english")
    if name not in stemmers:
        stemmers[name] = Stemmer.Stemmer(name)
    return stemmers[name]


def stems(raw_words: list[str], language: str) -> list[str]:
    return stemmer(language).stemWords(raw_words)


def analyze(text: str, language: str) -> list[str]:
    """The text's search terms in `language`, in order, repeats kept."""
    return stems(words(text), language)
