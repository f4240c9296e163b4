"""Fixtures of the knowledge base's tests: admins with more or fewer FAQ permissions, and a small topic."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import FaqEntryFactory, StaffFactory, UserFactory


def staff_with(*codenames, username):
    user = StaffFactory(username=username)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="faq", codename__in=codenames))
    return user


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def viewer_client(client, db):
    """Staff who may read the FAQ entries only (the support agents in the demo)."""
    client.force_login(staff_with("view_faqentry", username="reader"))
    return client


@pytest.fixture
def editor_client(client, db):
    """Staff who may change entries but not add them."""
    client.force_login(staff_with("view_faqentry", "change_faqentry", username="editor"))
    return client


@pytest.fixture
def delivery(db):
    """A published English entry about delivery times, in a topic whose French entry exists too."""
    english = FaqEntryFactory(key="shipping-times", question="How long does delivery take?",
                              answer="Standard shipping takes 3 to 5 business days.")
    FaqEntryFactory(key="shipping-times", language="fr", question="Quels sont les délais de livraison ?",
                    answer="La livraison standard prend 3 à 5 jours ouvrés.")
    return english


@pytest.fixture
def gift_wrap(db):
    """An English draft with no French translation."""
    return FaqEntryFactory(key="gift-wrap", question="Do you offer gift wrapping?", published=False,
                           answer="Yes: choose gift wrap at checkout, it costs 3 dollars.")
