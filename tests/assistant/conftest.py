"""Fixtures of the chat tests: the fake Messages API and the Claude backend pointed at it."""

import pytest

from assistant.llm.claude import ClaudeBackend
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.small_model import answer_small_model_calls


@pytest.fixture
async def fake():
    """The fake Messages API on 127.0.0.1, scripted by each test (enqueue). The small model's calls (sentiment,
    summaries) get their own answers, whatever the main script says."""
    api = FakeMessagesAPI(min_cacheable_tokens=0)
    await api.start()
    answer_small_model_calls(
        api, sentiment='{"score": -0.2, "abusive": false, "wants_human": false, "threat": false, '
                       '"reason": "mild frustration"}',
        summary="Emma's headphones (order ORD-78432) were refunded 89.99 USD.")
    yield api
    await api.stop()


def claude(fake, **kwargs) -> ClaudeBackend:
    """The real SDK against `fake` (always with an explicit key: the SDK would look for credentials on disk)."""
    return ClaudeBackend(api_key="test-key", base_url=fake.base_url, max_retries=kwargs.pop("max_retries", 2),
                         timeout=kwargs.pop("timeout", 5.0), **kwargs)
