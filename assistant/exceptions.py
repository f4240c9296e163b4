"""The assistant's refusals that reach a person (today: the agent asking for a suggested reply)."""

from helpdesk.exceptions import HelpdeskError


class SuggestionRefused(HelpdeskError):
    """No draft: the agent already has one on the way, asked too often, or the model could not answer. `message` is
    for the agent, in their language; `code` is one of busy, too_many, timeout, unavailable, empty."""

    code = "suggestion_refused"
