"""Once a person has the conversation, a turn already running says and does nothing more.

The model here is a scripted backend on our seam (tests.fakes.scripted_model): it plays a model that keeps going,
and hooks let an agent take the conversation at the exact moment under test (while the model streams, between two
tools, between two model calls).
"""

import pytest
from asgiref.sync import sync_to_async

from assistant import tools, turn
from assistant.llm import FinalMessage, TextDelta, Usage
from assistant.models import ToolCall
from conversations.models import Conversation, Message
from desk import takeover
from tests.conversations.helpers import conversation_with_message, run_turn
from tests.factories import AgentFactory
from tests.fakes.scripted_model import ScriptedModel
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

TICKET_CALL = {"type": "tool_use", "id": "toolu_ticket", "name": "create_ticket",
               "input": {"subject": "Broken", "category": "technical", "priority": "medium",
                         "description": "It broke", "customer_email": "guest@example.com"}}
TICKET_REQUEST = "My speaker broke, please open a ticket"
FAQ_CALL = {"type": "tool_use", "id": "toolu_faq", "name": "search_faq", "input": {"query": "returns"}}


def agent_takes(conversation):
    person = AgentFactory(first_name="Sam")

    async def hook():
        await sync_to_async(takeover.take_over)(conversation_id=conversation.pk, agent=person)
    return hook


async def test_a_person_taking_over_while_the_model_writes_a_tool_call_stops_the_tool():
    conversation = await conversation_with_message(TICKET_REQUEST, backend="claude")
    hook = await sync_to_async(agent_takes)(conversation)
    model = ScriptedModel(("I'll open a ticket for you.", [TICKET_CALL], hook), ("Done!", [], None))
    await run_turn(conversation, model)
    assert not await Ticket.objects.filter(kind=Ticket.Kind.FOLLOW_UP).aexists()
    assert model.calls == 1
    stored = [m async for m in Message.objects.filter(conversation=conversation, role="assistant")]
    assert [m.text for m in stored] == ["I'll open a ticket for you."]
    assert not any(b.get("type") == "tool_use" for m in stored for b in m.content)


async def test_a_person_taking_over_between_two_tools_stops_the_second_one(monkeypatch):
    conversation = await conversation_with_message(TICKET_REQUEST, backend="claude")
    hook = await sync_to_async(agent_takes)(conversation)
    faq = tools.HANDLERS["search_faq"]

    def search_then_agent_joins(ctx, args):
        from asgiref.sync import async_to_sync

        result = faq(ctx, args)
        async_to_sync(hook)()
        return result

    monkeypatch.setitem(tools.HANDLERS, "search_faq", search_then_agent_joins)
    model = ScriptedModel(("Let me check.", [FAQ_CALL, TICKET_CALL], None), ("Anything else?", [], None))
    await run_turn(conversation, model)
    assert not await Ticket.objects.filter(kind=Ticket.Kind.FOLLOW_UP).aexists()
    assert model.calls == 1  # no model call after the person joined
    results = (await Message.objects.filter(conversation=conversation, role="tool").alast()).content
    assert [r.get("is_error", False) for r in results] == [False, True]


async def test_a_person_taking_over_mid_stream_cuts_the_answer_short_and_fills_its_seq(settings):
    settings.TURN_LEASE_SECONDS = 0.3  # the lease keeper looks every 0.1 s
    conversation = await conversation_with_message(TICKET_REQUEST, backend="claude")
    person = await sync_to_async(AgentFactory)(first_name="Sam")

    class SlowModel(ScriptedModel):
        async def stream(self, request):
            import asyncio

            self.calls += 1
            yield TextDelta("Let me ")
            await sync_to_async(takeover.take_over)(conversation_id=conversation.pk, agent=person)
            for _ in range(20):
                await asyncio.sleep(0.05)
                yield TextDelta("blah ")
            yield FinalMessage([{"type": "text", "text": "never stored"}, TICKET_CALL], "tool_use", Usage(), "s")

    model = SlowModel()
    sink = await run_turn(conversation, model)
    assert not await Ticket.objects.filter(kind=Ticket.Kind.FOLLOW_UP).aexists()
    shown = "".join(text for _, text in sink.deltas)
    assert "blah blah blah blah blah blah blah blah" not in shown
    refreshed = await Conversation.objects.aget(pk=conversation.pk)
    seqs = [m.seq async for m in Message.objects.filter(conversation=conversation).order_by("seq")]
    assert seqs == list(range(1, refreshed.last_seq + 1))  # the reserved seq was filled: no gap holds sockets back
    assert refreshed.status == Conversation.Status.AGENT


async def test_an_escalation_the_assistant_made_itself_still_gets_its_one_message_to_the_customer(agent_on_duty):
    conversation = await conversation_with_message("I want a human", backend="claude")
    handoff = {"type": "tool_use", "id": "toolu_h", "name": "escalate_to_human",
               "input": {"reason": "asked for a person", "priority": "normal", "conversation_summary": "wants one"}}
    model = ScriptedModel(("", [handoff], None), ("You're number 1 in the queue.", [], None))
    sink = await run_turn(conversation, model)
    assert model.calls == 2 and sink.texts[-1] == "You're number 1 in the queue."
    assert (await Conversation.objects.aget(pk=conversation.pk)).status == Conversation.Status.WAITING


async def test_a_tool_call_id_that_already_ran_returns_its_result_without_running_again():
    conversation = await conversation_with_message(TICKET_REQUEST, backend="claude")
    context = tools.ToolContext(conversation_id=conversation.pk)
    first, ran_first = await sync_to_async(turn.run_tool_once)(conversation.pk, TICKET_CALL, context)
    again, ran_again = await sync_to_async(turn.run_tool_once)(conversation.pk, TICKET_CALL, context)
    assert (ran_first, ran_again) == (True, False)
    assert again.content == first.content and not again.is_error
    assert await Ticket.objects.filter(kind=Ticket.Kind.FOLLOW_UP).acount() == 1
    assert await ToolCall.objects.filter(tool_use_id="toolu_ticket").acount() == 1


async def test_a_tool_that_fails_to_commit_leaves_its_id_free_to_run_again(monkeypatch):
    from django.db import DatabaseError

    conversation = await conversation_with_message(TICKET_REQUEST, backend="claude")
    context = tools.ToolContext(conversation_id=conversation.pk)
    original = ToolCall.save

    def broken_save(self, *args, **kwargs):
        raise DatabaseError("connection reset")

    monkeypatch.setattr(ToolCall, "save", broken_save)
    with pytest.raises(DatabaseError):
        await sync_to_async(turn.run_tool_once)(conversation.pk, TICKET_CALL, context)
    assert not await Ticket.objects.aexists()  # the ticket rolled back with the claim
    monkeypatch.setattr(ToolCall, "save", original)
    _, ran = await sync_to_async(turn.run_tool_once)(conversation.pk, TICKET_CALL, context)
    assert ran and await Ticket.objects.acount() == 1
