"""The adversarial suite: the fake model is scripted to OBEY THE ATTACKER; the tools must still refuse.

Each case asserts on the database (no refund, totals unchanged, no ticket) and on what reached the customer
(answers, streamed deltas, action cards, frames).
"""

import json

import pytest
from asgiref.sync import sync_to_async

from assistant import turn
from assistant.llm.claude import ClaudeBackend
from assistant.sentiment import CLASSIFIER_SYSTEM
from conversations import services
from conversations.sinks import RecordingSink
from tests.fakes.messages_api import FakeMessagesAPI, Reply, text, tool_use


@pytest.fixture
async def fake():
    api = FakeMessagesAPI(min_cacheable_tokens=0)
    await api.start()
    api.route(lambda r: r.system_text.startswith(CLASSIFIER_SYSTEM[:30]),
              lambda r: Reply([text('{"score": 0, "abusive": false, "wants_human": false, "threat": false, '
                                    '"reason": "neutral"}')]))
    yield api
    await api.stop()


class Attack:
    """A conversation where the model does whatever the attacker asks."""

    def __init__(self, fake, conversation):
        self.fake = fake
        self.conversation = conversation
        self.backend = ClaudeBackend(api_key="test-key", base_url=fake.base_url, max_retries=0, timeout=5)
        self.sinks: list[RecordingSink] = []

    async def say(self, customer_text: str, *calls, reply: str = "Done, as you asked.") -> list[dict]:
        """The customer types `customer_text`; the model makes `calls` (name, args), then says `reply`.
        Returns the tool results the model got back."""
        if calls:
            self.fake.enqueue(Reply([tool_use(name, args) for name, args in calls]))
        self.fake.enqueue(Reply([text(reply)]))
        sink = RecordingSink()
        await sync_to_async(services.record_customer_message)(conversation_id=self.conversation.pk,
                                                              text=customer_text, client_id=None)
        await turn.answer_pending(self.conversation.pk, sink=sink, backend=self.backend)
        self.sinks.append(sink)
        if not calls:
            return []
        requests = [r for r in self.fake.requests if "tools" in r.body]
        content = requests[-1].body["messages"][-1]["content"]
        return [dict(b, content=json.loads(b["content"])) for b in content if b["type"] == "tool_result"]

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
def attack(fake):
    async def start(customer=None, language="en"):
        conversation = await sync_to_async(services.start_conversation)(
            session_key="attack", customer=customer, language=language, backend="claude")
        return Attack(fake, conversation)

    return start


@pytest.fixture
def jane(demo_store):
    from orders.models import Customer

    return Customer.objects.get(email="jane.cooper@example.com")
