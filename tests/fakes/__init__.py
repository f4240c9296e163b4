"""Fakes of external services, served for real over loopback so that the real client libraries are exercised.

Import from the modules themselves (`from tests.fakes.messages_api import FakeMessagesAPI, ...`). This package
re-exports nothing so that `python -m tests.fakes.messages_api` runs without importing its module twice.
"""
