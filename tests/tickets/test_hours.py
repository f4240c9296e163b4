"""Business hours: reading BUSINESS_HOURS, open or closed at a moment, the next opening, across the weekend and a
daylight-saving change, and the startup check that names what is wrong."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.checks import Error
from django.test import override_settings

from tickets import hours
from tickets.checks import check_business_hours

PARIS = "Europe/Paris"
WEEK = "mon-fri 09:00-18:00, sat 10:00-14:00"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_always_is_open_at_any_moment_and_opens_at_once():
    always = hours.parse("always", PARIS)
    assert always.always and always.is_open(utc(2026, 1, 4, 3, 0))
    assert always.next_opening(utc(2026, 1, 4, 3, 0)) == utc(2026, 1, 4, 3, 0)


def test_a_weekday_range_and_a_single_day_are_read_as_minutes_after_midnight():
    week = hours.parse(WEEK, PARIS).week
    assert week[0] == week[4] == ((540, 1080),)
    assert week[5] == ((600, 840),) and week[6] == ()


def test_several_ranges_on_one_day_in_separate_entries_or_one_are_both_kept_and_overlaps_merged():
    assert hours.parse("mon 09:00-12:00, mon 14:00-18:00", PARIS).week[0] == ((540, 720), (840, 1080))
    assert hours.parse("mon 14:00-18:00 09:00-12:00", PARIS).week[0] == ((540, 720), (840, 1080))
    assert hours.parse("mon 09:00-13:00, mon 12:00-15:00", PARIS).week[0] == ((540, 900),)


def test_a_day_range_may_wrap_around_the_weekend_and_case_and_spaces_do_not_matter():
    week = hours.parse("  FRI-Mon   08:00-20:00 ", PARIS).week
    assert [bool(day) for day in week] == [True, False, False, False, True, True, True]


def test_the_hours_are_read_in_the_business_time_zone():
    paris = hours.parse(WEEK, PARIS)
    # Monday 12 January 2026: Paris is UTC+1, so 09:00 there is 08:00 UTC.
    assert not paris.is_open(utc(2026, 1, 12, 7, 59)) and paris.is_open(utc(2026, 1, 12, 8, 0))
    assert paris.is_open(utc(2026, 1, 12, 16, 59)) and not paris.is_open(utc(2026, 1, 12, 17, 0))


def test_after_friday_closing_the_next_opening_is_saturday_morning_then_monday_after_saturday():
    paris = hours.parse(WEEK, PARIS)
    assert paris.next_opening(utc(2026, 1, 9, 18, 30)) == utc(2026, 1, 10, 9, 0)  # Sat 10:00 Paris
    assert paris.next_opening(utc(2026, 1, 10, 13, 30)) == utc(2026, 1, 12, 8, 0)  # Mon 09:00 Paris


def test_the_next_opening_while_open_is_now():
    moment = utc(2026, 1, 13, 10, 0)
    assert hours.parse(WEEK, PARIS).next_opening(moment) == moment


def test_nine_oclock_stays_nine_oclock_in_paris_across_the_spring_daylight_saving_change():
    paris = hours.parse("mon-fri 09:00-18:00", PARIS)
    # Clocks go forward on Sunday 29 March 2026: Friday 09:00 is 08:00 UTC, Monday 09:00 is 07:00 UTC.
    assert paris.next_opening(utc(2026, 3, 26, 20, 0)) == utc(2026, 3, 27, 8, 0)
    assert paris.next_opening(utc(2026, 3, 27, 20, 0)) == utc(2026, 3, 30, 7, 0)
    assert paris.is_open(utc(2026, 3, 30, 7, 0)) and not paris.is_open(utc(2026, 3, 30, 6, 59))


def test_the_autumn_change_moves_the_opening_back_an_hour_in_utc():
    paris = hours.parse("mon-fri 09:00-18:00", PARIS)
    # Clocks go back on Sunday 25 October 2026: Monday 09:00 is 08:00 UTC again.
    assert paris.next_opening(utc(2026, 10, 23, 20, 0)) == utc(2026, 10, 26, 8, 0)


def test_a_range_ending_at_midnight_is_open_until_the_last_minute():
    late = hours.parse("sat 20:00-24:00", "UTC")
    assert late.is_open(utc(2026, 1, 10, 23, 59)) and not late.is_open(utc(2026, 1, 11, 0, 0))


def test_open_minutes_skip_the_night_and_the_weekend():
    paris = hours.parse("mon-fri 09:00-18:00", PARIS)
    friday_five = utc(2026, 1, 9, 16, 0)  # Friday 17:00 Paris: one open hour left
    assert paris.add_open_minutes(friday_five, 90) == utc(2026, 1, 12, 8, 30)  # Monday 09:30 Paris
    assert hours.parse("always", PARIS).add_open_minutes(friday_five, 90) == friday_five + timedelta(minutes=90)


@pytest.mark.parametrize(("spec", "says"), [
    ("", "empty"),
    ("mon-fry 09:00-18:00", "'fry' in 'mon-fry 09:00-18:00' is not a day"),
    ("mon-fri", "needs days and hours"),
    ("mon-fri 9h-18h", "'9h' in 'mon-fri 9h-18h' is not a time: write HH:MM"),
    ("mon-fri 09:00", "'09:00' in 'mon-fri 09:00' is not a time range"),
    ("mon 09:00-25:00", "is not a time of day"),
    ("mon 09:75-18:00", "is not a time of day"),
    ("mon 18:00-09:00", "ends before it starts"),
    ("mon 09:00-18:00,, tue 09:00-18:00", "between two commas is empty"),
    ("mon 24:00-24:00", "is not a time of day"),
])
def test_a_malformed_value_says_what_is_wrong(spec, says):
    with pytest.raises(hours.InvalidBusinessHours) as raised:
        hours.parse(spec, PARIS)
    assert says in str(raised.value) and str(raised.value).startswith("BUSINESS_HOURS")


def test_an_unknown_time_zone_is_named_as_such():
    with pytest.raises(hours.InvalidBusinessHours, match="BUSINESS_TIMEZONE 'Mars/Olympus' is not a time zone"):
        hours.parse(WEEK, "Mars/Olympus")


@override_settings(BUSINESS_HOURS="weekdays 9 to 6")
def test_the_system_check_reports_malformed_business_hours_at_startup():
    [error] = check_business_hours()
    assert isinstance(error, Error) and error.id == "tickets.E001" and "'weekdays' in" in error.msg


@override_settings(BUSINESS_HOURS=WEEK, BUSINESS_TIMEZONE=PARIS)
def test_the_system_check_is_silent_for_valid_hours():
    assert check_business_hours() == []


@override_settings(BUSINESS_HOURS="mon-fri 25:00-26:00")
def test_malformed_hours_that_slipped_past_the_check_are_read_as_always_open():
    assert hours.is_open(utc(2026, 1, 11, 3, 0))


@override_settings(BUSINESS_HOURS=WEEK, BUSINESS_TIMEZONE=PARIS)
def test_the_opening_is_described_in_the_customers_language_and_the_business_time_zone():
    friday_night = utc(2026, 3, 27, 20, 0)
    saturday = hours.next_opening(friday_night)
    assert hours.describe_opening(saturday, "en", now=friday_night) == "tomorrow at 10:00 (Paris time)"
    assert hours.describe_opening(saturday, "en", now=friday_night, relative=False) \
        == "Saturday, March 28 at 10:00 (Paris time)"
    monday = hours.next_opening(utc(2026, 3, 28, 14, 0))
    french = hours.describe_opening(monday, "fr", now=utc(2026, 3, 28, 14, 0))
    assert "lundi" in french and "mars" in french and "09:00" in french
