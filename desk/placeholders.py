"""The placeholders of canned replies: which exist, how a body is checked, how it is filled.

A placeholder is a name in braces (`{first_name}`). Filling is one pass of substitution over the body, never
`str.format`: a value is inserted as plain text and never read again, so a customer named "{agent_name}" stays
"{agent_name}", and nothing in a body can reach an attribute (`{0.__class__}`). A placeholder without a value
disappears with the spaces before it ("Hi {first_name}," → "Hi,", "Thanks, {first_name}!" → "Thanks!"), so the agent never sees a raw "{first_name}".
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = {
    "first_name": _("the customer's first name"),
    "name": _("the customer's full name"),
    "order_number": _("the order in question (the one checked in the chat, else the one mentioned, else the "
                      "customer's most recent)"),
    "agent_name": _("your first name"),
    "ticket_number": _("the ticket's number"),
    "store_name": _("the store's name"),
}

# Anything in braces counts: "{ first_name }" or "{orderNumber}" is refused by name rather than sent as typed.
_BRACED = re.compile(r"\{([^{}\n]*)\}")
_LEADING = re.compile(r",?[ \t]*")


def allowed_list() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def unknown_placeholders(body: str) -> list[str]:
    """The braced names in `body` that are not placeholders, in order of first appearance."""
    unknown: list[str] = []
    for name in _BRACED.findall(body or ""):
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def validate_placeholders(body: str) -> None:
    """The body's validator: an unknown placeholder is an error naming it and the ones allowed."""
    unknown = unknown_placeholders(body)
    if unknown:
        raise ValidationError(
            _("Unknown placeholder %(unknown)s. The placeholders you can use are: %(allowed)s."),
            code="unknown_placeholder",
            params={"unknown": ", ".join("{" + name + "}" for name in unknown), "allowed": allowed_list()},
        )


def fill(body: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """`body` with each placeholder replaced by its value (plain text), and the placeholders that had none.

    A missing value takes the comma and spaces before it along ("Thanks, {first_name}!" → "Thanks!"); at the start
    of a line, the comma and spaces after it ("{first_name}, thanks" → "thanks")."""
    body = body or ""
    out: list[str] = []
    missing: list[str] = []
    cursor = 0
    for match in _BRACED.finditer(body):
        if match.start() < cursor:
            continue
        out.append(body[cursor:match.start()])
        cursor = match.end()
        name = match[1]
        value = (values.get(name) or "").strip()
        if value:
            out.append(value)
            continue
        if name not in missing:
            missing.append(name)
        before = "".join(out)
        trimmed = before.rstrip(" \t")
        if not trimmed or trimmed.endswith("\n"):
            cursor = _LEADING.match(body, cursor).end()
            out = [trimmed]
        else:
            out = [trimmed[:-1] if trimmed.endswith(",") else trimmed]
    out.append(body[cursor:])
    return "".join(out), missing
