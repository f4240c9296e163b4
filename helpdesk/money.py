"""Money as a person reads it, in their language: `format_money(Decimal("39.98"), "EUR", "fr")` is "39,98 €", in
English "€39.98"; "$39.98" for dollars in English. Every page, email, chat message and admin list states an amount
through this one function (templates through the `money` filter of `{% load money %}`; the widget's script through
`Intl.NumberFormat`, which follows the same CLDR data), so no amount is ever printed as "39.9800000000000 EUR".

The digits are the currency's (two for USD, EUR, GBP), rounded half-even as Babel does; the language is the active
one unless given. Bad input never raises: an amount that is not a number is shown as it was given.
"""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import translation


@lru_cache(maxsize=32)
def locale_of(language: str) -> Locale:
    """The Babel locale of a Django language code ("fr", "en-us"); the default language's for an unknown one (the
    KPI charts write their dates and numbers with it too)."""
    for candidate in (language, lambda: settings.LANGUAGE_CODE):
        try:
            return Locale.parse(translation.to_locale(candidate() if callable(candidate) else candidate))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse("en")


def _decimal(amount) -> Decimal | None:
    if isinstance(amount, Decimal):
        return amount if amount.is_finite() else None
    if isinstance(amount, bool) or amount is None:
        return None
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def format_money(amount, currency: str, language: str | None = None) -> str:
    """`amount` (a Decimal, or a number or numeric string as frames and tool results carry it) of `currency` (an ISO
    4217 code) written for `language` (default: the active language). None or "" give "—"."""
    if amount is None or amount == "":
        return "—"
    value = _decimal(amount)
    code = (currency or "").strip().upper()
    if value is None:
        return f"{amount} {code}".strip()
    locale = locale_of(language or translation.get_language() or settings.LANGUAGE_CODE or "en")
    if len(code) != 3 or not code.isalpha():
        return format_decimal(value, format="#,##0.00", locale=locale)
    return format_currency(value, code, locale=locale)
