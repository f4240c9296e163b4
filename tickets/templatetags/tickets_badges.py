"""`{% priority_badge ticket %}`: a ticket's priority as the queue shows it (tickets.badges)."""

from django import template

from ..badges import priority_badge as render_priority_badge

register = template.Library()


@register.simple_tag
def priority_badge(ticket_or_priority):
    return render_priority_badge(ticket_or_priority)
