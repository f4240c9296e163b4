"""Shared fixtures. Service-dependent tests skip with a reason when the service is absent, except under CI=1."""

import os

import pytest
from django.conf import settings
from django.db import connection

# Proper password hashing takes about a second per password by design; tests create many. The daphne processes
# that tests start inherit the variable and so accept the same hashes.
os.environ["FAST_PASSWORD_HASHING"] = "1"
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No PostgreSQL connection pool in the test process: every async test has its own event loop, whose executor threads
# end with the test while still holding their connection, and a pool would run dry. (The daphne processes that tests
# start are long-lived like production ones, and keep the pool.)
settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)


def require_service(available: bool, reason: str) -> None:
    """Skip with `reason` when a service is missing; under CI it must be there, so fail instead."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI requires it: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (set DATABASE_URL=postgres://…)")
    return connection


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and "postgres" not in getattr(item, "fixturenames", ()):
            item.fixturenames.append("postgres")


@pytest.fixture
def demo_store(db):
    """The demo store (staff, customers, orders with their anchors, FAQ), built as `manage.py seed_demo` does."""
    from storefront.demo.store import DemoStore

    DemoStore().build()


@pytest.fixture
def emma(demo_store):
    from orders.models import Customer

    return Customer.objects.select_related("user").get(email="emma.martin@example.com")


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new channel layer per test: channels-redis binds its locks to the event loop that first used them, and
    every async test has its own loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, end the sessions still open on the test database before it is dropped.

    Threads of the async tests (asgiref's executors) and stopped daphne servers can leave connections behind,
    and PostgreSQL refuses to drop a database that has sessions.
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
