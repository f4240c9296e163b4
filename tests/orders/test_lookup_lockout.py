"""The look-up lock-out: failed order look-ups count per browser session, customer, client address and target email
over a window, across conversations; any locked key refuses look-ups."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from helpdesk.fingerprints import address_fingerprint, session_fingerprint
from orders.exceptions import OrderNotFound, VerificationLocked
from orders.models import LookupFailure
from orders.services import LookupIdentity, lookup_order, record_lookup_failure
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def guest(session="s1", address="203.0.113.7", email="guess@example.com"):
    return LookupIdentity(session_key_hash=session_fingerprint(session), client_address_hash=address_fingerprint(address),
                          email=email)


def fail(identity, times=1):
    for n in range(times):
        with pytest.raises(OrderNotFound):
            lookup_order(number=f"ORD-1000{n}", identity=identity, customer=None, email=identity.email)


@pytest.fixture
def order():
    return OrderFactory(number="ORD-78432", customer=CustomerFactory(email="emma.martin@example.com"))


@pytest.mark.parametrize("locked_by, then", [
    ("the same session", {"address": "198.51.100.1", "email": "other@example.com"}),
    ("the same client address", {"session": "s2", "email": "other@example.com"}),
    ("the same target email", {"session": "s2", "address": "198.51.100.1"}),
])
def test_five_failures_lock_look_ups_for_any_identity_sharing_a_key(order, locked_by, then):
    fail(guest(), 5)
    with pytest.raises(VerificationLocked):
        lookup_order(number="ORD-78432", identity=guest(**then), customer=None, email="emma.martin@example.com")


def test_failures_of_a_logged_in_customer_lock_that_customer_whatever_the_session(order):
    customer = CustomerFactory()
    for n in range(5):
        fail(LookupIdentity(session_key_hash=session_fingerprint(f"tab{n}"), customer=customer))
    with pytest.raises(VerificationLocked):
        lookup_order(number="ORD-78432", identity=LookupIdentity(customer=customer), customer=customer, email="")


def test_an_unrelated_identity_is_not_locked_by_someone_elses_failures(order):
    fail(guest(), 5)
    found = lookup_order(number="ORD-78432", identity=guest(session="s9", address="192.0.2.9", email="emma.martin@example.com"),
                         customer=None, email="emma.martin@example.com")
    assert found == order


def test_the_attempts_left_count_down_to_zero_on_the_most_failed_key(order):
    fail(guest(session="a"), 3)
    with pytest.raises(OrderNotFound) as error:
        lookup_order(number="ORD-99999", identity=guest(session="b"), customer=None, email="guess@example.com")
    assert error.value.attempts_left == 1


def test_a_successful_look_up_is_not_counted_as_a_failure(order):
    for _ in range(7):
        lookup_order(number="ORD-78432", identity=guest(email="emma.martin@example.com"), customer=None,
                     email="emma.martin@example.com")
    assert not LookupFailure.objects.exists()


def test_a_malformed_order_number_is_not_an_attempt(order):
    with pytest.raises(OrderNotFound) as error:
        lookup_order(number="not a number", identity=guest(), customer=None, email="guess@example.com")
    assert error.value.code == "invalid_order_number" and not LookupFailure.objects.exists()


@override_settings(LOOKUP_LOCKOUT_WINDOW_SECONDS=3600)
def test_failures_older_than_the_window_no_longer_count(order):
    fail(guest(), 5)
    LookupFailure.objects.update(created_at=timezone.now() - timedelta(seconds=3601))
    assert lookup_order(number="ORD-78432", identity=guest(email="emma.martin@example.com"), customer=None,
                        email="emma.martin@example.com") == order


def test_blank_keys_are_never_counted_together(order):
    for n in range(5):
        record_lookup_failure(identity=LookupIdentity(email=f"guess{n}@example.com"))
    found = lookup_order(number="ORD-78432", identity=LookupIdentity(email="emma.martin@example.com"), customer=None,
                         email="emma.martin@example.com")
    assert found == order
