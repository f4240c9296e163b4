"""How a ticket's priority is shown, everywhere (the queue, a ticket's page, the agent console): one badge,
`<span class="priority priority-<value>">Label</span>`, with the model's label (Ticket.Priority) and the classes of
static/css/console.css. The console's script updates a badge live with the same classes and the same labels (the
page carries them from Ticket.Priority.choices)."""

from django.utils.html import format_html

from .models import Ticket


def priority_badge(priority) -> str:
    """The badge of `priority`: a Ticket (its priority) or a Ticket.Priority value."""
    value = priority.priority if isinstance(priority, Ticket) else str(priority or "")
    label = dict(Ticket.Priority.choices).get(value, value)
    return format_html('<span class="priority priority-{}">{}</span>', value, label)
