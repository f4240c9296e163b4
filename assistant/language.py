"""What a customer's words say regardless of who answers: their language, and whether they ask for a person,
threaten, want a refund or just say thanks. Deterministic, English and French, no model.

Used by the turn (the conversation's language), sentiment and escalation (a person, a threat, thanks), and the
offline assistant, which builds its intents on the same matching.
"""

import re
import unicodedata

from assistant.wordlists import find_threat


def fold(text: str) -> str:
    """Lower case without accents, for matching ("remboursé" matches "rembourse")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def matches_any(text: str, patterns) -> bool:
    return any(re.search(p, text) for p in patterns)


FRENCH_MARKERS = (
    r"\bbonjour\b", r"\bbonsoir\b", r"\bsalut\b", r"\bmerci\b", r"\bcommande\b", r"\bje\b", r"\bj'", r"\bvous\b",
    r"\bmon\b", r"\bma\b", r"\bmes\b", r"\bpas\b", r"\bcolis\b", r"\blivraison\b", r"\bou est\b", r"\bc'est\b",
    r"\bnous\b", r"\bavec\b", r"\bpour\b", r"\bune?\b", r"\bles?\b", r"\bdes\b", r"\best\b", r"\bquand\b",
    r"\bcomment\b", r"\bremboursement\b", r"\baide\b", r"\bca\b", r"\bmarche\b", r"\bveux\b", r"\bvoudrais\b",
)
ENGLISH_MARKERS = (
    r"\bthe\b", r"\bmy\b", r"\bis\b", r"\bwhere\b", r"\bhello\b", r"\bhi\b", r"\bthanks?\b", r"\bi\b", r"\byou\b",
    r"\border\b", r"\bwant\b", r"\bhow\b", r"\bwhat\b", r"\bdoes\b", r"\bdon't\b", r"\bcan\b", r"\bplease\b",
    r"\brefund\b", r"\bit\b", r"\band\b", r"\bwith\b",
)


def detect_language(text: str, default: str = "en") -> str:
    folded = fold(text)
    french = sum(bool(re.search(p, folded)) for p in FRENCH_MARKERS) + 2 * bool(re.search(r"[éèêàçùôîë]", text.lower()))
    english = sum(bool(re.search(p, folded)) for p in ENGLISH_MARKERS)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return default


HUMAN = (
    r"\b(human|humain|real person|a person|actual person|someone real|representative|supervisor|manager)\b",
    r"\b(talk|speak|chat)\s+(to|with)\s+(an?\s+)?(agent|person|someone|human|somebody|operator)\b",
    r"\b(live|human|real|support)\s+agent\b", r"\bune? (vraie )?personne\b", r"\bconseiller\b", r"\bun agent\b",
    r"\bparler a (un|une|quelqu'un)\b", r"\bresponsable\b", r"\bsuperviseur\b", r"\bquelqu'un de reel\b",
)
REFUND = (r"\brefund", r"\bmoney back\b", r"\breimburs", r"\brembours", r"\bmon argent\b", r"\bget my money\b")
THANKS = (
    r"\b(thanks|thank you|thx|cheers|merci|parfait|perfect|that's all|c'est tout|great, thanks|bonne journee)\b",
)
def wants_human(text: str) -> bool:
    return matches_any(fold(text), HUMAN)


def is_threat(text: str) -> bool:
    """Legal action, a complaint to an authority, a chargeback or harm, from the word lists of assistant/wordlists/."""
    return find_threat(text) is not None


def wants_refund(text: str) -> bool:
    return matches_any(fold(text), REFUND)


def is_thanks(text: str) -> bool:
    folded = fold(text)
    return matches_any(folded, THANKS) and len(folded.split()) <= 8 and not wants_refund(text)
