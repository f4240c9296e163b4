from helpdesk.exceptions import HelpdeskError


class FaqEditRefused(HelpdeskError):
    """An edit of the knowledge base that cannot be made as asked (a key that is no slug, say); `message` says why,
    for the admin."""

    code = "faq_edit_refused"


class TopicKeyTaken(FaqEditRefused):
    """Another entry in the same language already has this topic key: a topic has one entry per language."""

    code = "topic_key_taken"


class TopicChanged(FaqEditRefused):
    """The topic changed since the page was loaded (a translation was added or deleted meanwhile): nothing was
    saved, the admin reloads and sees the current entries."""

    code = "topic_changed"


class ContentGapError(HelpdeskError):
    """An admin's action on content gaps that cannot be done as asked (questions already handled, an entry in the
    other language); the message says why, for the admin."""

    code = "content_gap"
