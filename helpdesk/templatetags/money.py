"""`{% load money %}{{ order.total|money:order.currency }}`: an amount in its currency, written for the active
language ("€39.98" in English, "39,98 €" in French). See helpdesk.money."""

from django import template

from ..money import format_money

register = template.Library()


@register.filter
def money(amount, currency="") -> str:
    return format_money(amount, currency)
