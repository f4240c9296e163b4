"""A follow-up ticket stores its email in canonical form and whether it was verified; a non-address files nothing."""

import pytest

from helpdesk.emails import InvalidEmail
from tickets.models import Ticket
from tickets.services import create_follow_up

pytestmark = pytest.mark.django_db


def follow_up(email, **extra):
    return create_follow_up(subject="Help", category="other", priority="low", description="Please",
                            customer_email=email, **extra)


@pytest.mark.parametrize("email", ["Jane.Cooper@Example.com.", "ｊａｎｅ．ｃｏｏｐｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ"])
def test_the_email_is_stored_in_canonical_form(email):
    assert follow_up(email).customer_email == "jane.cooper@example.com"


def test_a_given_email_is_unverified_unless_the_caller_says_it_checked_it():
    assert not follow_up("jane.cooper@example.com").email_verified
    assert follow_up("jane.cooper@example.com", email_verified=True).email_verified


@pytest.mark.parametrize("email", ["Jane <jane.cooper@example.com>", "jane.cooper\u200b@example.com",
                                   "jane.cooper@example.com,x@evil.example"])
def test_a_value_that_is_not_one_address_files_nothing(email):
    with pytest.raises(InvalidEmail):
        follow_up(email)
    assert not Ticket.objects.exists()
