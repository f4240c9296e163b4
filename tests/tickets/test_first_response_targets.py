"""First-response targets count business hours only: a ticket filed at night is not late before the team is back."""

from datetime import UTC, datetime, timedelta

import pytest

from tickets.services import first_response_due

pytestmark = pytest.mark.django_db

FRIDAY_EVENING = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)  # 20:00 in Paris, after closing


def test_around_the_clock_the_target_is_the_minutes_of_the_priority(settings):
    settings.BUSINESS_HOURS = "always"
    assert first_response_due("high", FRIDAY_EVENING) == FRIDAY_EVENING + timedelta(minutes=60)


def test_after_closing_the_clock_starts_when_the_team_is_back(settings):
    settings.BUSINESS_HOURS, settings.BUSINESS_TIMEZONE = "mon-fri 09:00-18:00", "Europe/Paris"
    # Monday 09:00 in Paris is 08:00 UTC; an hour-long target is due at 09:00 UTC.
    assert first_response_due("high", FRIDAY_EVENING) == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def test_a_priority_without_a_target_has_none(settings):
    settings.SLA_FIRST_RESPONSE_MINUTES = {"urgent": 15}
    assert first_response_due("low", FRIDAY_EVENING) is None
