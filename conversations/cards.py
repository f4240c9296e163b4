"""An action card (a refund made, a hand-off queued, a ticket opened) as one line of text, in the active language.

The widget draws cards itself from `action` frames; the terminal chat and the desk's ticket transcript print them
with this: "A person will join: Ticket TCK-1234567, Place in queue 1, Agents available 3".
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.money import format_money

TITLES = {
    "refund": gettext_lazy("Refund made"),
    "refund_declined": gettext_lazy("Refund not approved"),
    "refund_pending": gettext_lazy("Refund sent for approval"),
    "ticket": gettext_lazy("Ticket opened"),
    "handoff": gettext_lazy("A person will join"),
}
LABELS = {
    "order_id": gettext_lazy("Order"),
    "ticket": gettext_lazy("Ticket"),
    "position": gettext_lazy("Place in queue"),
    "agents_available": gettext_lazy("Agents available"),
    "email": gettext_lazy("Our team will reply by email to"),
    "next_opening": gettext_lazy("Our team is back"),
    "reason": gettext_lazy("Reason"),
}
# Shown another way (the amount with its currency) or not for people (flags, the stored status).
NOT_LISTED = {"kind", "amount", "currency", "offline", "status", "already_done"}


def card_mark(item: dict) -> str:
    return "✕" if item.get("kind") == "refund_declined" else "✔"


def card_text(item: dict) -> str:
    """The card's title and its facts; a fact this module does not name is shown as key=value."""
    title = str(TITLES.get(item.get("kind"), item.get("kind", "")))
    facts = []
    if item.get("amount"):
        facts.append(format_money(item["amount"], item.get("currency", "")))
    for key, value in item.items():
        if key in NOT_LISTED or value in (None, ""):
            continue
        facts.append(f"{LABELS[key]} {value}" if key in LABELS else f"{key}={value}")
    if not facts:
        return title
    return _("%(title)s: %(facts)s") % {"title": title, "facts": ", ".join(facts)}
