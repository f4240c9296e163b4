from django.conf import settings


def store(request):
    """The store's name and which assistant is answering, for every template."""
    return {
        "STORE_NAME": settings.STORE_NAME,
        "ASSISTANT_BACKEND": "claude" if settings.ANTHROPIC_API_KEY else "offline",
    }
