"""`{% customer_link conversation_or_ticket fallback %}`: the customer's name linking to their page in the desk, or
the address they gave (a guest who verified nothing has no page). A Customer (already looked up) links to itself."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from ..customers import customer_of

register = template.Library()


@register.simple_tag
def customer_link(subject, fallback=""):
    customer = customer_of(subject)
    if customer is None:
        return fallback
    return format_html('<a class="customer-link" href="{}">{}</a>', reverse("desk-customer", args=[customer.pk]),
                       customer.name or customer.email)
