"""System checks of the tickets app: settings that would otherwise fail at the first hand-off."""

from django.conf import settings
from django.core import checks

from .hours import InvalidBusinessHours, parse


@checks.register(checks.Tags.compatibility)
def check_business_hours(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """BUSINESS_HOURS and BUSINESS_TIMEZONE must be readable (tickets.hours): say what is wrong at startup."""
    try:
        parse(settings.BUSINESS_HOURS, settings.BUSINESS_TIMEZONE)
    except InvalidBusinessHours as error:
        return [checks.Error(
            f"{error}.",
            hint='Write "always", or days and hours such as "mon-fri 09:00-18:00, sat 10:00-14:00" (days mon..sun, '
                 "times HH:MM in BUSINESS_TIMEZONE).",
            obj="settings.BUSINESS_HOURS", id="tickets.E001",
        )]
    return []
