from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "assistant"

    def ready(self):
        from django.conf import settings

        if settings.ANTHROPIC_API_KEY:
            # Importing the SDK takes about two seconds: pay it at start-up, not in the first customer's turn.
            from assistant.llm import claude  # noqa: F401
