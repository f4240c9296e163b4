"""Money as a person reads it (helpdesk.money and the `money` template filter): per currency and language."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from helpdesk.money import format_money
from orders.models import Order

NBSP = "\u00a0"


@pytest.mark.parametrize("currency, language, expected", [
    ("USD", "en", "$39.98"),
    ("EUR", "en", "€39.98"),
    ("GBP", "en", "£39.98"),
    ("USD", "fr", f"39,98{NBSP}$US"),
    ("EUR", "fr", f"39,98{NBSP}€"),
    ("GBP", "fr", f"39,98{NBSP}£GB"),
])
def test_an_amount_is_written_for_its_currency_and_language(currency, language, expected):
    assert format_money(Decimal("39.98"), currency, language) == expected


def test_every_currency_an_order_can_have_is_written_with_its_symbol():
    for currency in Order.Currency.values:
        assert currency not in format_money(Decimal("1"), currency, "en")


def test_an_unrounded_sum_from_the_database_is_written_with_the_currencys_digits():
    assert format_money(Decimal("39.9800000000000"), "EUR", "en") == "€39.98"
    assert format_money(Decimal("1299"), "EUR", "fr") == f"1\u202f299,00{NBSP}€"


def test_amounts_as_frames_and_tool_results_carry_them_are_formatted_too():
    assert format_money("89.99", "USD", "en") == "$89.99"
    assert format_money(12.5, "EUR", "en") == "€12.50"


def test_without_a_language_the_active_one_is_used():
    with translation.override("fr"):
        assert format_money(Decimal("5"), "EUR") == f"5,00{NBSP}€"
    with translation.override("en"):
        assert format_money(Decimal("5"), "EUR") == "€5.00"


def test_an_unknown_language_falls_back_to_the_default_one():
    assert format_money(Decimal("5"), "USD", "xx-yy") == "$5.00"


@pytest.mark.parametrize("amount, expected", [(None, "—"), ("", "—"), ("lots", "lots EUR"), ("NaN", "NaN EUR")])
def test_no_amount_or_one_that_is_not_a_number_never_raises(amount, expected):
    assert format_money(amount, "EUR", "en") == expected


def test_an_amount_without_a_currency_is_a_plain_number():
    assert format_money(Decimal("5"), "", "fr") == "5,00"


def test_the_template_filter_writes_the_amount_in_the_active_language():
    template = Template("{% load money %}{{ amount|money:currency }}")
    context = Context({"amount": Decimal("39.98"), "currency": "EUR"})
    with translation.override("en"):
        assert template.render(context) == "€39.98"
    with translation.override("fr"):
        assert template.render(context) == f"39,98{NBSP}€"
