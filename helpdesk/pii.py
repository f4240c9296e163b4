"""Masking of personal data and secrets in free text.

Used twice: on every log record (PiiMaskingFilter, below) and on what a customer types, before it is
stored or sent to the model (card numbers and secrets only there: the customer's own email and phone are needed to
help them).

Numbers are found in two steps, so that neither an odd separator hides a card nor a timestamp looks like a phone:
1. candidates are found broadly: runs of digits (any Unicode digits) separated by any spaces (tabs, no-break and
   thin spaces), dots, slashes, dashes of any kind or invisible characters;
2. each candidate is validated before it is masked: a card needs 13-19 digits, a known issuer prefix and a valid
   Luhn checksum (on whole digit groups, so a card followed by an expiry date is still found); a phone number must be
   valid for one of DEFAULT_PHONE_REGIONS according to `phonenumbers` (merely possible when written +CC, 00CC or
   with an area code in parentheses).
Spans that are known not to be personal data are never masked: ISO dates and timestamps, dates, times, UUIDs, IP
addresses, our identifiers (ORD-12345, TCK-1234567), tracking numbers after the word "tracking"/"suivi", amounts
with a currency.
Secrets: API keys, bearer tokens, and passwords, PINs, passcodes and security codes whether written "password: x"
or in words ("my password is x", "mon mot de passe est x", "pw x1y2").
"""

import logging
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

from .logs import extra_fields

DEFAULT_PHONE_REGIONS = ("US", "FR", "GB", "DE", "BE", "CH", "ES", "IT", "NL", "CA")

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# IBAN: country code, 2 check digits, 11-30 alphanumerics, optionally grouped by 4 with spaces.
_IBAN = re.compile(r"\b([A-Z]{2})(\d{2})(?: ?[A-Z0-9]){11,30}\b")
_API_KEY = re.compile(r"\b(sk-ant-[A-Za-z0-9_-]{2})[A-Za-z0-9_-]+")
# A signed ticket link (tickets.links) is a credential to that ticket: request logs keep only its start.
_TICKET_LINK = re.compile(r"(/support/link/)([A-Za-z0-9_:.-]{6})[A-Za-z0-9_:.-]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")

# What may separate the digit groups of a number: any whitespace (Python's \s covers tabs, no-break, thin and
# ideographic spaces), dots, slashes, every Unicode dash, and invisible characters.
_SEPARATOR = r"[\s.·/\\\-‐-―−﹘﹣－_\u00ad\u200b-\u200d\u2060\ufeff]"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# A run of digit groups; up to 3 separator characters between groups ("4111 - 1111", "4111  1111").
_NUMBER_RUN = re.compile(rf"(?<![^\W\d_])(?<!\d)\d+(?:{_SEPARATOR}{{1,3}}\d+)*(?!\d)(?![^\W\d_])")
_PHONE_RUN = re.compile(rf"(?<![\w+])(?:(?:\+|00)\s?)?(?:\(\d{{1,4}}\){_SEPARATOR}{{0,2}})?\d+"
                        rf"(?:{_SEPARATOR}{{1,2}}\d+|{_SEPARATOR}?\(\d{{1,4}}\){_SEPARATOR}?\d+)*(?![\w])")
_PHONE_HINT = re.compile(r"(?i)(?:tel|t[ée]l[ée]phone|phone|mobile|portable|cell|call|appel\w*|num[ée]ro|number|fax|"
                         r"whatsapp)\W{0,3}$")

# Spans that look numeric but are not personal data: never masked.
_NOT_PII = [re.compile(p) for p in (
    # ISO 8601 dates and timestamps, with optional time, fraction and offset
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    # dates such as 12/01/2026, 01.12.26, 2026/12/01 (the same separator twice, not followed by more groups)
    r"(?<![\d.\/-])\d{1,4}([/.-])\d{1,2}\1\d{1,4}(?!\d|\1\d)",
    r"\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\b",  # times
    r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",  # UUIDs
    r"(?i)\b[0-9a-f]{32}\b",
    r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)",  # IPv4 addresses
    r"\b[A-Z]{2,6}-\d[\d-]*",  # our identifiers: ORD-12345, TCK-1234567
    r"(?i)(?:tracking|suivi|colis|parcel|waybill)(?:\s+(?:number|no\.?|num[ée]ro|#))?\W{0,3}[A-Z0-9][A-Z0-9 -]{5,40}",
    # amounts with a currency before or after
    r"(?i)(?:[$€£¥]|\b(?:EUR|USD|GBP|CHF|CAD)\b)\s?\d[\d\s.,']*\d",
    r"(?i)\d[\d\s.,']*\d\s?(?:[$€£¥]|(?:EUR|USD|GBP|CHF|CAD|euros?|dollars?)\b)",
    r"\*{4}-\*{4}-\*{4}-\d{4}|\*{4}\d{4}",  # what is already masked
)]

# Passwords and other secrets, stated with a colon or in words, in English and French.
_SECRET_WORD = (r"pass(?:word|wd|wort|code|phrase)|pass\s+(?:word|code)|pwd|pw|pin(?:\s+code)?|code\s+pin|"
                r"mots?[\s-]+de[\s-]+passe|mdp|code\s+(?:secret|confidentiel|d'acc[eè]s)|secret(?:\s+code)?|"
                r"token|api[_ -]?key|cvv|cvc|cryptogramme|security\s+code|code\s+de\s+s[ée]curit[ée]")
_OWNER = r"(?:(?:my|the|our|your|mon|ma|mes|le|la|notre|votre)\s+)?"
_CONNECTOR = (r"\s*(?:[:=]|->|=>|\s(?:is|was|are|reads|est|était|etait|sera|:)|'s|’s|,?\s*c['’]est|,?\s*it['’]s)\s*"
              r"(?:[:=]\s*)?")
# Words that follow "my password is" without being the password ("my password is wrong"): kept.
_NOT_A_SECRET = {
    "not", "no", "wrong", "incorrect", "invalid", "expired", "forgotten", "lost", "locked", "blocked", "correct",
    "right", "fine", "ok", "okay", "same", "different", "required", "too", "very", "being", "never", "always",
    "still", "now", "also", "case", "that", "this", "a", "an", "the", "missing", "empty", "reset", "changed",
    "pas", "plus", "faux", "fausse", "oublié", "oublie", "perdu", "bloqué", "bloque", "expiré", "expire", "trop",
    "toujours", "encore", "le", "la", "un", "une", "changé", "change", "refusé", "refuse", "valide", "bon",
}
_PASSWORD = re.compile(
    rf"(?i)\b({_OWNER}(?:{_SECRET_WORD}))\b"
    rf"(?:({_CONNECTOR})(\"[^\"\n]{{1,80}}\"|'[^'\n]{{1,80}}'|«[^»\n]{{1,80}}»|“[^”\n]{{1,80}}”|\S+)"
    rf"|(\s+)(\"[^\"\n]{{1,80}}\"|'[^'\n]{{1,80}}'|«[^»\n]{{1,80}}»|“[^”\n]{{1,80}}”"
    rf"|[^\s\"']*[\d!@#$%^&*()\[\]{{}}<>?~+=|][^\s]*))"
)

# Issuer prefixes of payment cards (IIN ranges) and the lengths they use.
_CARD_PREFIXES = (
    (r"4", (13, 16, 19)),  # Visa
    (r"5[1-5]|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)", (16,)),  # Mastercard
    (r"3[47]", (15,)),  # American Express
    (r"3(?:0[0-5]|[68]\d|9)", (14, 15, 16, 17, 18, 19)),  # Diners Club
    (r"6(?:011|4[4-9]|5)", (16, 17, 18, 19)),  # Discover
    (r"35(?:2[89]|[3-8]\d)", (16, 17, 18, 19)),  # JCB
    (r"62|81", (16, 17, 18, 19)),  # UnionPay
    (r"5[06-9]|6\d", (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (r"220[0-4]", (16, 17, 18, 19)),  # Mir
)
_CARD_PREFIX_RES = [(re.compile(prefix), lengths) for prefix, lengths in _CARD_PREFIXES]


def _digits(text: str) -> str:
    """The decimal digits of `text` as ASCII (full-width and other Unicode digits included)."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """13-19 digits, an issuer prefix used with that length, and a valid Luhn checksum."""
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _CARD_PREFIX_RES)


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for pattern in _NOT_PII for match in pattern.finditer(text)]


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def mask_email(match: re.Match) -> str:
    return f"{match.group(1)}***@{match.group(2)}"


def _mask_cards(text: str) -> tuple[str, int]:
    """Mask every card number: in each run of digit groups, the longest sequence of whole groups that is a card."""
    protected = _protected_spans(text)
    pieces, cursor, found = [], 0, 0
    for run in _NUMBER_RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer(r"\d+", run.group(0))]
        index = 0
        while index < len(groups):
            card = _card_at(text, groups, index)
            if card is None:
                index += 1
                continue
            end_index, digits = card
            start, end = groups[index][0], groups[end_index][1]
            if _overlaps(start, end, protected):
                index += 1
                continue
            pieces += [text[cursor:start], f"****-****-****-{digits[-4:]}"]
            cursor, found, index = end, found + 1, end_index + 1
    pieces.append(text[cursor:])
    return "".join(pieces), found


def _card_at(text: str, groups: list[tuple[int, int]], first: int) -> tuple[int, str] | None:
    """The last group index and digits of the longest card starting at group `first`, if any."""
    digits, best = "", None
    for index in range(first, len(groups)):
        digits += _digits(text[groups[index][0]:groups[index][1]])
        if len(digits) > 19:
            break
        if is_card_number(digits):
            best = (index, digits)
    return best


def _mask_iban(match: re.Match) -> str:
    compact = match.group(0).replace(" ", "")
    return f"{match.group(1)}{match.group(2)} **** {compact[-4:]}"


def _is_phone_number(candidate: str, strong_hint: bool) -> bool:
    digits = _digits(candidate)
    if not 8 <= len(digits) <= 15:
        return False
    compact = candidate.strip()
    international = compact.startswith(("+", "00"))
    if international:
        number = "+" + digits[2:] if compact.startswith("00") else "+" + digits
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_possible_number(parsed) if strong_hint else phonenumbers.is_valid_number(parsed)
    for region in DEFAULT_PHONE_REGIONS:
        # A number written nationally starts with the trunk prefix 0 in Europe; in North America it has 10 digits
        # (11 with the leading 1). Without this, ids and durations pass as phone numbers of some region.
        if region in ("US", "CA") and not (len(digits) == 10 or (len(digits) == 11 and digits[0] == "1")):
            continue
        if region not in ("US", "CA") and not digits.startswith("0"):
            continue
        try:
            parsed = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed) or (strong_hint and phonenumbers.is_possible_number(parsed)
                                                    and region in ("US", "CA") and len(digits) in (10, 11)):
            return True
    return False


def _mask_phones(text: str) -> str:
    protected = _protected_spans(text)

    def replace(match: re.Match) -> str:
        candidate = match.group(0)
        if _overlaps(match.start(), match.end(), protected):
            return candidate
        strong_hint = (candidate.lstrip().startswith(("+", "00")) or "(" in candidate
                       or bool(_PHONE_HINT.search(text[max(0, match.start() - 20):match.start()])))
        if not _is_phone_number(candidate, strong_hint):
            return candidate
        return f"****{_digits(candidate)[-4:]}"

    return _PHONE_RUN.sub(replace, text)


def _mask_password(match: re.Match) -> str:
    if match.group(3) is not None:
        value = match.group(3)
        if value.strip(".,;!?").lower() in _NOT_A_SECRET:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}[redacted]"
    return f"{match.group(1)}{match.group(4)}[redacted]"


def _without_invisibles(text: str) -> str:
    return text.translate({ord(c): None for c in _INVISIBLE}) if any(c in text for c in _INVISIBLE) else text


@dataclass(frozen=True)
class MaskResult:
    text: str
    found_card: bool
    found_secret: bool


def mask_payment_data(text: str) -> MaskResult:
    """Mask card numbers, IBANs and secrets: what a customer must never have stored, even in their own chat."""
    masked, ibans = _IBAN.subn(_mask_iban, text)
    masked, cards = _mask_cards(masked)
    masked, keys = _API_KEY.subn(lambda m: f"{m.group(1)}…[redacted]", masked)
    masked, bearers = _BEARER.subn(lambda m: f"{m.group(1)}[redacted]", masked)
    before = masked
    masked = _PASSWORD.sub(_mask_password, masked)
    if masked == before and any(c in masked for c in _INVISIBLE):  # "pass\u200bword: x"
        visible = _without_invisibles(masked)
        if _PASSWORD.sub(_mask_password, visible) != visible:
            masked = _PASSWORD.sub(_mask_password, visible)
    return MaskResult(masked, found_card=bool(cards or ibans), found_secret=bool(keys or bearers or masked != before))


def mask_pii(text: str) -> str:
    """Everything masked: payment data and secrets, signed ticket links, then emails and phone numbers (for logs)."""
    masked = mask_payment_data(text).text
    masked = _TICKET_LINK.sub(r"\1\2…", masked)
    masked = _EMAIL.sub(mask_email, masked)
    return _mask_phones(masked)


class PiiMaskingFilter(logging.Filter):
    """Masks emails, card numbers, phone numbers, IBANs and secrets in every log record.

    The message is formatted with its arguments first, then masked, so a PII value passed as a %-argument is
    caught too. Exception text is masked by formatting it into the message. Fields passed with `extra=` (which
    the JSON formatter writes out, helpdesk.logs) are masked too, strings inside dicts and lists included.
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
        for name, value in extra_fields(record).items():
            setattr(record, name, _masked(value))
        return True


def _masked(value):
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item) for item in value]
    return value
