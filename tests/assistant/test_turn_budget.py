"""One customer message buys a bounded number of tool calls, over every round of its turn."""

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Message
from orders.models import LookupFailure
from tests.conversations.helpers import conversation_with_message, run_turn
from tests.fakes.scripted_model import ScriptedModel

pytestmark = pytest.mark.django_db(transaction=True)


def lookup(n: int) -> dict:
    return {"type": "tool_use", "id": f"toolu_look_{n}", "name": "lookup_order",
            "input": {"order_id": f"ORD-{10000 + n}", "customer_email": "victim@example.com"}}


async def test_look_ups_spread_over_rounds_of_one_turn_share_the_messages_budget(settings):
    settings.ASSISTANT_MAX_LOOKUPS_PER_MESSAGE = 2
    conversation = await conversation_with_message("Find my order, the email is victim@example.com", backend="claude")
    model = ScriptedModel(*[("", [lookup(n)], None) for n in range(5)], ("I could not find it.", [], None))
    await run_turn(conversation, model)
    results = await sync_to_async(lambda: [b for m in Message.objects.filter(conversation=conversation, role="tool")
                                           for b in m.content])()
    refused = [r for r in results if "lookup_budget_exceeded" in r["content"]]
    assert len(results) == 5 and len(refused) == 3
    assert await LookupFailure.objects.acount() == 2  # only the look-ups the budget allowed were attempted
