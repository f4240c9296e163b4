"""Fixtures of the desk's tests."""

import pytest

from tests.factories import AgentFactory


@pytest.fixture
def sam(db):
    return AgentFactory(username="sam", first_name="Sam", last_name="Rivera")


@pytest.fixture
def desk(client, sam):
    """A browser logged in as Sam, a support agent."""
    client.force_login(sam)
    return client


@pytest.fixture
def lea(db):
    return AgentFactory(username="lea", first_name="Léa")


@pytest.fixture
def broadcasts(monkeypatch, django_capture_on_commit_callbacks):
    """What the services send to the channel layer after commit, as (group, event) pairs. Use `broadcasts.run()`
    around the request: the test's transaction never commits, so its on-commit callbacks are run there (emails
    queued in it are sent then too)."""

    class Captured(list):
        def run(self):
            return django_capture_on_commit_callbacks(execute=True)

        def to(self, group):
            return [event for name, event in self if name == group]

    sent = Captured()
    monkeypatch.setattr("helpdesk.realtime._send", lambda group, event: sent.append((group, event)))
    return sent
