"""Filters of the KPI page: {{ seconds|duration }} reads "45 s", "12 min", "3 h 05", "2 d 4 h"; {{ rate|percent }}
"73%" ("73 %" in French); {{ day|day }} "Fri, Dec 5, 2026"."""

from babel.dates import format_skeleton
from babel.numbers import format_percent
from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from helpdesk.money import locale_of

register = template.Library()


@register.filter
def duration(seconds) -> str:
    if seconds is None or seconds == "":
        return "—"
    seconds = max(0, round(float(seconds)))
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


@register.filter
def percent(fraction) -> str:
    """A rate (0-1) as a whole percentage for the active language: "73%", "73 %"; "—" for none."""
    if fraction is None or fraction == "":
        return "—"
    return format_percent(float(fraction), locale=locale_of(get_language()))


@register.filter
def day(value) -> str:
    """A day of a data table: "Fri, Dec 5, 2026", "ven. 5 déc. 2026"."""
    return format_skeleton("yMMMEd", value, locale=locale_of(get_language()))
