"""The one way an email address enters the helpdesk: `check_email` validates it and returns its canonical form.

Emails identify customers (order look-ups, tickets, the verified email of a conversation), so two spellings of the
same address must compare equal and anything that merely looks like an address must be refused, never "cleaned" into
one: a display name (`Jane <jane@example.com>`), an invisible character (zero-width, soft hyphen, bidi controls,
no-break spaces), several addresses, comments or quoted local parts. What is accepted is made canonical: Unicode
NFKC (full-width letters become ASCII), surrounding ASCII blanks stripped, lower case, the root dot of the domain
removed, the domain in its IDNA (ASCII) form, then Django's EmailValidator. The local part must be plain ASCII, so a
look-alike letter cannot pass for another customer's address.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from .exceptions import HelpdeskError

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit, and Django's EmailField
MAX_LOCAL_PART_LENGTH = 64
# Unicode categories that are never part of an address: controls, format characters (zero-width, soft hyphen, bidi
# controls, BOM), surrogates, private use, unassigned, line/paragraph separators and non-ASCII spaces.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}
_COMBINING_CATEGORIES = {"Mn", "Mc", "Me"}
_DISPLAY_NAME_CHARACTERS = set('<>"')
_LIST_OR_COMMENT_CHARACTERS = set(",;()[]\\:")
_ASCII_BLANKS = " \t\r\n"
_validate = EmailValidator(allowlist=[])  # no bare "localhost"


class InvalidEmail(HelpdeskError):
    code = "invalid_email"

    def default_message(self):
        return "Please give one email address on its own, like name@example.com."


def check_email(raw) -> str:
    """The canonical form of the email address `raw`, or InvalidEmail (a customer-safe message saying what to fix).

    Two inputs naming the same mailbox return the same string ("Jane.Doe@Example.COM.", "ｊａｎｅ．ｄｏｅ＠…"), so
    callers compare and store the result as is."""
    if not isinstance(raw, str):
        raise InvalidEmail()
    text = raw.strip(_ASCII_BLANKS)
    if not text:
        raise InvalidEmail("An email address is needed, like name@example.com.", code="email_required")
    if len(text) > MAX_EMAIL_LENGTH * 2:
        raise InvalidEmail()
    _refuse_invisible(text)
    text = unicodedata.normalize("NFKC", text)
    _refuse_invisible(text)  # NFKC turns some spaces (ideographic, no-break) into ASCII ones: still refused
    if any(unicodedata.category(char) in _COMBINING_CATEGORIES for char in text):
        raise InvalidEmail("That email address contains characters that can't be part of an address.")
    if any(char in _DISPLAY_NAME_CHARACTERS for char in text):
        raise InvalidEmail("Please give only the email address itself (like name@example.com), without a name.",
                           code="email_display_name")
    if any(char in _LIST_OR_COMMENT_CHARACTERS or char in _ASCII_BLANKS for char in text) or text.count("@") != 1:
        raise InvalidEmail("Please give exactly one email address, like name@example.com.",
                           code="email_not_single")
    local, domain = text.split("@")
    local = local.lower()
    domain = domain.lower()
    if domain.endswith("."):
        domain = domain[:-1]  # the DNS root: "example.com." is "example.com"
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidEmail() from None
    email = f"{local}@{domain}"
    if not local or len(local) > MAX_LOCAL_PART_LENGTH or len(email) > MAX_EMAIL_LENGTH:
        raise InvalidEmail()
    try:
        _validate(email)
    except ValidationError:
        raise InvalidEmail() from None
    return email


def canonical_email_or_blank(stored: str) -> str:
    """`check_email` for an address already in the database (a customer's, a conversation's): "" when it is not a
    valid address, so a malformed stored value never matches anything instead of raising."""
    try:
        return check_email(stored)
    except InvalidEmail:
        return ""


def _refuse_invisible(text: str) -> None:
    for char in text:
        if char == " ":
            continue  # an ASCII space is visible; it is refused below as "not a single address"
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            raise InvalidEmail("That email address contains invisible or control characters. "
                               "Please type it again, like name@example.com.", code="email_invisible_characters")
