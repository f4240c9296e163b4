from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from . import checks  # noqa: F401  (registers the business-hours check)
        from .availability import connect_login_signals

        connect_login_signals()
