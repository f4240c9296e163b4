"""Business hours: when people answer live chats, from BUSINESS_HOURS in BUSINESS_TIMEZONE.

BUSINESS_HOURS is "always" (around the clock) or comma-separated entries "<days> <ranges>":
    "mon-fri 09:00-18:00, sat 10:00-14:00"
    "mon 09:00-12:00, mon 14:00-18:00"         (several ranges on one day, in entries…)
    "mon-fri 09:00-12:00 14:00-18:00"          (…or in one entry)
Days are mon..sun, a single day or a range (a range may wrap: "fri-mon"); times are HH:MM, 24:00 closes at
midnight; a range never crosses midnight (write "fri 22:00-24:00, sat 00:00-02:00"). Times are wall-clock times in
BUSINESS_TIMEZONE, so 09:00 stays 09:00 across a daylight-saving change. A malformed value is reported at startup
by the system check tickets.E001 (tickets.checks) with what is wrong.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_RANGE = re.compile(r"^([^-\s]+)-([^-\s]+)$")


class InvalidBusinessHours(ValueError):
    """BUSINESS_HOURS or BUSINESS_TIMEZONE cannot be read; the message says what is wrong, for the administrator."""


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours in `zone`: for each weekday (0 = Monday) its ranges in minutes after midnight, sorted and
    merged; `week` None means always open."""

    zone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...] | None

    @property
    def always(self) -> bool:
        return self.week is None

    def intervals_from(self, day: date, days: int):
        """The open intervals (start, end) as aware UTC datetimes of `days` local days from `day`, in order."""
        for offset in range(days):
            current = day + timedelta(days=offset)
            for start, end in self.week[current.weekday()]:
                yield self._instant(current, start), self._instant(current, end)

    def _instant(self, day: date, minutes: int) -> datetime:
        """The UTC instant at which the local clock shows `minutes` after midnight of `day` (24:00 is the next
        midnight). A time skipped by a daylight-saving change is read with the offset before it."""
        if minutes >= MINUTES_PER_DAY:
            day, minutes = day + timedelta(days=1), minutes - MINUTES_PER_DAY
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.zone)
        return local.astimezone(UTC)

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def is_open(self, at: datetime) -> bool:
        if self.always:
            return True
        at = at.astimezone(UTC)
        return any(start <= at < end for start, end in self.intervals_from(self._local_day(at) - timedelta(days=1), 3))

    def next_opening(self, at: datetime) -> datetime:
        """`at` if open then, else the moment the next opening starts."""
        if self.always:
            return at
        at = at.astimezone(UTC)
        for start, end in self.intervals_from(self._local_day(at) - timedelta(days=1), 9):
            if end > at:
                return max(start, at)
        raise InvalidBusinessHours("the business hours never open")  # unreachable: parse() requires a range

    def add_open_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment `minutes` of opening time have passed since `start` (closed time does not count): when a
        first-response target of `minutes` falls due for a ticket opened at `start`."""
        if self.always:
            return start + timedelta(minutes=minutes)
        remaining = timedelta(minutes=minutes)
        cursor = start.astimezone(UTC)
        first_day = self._local_day(cursor) - timedelta(days=1)
        # A week has at least one open minute, so this ends; ten years bounds an absurd target.
        for opens, closes in self.intervals_from(first_day, 3660):
            if closes <= cursor:
                continue
            opens = max(opens, cursor)
            if closes - opens >= remaining:
                return opens + remaining
            remaining -= closes - opens
            cursor = closes
        return cursor + remaining


def _minutes(text: str, *, entry: str, end: bool) -> int:
    match = _TIME.match(text)
    if not match:
        raise InvalidBusinessHours(f"{text!r} in {entry!r} is not a time: write HH:MM, such as 09:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    value = hours * 60 + minutes
    if minutes > 59 or hours > 24 or value > MINUTES_PER_DAY or (value == MINUTES_PER_DAY and not end):
        raise InvalidBusinessHours(f"{text!r} in {entry!r} is not a time of day (00:00 to 24:00)")
    return value


def _day(text: str, *, entry: str) -> int:
    try:
        return DAYS.index(text)
    except ValueError:
        raise InvalidBusinessHours(
            f"{text!r} in {entry!r} is not a day: use {', '.join(DAYS)}, or a range such as mon-fri") from None


def _days(text: str, *, entry: str) -> list[int]:
    match = _RANGE.match(text)
    if not match:
        return [_day(text, entry=entry)]
    first, last = _day(match.group(1), entry=entry), _day(match.group(2), entry=entry)
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def _range(text: str, *, entry: str) -> tuple[int, int]:
    match = _RANGE.match(text)
    if not match:
        raise InvalidBusinessHours(f"{text!r} in {entry!r} is not a time range: write 09:00-18:00")
    start = _minutes(match.group(1), entry=entry, end=False)
    end = _minutes(match.group(2), entry=entry, end=True)
    if end <= start:
        raise InvalidBusinessHours(
            f"{text!r} in {entry!r} ends before it starts: a range cannot cross midnight (split it in two days)")
    return start, end


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def parse(spec: str, zone_name: str) -> BusinessHours:
    """The business hours `spec` in the time zone `zone_name`; InvalidBusinessHours says what is wrong."""
    try:
        zone = ZoneInfo(str(zone_name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidBusinessHours(
            f"BUSINESS_TIMEZONE {zone_name!r} is not a time zone: use a name such as Europe/Paris") from None
    try:
        return BusinessHours(zone, _week(" ".join(str(spec).lower().split())))
    except InvalidBusinessHours as error:
        raise InvalidBusinessHours(f"BUSINESS_HOURS {spec!r}: {error}") from None


def _week(text: str):
    if text == "always":
        return None
    if not text:
        raise InvalidBusinessHours('it is empty: write "always" or days and hours, such as "mon-fri 09:00-18:00"')
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            raise InvalidBusinessHours("an entry between two commas is empty")
        words = entry.split(" ")
        if len(words) < 2:
            raise InvalidBusinessHours(f"{entry!r} needs days and hours, such as \"mon-fri 09:00-18:00\"")
        days = _days(words[0], entry=entry)
        ranges = [_range(word, entry=entry) for word in words[1:]]
        for day in days:
            week[day].extend(ranges)
    return tuple(_merged(ranges) for ranges in week)


@lru_cache(maxsize=8)
def _parsed(spec: str, zone_name: str) -> BusinessHours | None:
    try:
        return parse(spec, zone_name)
    except InvalidBusinessHours as error:
        # The system check reported it at startup; keep answering around the clock rather than failing hand-offs.
        log.error("BUSINESS_HOURS %r is not valid (%s): treated as always open", spec, error)
        return None


def business_hours() -> BusinessHours:
    """The configured hours (settings.BUSINESS_HOURS in settings.BUSINESS_TIMEZONE); always open when they are
    malformed (the system check says so at startup)."""
    parsed = _parsed(settings.BUSINESS_HOURS, settings.BUSINESS_TIMEZONE)
    return parsed if parsed is not None else BusinessHours(ZoneInfo("UTC"), None)


def is_open(at: datetime | None = None) -> bool:
    return business_hours().is_open(at or timezone.now())


def next_opening(at: datetime | None = None) -> datetime:
    """`at` (now by default) if open then, else when the team is next back."""
    return business_hours().next_opening(at or timezone.now())


def describe_opening(at: datetime, language: str, *, now: datetime | None = None, relative: bool = True) -> str:
    """When the team is back, for a customer in `language`, in the business time zone: "tomorrow at 09:00 (Paris
    time)", "Monday, March 30 at 09:00 (Paris time)". `relative` False always names the day (for an email read
    later)."""
    zone = business_hours().zone
    local = at.astimezone(zone)
    today = (now or timezone.now()).astimezone(zone).date()
    with translation.override(language):
        clock = local.strftime("%H:%M")
        if relative and local.date() == today:
            when = _("today at %(time)s") % {"time": clock}
        elif relative and local.date() == today + timedelta(days=1):
            when = _("tomorrow at %(time)s") % {"time": clock}
        else:
            day = formats.date_format(local, pgettext("weekday and date of a business opening", "l, F j"))
            when = _("%(day)s at %(time)s") % {"day": day, "time": clock}
        place = zone.key.rsplit("/", 1)[-1].replace("_", " ")
        return _("%(when)s (%(place)s time)") % {"when": when, "place": place}
