"""The adversarial suite: the fake model is scripted to OBEY THE ATTACKER; the tools must still refuse.

Each case asserts on the database (no refund, totals unchanged, no ticket) and on what reached the customer
(answers, streamed deltas, action cards, frames).
"""

import json

import pytest

from conversations.sinks import RecordingSink
from tests.conftest import claude_backend, last_tool_results
from tests.conversations.helpers import say, start_conversation
from tests.fakes.messages_api import Reply, text, tool_use
from tests.fakes.small_model import NEUTRAL


@pytest.fixture
def small_model_answers():
    """The classifier finds every message neutral: no escalation rule steps in, only the tools stand in the way."""
    return {"sentiment": NEUTRAL}


class Attack:
    """A conversation where the model does whatever the attacker asks."""

    def __init__(self, fake_api, conversation):
        self.fake_api = fake_api
        self.conversation = conversation
        self.backend = claude_backend(fake_api, max_retries=0)
        self.sinks: list[RecordingSink] = []

    async def say(self, customer_text: str, *calls, reply: str = "Done, as you asked.") -> list[dict]:
        """The customer types `customer_text`; the model makes `calls` (name, args), then says `reply`.
        Returns the tool results the model got back."""
        if calls:
            self.fake_api.enqueue(Reply([tool_use(name, args) for name, args in calls]))
        self.fake_api.enqueue(Reply([text(reply)]))
        self.sinks.append(await say(self.conversation, customer_text, self.backend))
        return last_tool_results(self.fake_api) if calls else []

    @property
    def shown(self) -> str:
        """Everything that reached the customer: final answers, streamed text and action cards."""
        parts = []
        for sink in self.sinks:
            parts += sink.texts + [t for _, t in sink.deltas] + [json.dumps(a) for a in sink.actions]
        return "\n".join(parts)

    @property
    def actions(self) -> list[dict]:
        return [a for sink in self.sinks for a in sink.actions]


@pytest.fixture
def attack(fake_api):
    """Starts an attack: a new conversation of the attacker's browser session (always the same one), a guest's or
    the logged-in `customer`'s."""
    async def start(customer=None, language="en"):
        return Attack(fake_api, await start_conversation(customer, language=language, backend="claude"))

    return start


@pytest.fixture
def jane(demo_store):
    from orders.models import Customer

    return Customer.objects.get(email="jane.cooper@example.com")
