"""Tokens over a scripted 60-turn conversation: ours (prompt caching + condensation) against the source's design
(no caching, ConversationManager condensation past 20 messages), both on the fake model's token counting.

Reports input tokens per model call, the cached fraction, the context size before and after condensation, and the
weighted cost (as Anthropic bills: cache reads 0.1x, cache writes 1.25x, output 5x) of the first 20 turns.

    python -m bench.tokens --turns 60
"""

import argparse
import asyncio
import json

from bench import common
from bench.seed_baseline import SEED_SENTIMENT_PROMPT, SEED_SYSTEM_PROMPT, weighted

LINES = [
    "My order {order} has a problem, the headphones don't work",
    "How long does standard shipping take?",
    "Which payment methods do you accept?",
    "Can I return an item I already used?",
    "How do I reset my password?",
    "Thanks, that helps",
]


def script(turns: int, order: str) -> list[str]:
    return [LINES[i % len(LINES)].format(order=order) for i in range(turns)]


async def ours(fake, customer, lines) -> dict:
    from asgiref.sync import sync_to_async

    from assistant import memory, turn
    from assistant.llm.claude import ClaudeBackend
    from conversations import services
    from conversations.models import Conversation
    from conversations.sinks import RecordingSink

    backend = ClaudeBackend(api_key="bench-key", base_url=fake.base_url, max_retries=0, timeout=60)
    conversation = await sync_to_async(services.start_conversation)(session_key="tokens", customer=customer,
                                                                    language="en", backend="claude")
    context_sizes = []
    for text in lines:
        await sync_to_async(services.record_customer_message)(conversation_id=conversation.pk, text=text,
                                                              client_id=None)
        await turn.answer_pending(conversation.pk, sink=RecordingSink(), backend=backend)
        fresh = await Conversation.objects.aget(pk=conversation.pk)
        messages = await sync_to_async(memory.context_messages)(fresh)
        context_sizes.append(memory.estimate_tokens(memory.build_messages(messages)))
    await backend.client.close()  # inside its event loop, before asyncio.run closes it
    return {"context_sizes": context_sizes}


def seed(fake, customer, lines) -> dict:
    """The source's ConversationManager + handle_conversation + analyze_sentiment, turn by turn."""
    import anthropic
    from django.conf import settings

    from assistant.tools import TOOLS, ToolContext, run_tool
    from conversations import services

    client = anthropic.Anthropic(api_key="bench-key", base_url=fake.base_url, max_retries=0, timeout=60)
    system = SEED_SYSTEM_PROMPT.format(store=settings.STORE_NAME, name=customer.name, email=customer.email)
    conversation = services.start_conversation(session_key="seed", customer=customer, language="en",
                                               backend="claude")
    history, sizes = [], []
    for text in lines:
        client.messages.create(model="claude-sonnet-5-5", max_tokens=100, messages=[{"role": "user", "content":
                               SEED_SENTIMENT_PROMPT.format(turns=len(history), issue="support", message=text)}])
        history.append({"role": "user", "content": text})
        response = client.messages.create(model="claude-sonnet-5-5", max_tokens=1024, system=system, tools=TOOLS,
                                          messages=history)
        while response.stop_reason == "tool_use":
            results = [{"type": "tool_result", "tool_use_id": b.id, "content": json.dumps(run_tool(
                b.name, b.input, ToolContext(conversation_id=conversation.pk)).content, default=str)}
                for b in response.content if b.type == "tool_use"]
            history.append({"role": "assistant", "content": [b.model_dump(exclude_none=True)
                                                             for b in response.content]})
            history.append({"role": "user", "content": results})
            response = client.messages.create(model="claude-sonnet-5-5", max_tokens=1024, system=system,
                                              tools=TOOLS, messages=history)
        history.append({"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in response.content]})
        if len(history) > 20:  # the source's _condense_history: 10 oldest messages -> a summary
            old, recent = history[:10], history[10:]
            while recent and recent[0]["role"] != "user" or (recent and isinstance(recent[0]["content"], list)):
                old.append(recent.pop(0))  # (we keep tool pairs together, which the source does not)
            summary = client.messages.create(model="claude-sonnet-5-5", max_tokens=300, messages=[{
                "role": "user", "content": "Summarize this support conversation in 3-4 sentences, keeping: the "
                f"customer's problem, actions already taken, and current status.\n\n{json.dumps(old)}"}])
            history = [{"role": "user", "content": f"[Summary of previous exchanges: {summary.content[0].text}]"},
                       {"role": "assistant", "content": "Understood."}] + recent
        sizes.append(len(json.dumps(history)) // 4)
    return {"context_sizes": sizes}


def per_call(requests, turn_marks) -> list[dict]:
    rows = []
    for request in requests:
        usage = request.response_usage or {}
        total = usage.get("input_tokens", 0) + usage.get("cache_read_input_tokens", 0) + \
            usage.get("cache_creation_input_tokens", 0)
        rows.append({"model": request.body.get("model"), "input": total, "cache_read": usage.get(
            "cache_read_input_tokens", 0), "cache_write": usage.get("cache_creation_input_tokens", 0),
            "output": usage.get("output_tokens", 0), "usage": usage, "main": "tools" in request.body})
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--cost-turns", type=int, default=20)
    args = parser.parse_args(argv)
    common.setup_django(common.fresh_database("sqlite"), REDIS_URL=None)
    common.migrate_and_seed()
    from bench.fake_model import respond
    from orders.models import Customer
    from tests.fakes.messages_api import FakeMessagesAPI

    customer = Customer.objects.get(email="emma.martin@example.com")
    results = {}
    with FakeMessagesAPI.running_in_thread(min_cacheable_tokens=1024) as fake:
        fake.responder = respond
        for name, run, order in (("ours", lambda lines: asyncio.run(ours(fake, customer, lines)), "ORD-78432"),
                                 ("source design", lambda lines: seed(fake, customer, lines), "ORD-31877")):
            for turns, key in ((args.cost_turns, "cost"), (args.turns, "long")):
                fake.requests.clear()
                fake.reset()
                fake.responder = respond
                outcome = run(script(turns, order))
                calls = [c for c in per_call(fake.requests, None) if c["usage"]]
                results[(name, key)] = {"calls": calls, **outcome}
    table, summary = [], {}
    for name in ("ours", "source design"):
        long = results[(name, "long")]
        main_calls = [c for c in long["calls"] if c["main"]]
        after_first = main_calls[1:]
        cached = sum(c["cache_read"] for c in after_first) / max(1, sum(c["input"] for c in after_first))
        cost = sum(weighted(c["usage"], small="haiku" in (c["model"] or "")) for c in results[(name, "cost")]["calls"])
        sizes = long["context_sizes"]
        summary[name] = {"model_calls": len(long["calls"]), "mean_input_per_main_call":
                         sum(c["input"] for c in main_calls) / max(1, len(main_calls)),
                         "max_input_per_main_call": max((c["input"] for c in main_calls), default=0),
                         "cached_fraction_from_second_call": cached, "weighted_cost_first_turns": cost,
                         "context_max": max(sizes), "context_last": sizes[-1]}
        table.append([name, len(long["calls"]), summary[name]["mean_input_per_main_call"],
                      summary[name]["max_input_per_main_call"], cached * 100, max(sizes), sizes[-1], cost])
    summary["cost_ratio"] = summary["ours"]["weighted_cost_first_turns"] / \
        summary["source design"]["weighted_cost_first_turns"]
    common.print_table(
        f"Tokens over a {args.turns}-turn conversation; weighted cost of the first {args.cost_turns} turns — "
        f"{common.machine()}",
        ["design", "model calls", "mean input/call", "max input/call", "cached % (2nd call on)",
         "max context", "context at end", f"weighted cost ({args.cost_turns} turns)"], table)
    print(f"\nOur weighted input+output cost is {summary['cost_ratio']:.2f} of the source design's over "
          f"{args.cost_turns} turns.")
    common.write_json("tokens", {"summary": summary, "ours_calls": results[("ours", "long")]["calls"][:200]})
    return summary


if __name__ == "__main__":
    main()
