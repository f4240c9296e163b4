from django.conf import settings


def store(request):
    """The store's name, which assistant is answering and the longest chat message, for every template."""
    return {
        "STORE_NAME": settings.STORE_NAME,
        "CHAT_MAX_MESSAGE_CHARS": settings.CHAT_MAX_MESSAGE_CHARS,
        "ASSISTANT_BACKEND": "claude" if settings.ANTHROPIC_API_KEY else "offline",
    }
