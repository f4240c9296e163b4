from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from . import checks  # noqa: F401  (registers the business-hours check)
        from .availability import connect_login_signals

        connect_login_signals()
