"""Ticket numbers are shown to customers: derived from the row id by a bijection, so they never collide and do not
reveal how many tickets exist."""

import re

import pytest

from tickets.models import Ticket, ticket_number_for
from tickets.services import create_follow_up

NUMBER_FORMAT = re.compile(r"TCK-[1-9]\d{6,}")


def test_ten_thousand_and_more_distinct_ids_give_distinct_numbers():
    ids = [*range(1, 20_001), *range(8_990_000, 9_010_000), *range(17_999_000, 18_001_000)]  # across block edges
    numbers = {ticket_number_for(pk) for pk in ids}
    assert len(numbers) == len(ids)


def test_the_first_nine_million_numbers_have_seven_digits_and_later_ones_a_block_prefix():
    assert all(re.fullmatch(r"TCK-[1-9]\d{6}", ticket_number_for(pk)) for pk in range(1, 5_000))
    assert re.fullmatch(r"TCK-1[1-9]\d{6}", ticket_number_for(9_000_001))
    assert all(NUMBER_FORMAT.fullmatch(ticket_number_for(pk)) for pk in (0, 8_999_999, 9_000_000, 123_456_789))


def test_consecutive_ids_do_not_give_consecutive_or_ordered_numbers():
    values = [int(ticket_number_for(pk)[4:]) for pk in range(1, 201)]
    assert all(abs(later - earlier) > 1000 for earlier, later in zip(values, values[1:], strict=False))
    assert values != sorted(values) and values != sorted(values, reverse=True)


@pytest.mark.django_db
def test_creating_many_tickets_never_fails_and_each_gets_its_own_number():
    tickets = [create_follow_up(subject=f"Help {n}", category="other", priority="low", description="",
                                customer_email=f"c{n}@example.com") for n in range(300)]
    numbers = [ticket.number for ticket in tickets]
    assert len(set(numbers)) == 300 and all(NUMBER_FORMAT.fullmatch(number) for number in numbers)
    assert list(Ticket.objects.order_by("pk").values_list("number", flat=True)) == numbers
