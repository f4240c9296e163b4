"""Masking of personal data and secrets in free text.

Used twice: on every log record (PiiMaskingFilter in chat/guardrails.py) and on what a customer types, before it is
stored or sent to the model (card numbers and secrets only there: the customer's own email and phone are needed to
help them). Formats covered: US and European phone numbers, card numbers of 13-19 digits with spaces or dashes,
IBANs, emails, API keys, bearer tokens and "password: …" pairs.
"""

import re
from dataclasses import dataclass

_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# 13 to 19 digits, optionally grouped by single spaces or dashes (4-4-4-4, 4-6-5 Amex, …).
_CARD = re.compile(r"(?<![\w+])(?:\d[ -]?){12,18}\d(?!\w)")
# IBAN: country code, 2 check digits, 11-30 alphanumerics, optionally grouped by 4 with spaces.
_IBAN = re.compile(r"\b([A-Z]{2})(\d{2})(?: ?[A-Z0-9]){11,30}\b")
# Phone: optional +CC or leading 0/1, then digit groups separated by spaces, dots, dashes or parentheses.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){2,5}(?!\w)")
_API_KEY = re.compile(r"\b(sk-ant-[A-Za-z0-9_-]{2})[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd|mot de passe|secret|token|api[_ -]?key)(\s*[:=]\s*)(\S+)")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask_email(match: re.Match) -> str:
    return f"{match.group(1)}***@{match.group(2)}"


def _mask_card(match: re.Match) -> str:
    digits = _digits(match.group(0))
    return f"****-****-****-{digits[-4:]}"


def _mask_iban(match: re.Match) -> str:
    compact = match.group(0).replace(" ", "")
    return f"{match.group(1)}{match.group(2)} **** {compact[-4:]}"


def _mask_phone(match: re.Match) -> str:
    digits = _digits(match.group(0))
    if not 9 <= len(digits) <= 15:
        return match.group(0)
    return f"****{digits[-4:]}"


@dataclass(frozen=True)
class MaskResult:
    text: str
    found_card: bool
    found_secret: bool


def mask_payment_data(text: str) -> MaskResult:
    """Mask card numbers, IBANs and secrets: what a customer must never have stored, even in their own chat."""
    masked, ibans = _IBAN.subn(_mask_iban, text)
    masked, cards = _CARD.subn(_mask_card, masked)
    masked, keys = _API_KEY.subn(lambda m: f"{m.group(1)}…[redacted]", masked)
    masked, bearers = _BEARER.subn(lambda m: f"{m.group(1)}[redacted]", masked)
    masked, passwords = _PASSWORD.subn(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", masked)
    return MaskResult(masked, found_card=bool(cards or ibans), found_secret=bool(keys or bearers or passwords))


def mask_pii(text: str) -> str:
    """Everything masked: payment data and secrets, then emails and phone numbers (for logs)."""
    masked = mask_payment_data(text).text
    masked = _EMAIL.sub(mask_email, masked)
    return _PHONE.sub(_mask_phone, masked)
