from helpdesk.exceptions import HelpdeskError


class ContentGapError(HelpdeskError):
    """An admin's action on content gaps that cannot be done as asked (questions already handled, an entry in the
    other language); the message says why, for the admin."""

    code = "content_gap"
