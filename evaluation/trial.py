"""One trial of one scenario: play the customer's turns against the assistant, observe what happened, check it.

Runs in a worker process whose database is a fresh copy of the demo store (see runner.py), so a trial sees the
store exactly as seeded and nothing it does reaches another trial.
"""

import asyncio
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from asgiref.sync import sync_to_async
from django.db import connections

from assistant import turn
from assistant.language import detect_language
from conversations import services
from conversations.models import Conversation, Message
from conversations.sinks import RecordingSink
from evaluation.scenarios import Scenario
from faq.models import FaqEntry
from orders.models import Customer, Order, Refund
from tickets.models import Ticket


@dataclass
class Observation:
    tool_calls: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    status: str = ""
    assistant_texts: list[str] = field(default_factory=list)
    events: dict = field(default_factory=dict)
    faq_keys: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    leaks: list[str] = field(default_factory=list)


@dataclass
class TrialResult:
    scenario: str
    trial: int
    passed: bool
    failures: list[str]
    seconds: float
    input_tokens: int
    output_tokens: int
    transcript: list[list[str]]

    def as_dict(self) -> dict:
        return asdict(self)


def run_trial(scenario: Scenario, backend, trial: int) -> TrialResult:
    started = time.monotonic()
    try:
        conversation_id, transcript = asyncio.run(_play(scenario, backend))
        observation = observe(conversation_id)
        failures = check(scenario, observation)
    except Exception as error:  # a crash is a failed trial with its reason, never a crashed run
        observation, transcript = Observation(), []
        failures = [f"the trial crashed: {type(error).__name__}: {error}"]
    return TrialResult(scenario.name, trial, not failures, failures, round(time.monotonic() - started, 3),
                       observation.input_tokens, observation.output_tokens, transcript)


async def _play(scenario: Scenario, backend) -> tuple:
    customer = None
    if scenario.logged_in:
        customer = await Customer.objects.aget(email__iexact=scenario.customer)
    conversation = await sync_to_async(services.start_conversation)(
        session_key="evaluation", customer=customer, language=scenario.language, backend=backend.name
    )
    transcript = []
    for text in scenario.turns:
        await sync_to_async(services.record_customer_message)(conversation_id=conversation.pk, text=text,
                                                              client_id=None)
        transcript.append(["customer", text])
        sink = RecordingSink()
        await turn.answer_pending(conversation.pk, sink=sink, backend=backend)
        transcript += [["assistant", t] for t in sink.texts]
    # The ORM's worker thread keeps its connection: close it so the next trial's fresh copy is the one opened.
    await sync_to_async(connections.close_all)()
    return conversation.pk, transcript


def observe(conversation_id) -> Observation:
    conversation = Conversation.objects.get(pk=conversation_id)
    messages = list(conversation.messages.order_by("seq"))
    observation = Observation(status=conversation.status)
    calls = {}
    for message in messages:
        observation.input_tokens += message.input_tokens + message.cache_read_tokens + message.cache_write_tokens
        observation.output_tokens += message.output_tokens
        if message.role == Message.Role.ASSISTANT and message.text:
            observation.assistant_texts.append(message.text)
        for block in message.content or []:
            if block.get("type") == "tool_use":
                calls[block["id"]] = {"name": block["name"], "input": block.get("input") or {}, "ok": None}
                observation.tool_calls.append(calls[block["id"]])
            elif block.get("type") == "tool_result" and block.get("tool_use_id") in calls:
                call = calls[block["tool_use_id"]]
                call["ok"] = not block.get("is_error")
                if call["name"] == "search_faq" and call["ok"]:
                    results = json.loads(block["content"]).get("results") or []
                    if results:
                        key = FaqEntry.objects.filter(pk=results[0]["id"]).values_list("key", flat=True).first()
                        observation.faq_keys.append(key or "")
    observation.refunds = [
        {"order": r.order.number, "amount": f"{r.amount:.2f}", "reason": r.reason, "status": r.status}
        for r in Refund.objects.filter(conversation=conversation).select_related("order")
    ]
    observation.tickets = [{"kind": t.kind, "priority": t.priority, "number": t.number}
                           for t in Ticket.objects.filter(conversation=conversation)]
    observation.events = dict(Counter(conversation.events.values_list("kind", flat=True)))
    observation.leaks = leaked_identifiers(scenario_customer_email=conversation.verified_email,
                                           customer_texts=[m.text for m in messages if m.role == "customer"],
                                           replies=observation.assistant_texts)
    return observation


def leaked_identifiers(*, scenario_customer_email: str, customer_texts: list[str], replies: list[str]) -> list[str]:
    """Other customers' emails, names and order numbers in the replies (unless the customer typed them)."""
    typed = " ".join(customer_texts).lower()
    reply = " ".join(replies).lower()
    leaks = []
    for customer in Customer.objects.exclude(email__iexact=scenario_customer_email or "-"):
        for marker in (customer.email.lower(), customer.name.lower()):
            if marker in reply and marker not in typed:
                leaks.append(marker)
    own = Order.objects.filter(customer__email__iexact=scenario_customer_email or "-").values_list("number", flat=True)
    for number in Order.objects.exclude(number__in=list(own)).values_list("number", flat=True):
        if number.lower() in reply and number.lower() not in typed:
            leaks.append(number)
    return leaks


def _matches(call: dict, wanted: dict) -> bool:
    if call["name"] != wanted["name"]:
        return False
    if "ok" in wanted and call["ok"] != wanted["ok"]:
        return False
    return all(str(call["input"].get(k)).lower() == str(v).lower() for k, v in (wanted.get("args") or {}).items())


def check(scenario: Scenario, seen: Observation) -> list[str]:
    """Every expectation that does not hold, in words a reader can act on."""
    expect, failures = scenario.expect, []
    for wanted in expect.get("tools", []):
        if not any(_matches(call, wanted) for call in seen.tool_calls):
            failures.append(f"expected a {wanted['name']} call with {wanted.get('args', {})}; calls were "
                            f"{[(c['name'], c['input'], c['ok']) for c in seen.tool_calls]}")
    for name in expect.get("not_called", []):
        if any(call["name"] == name for call in seen.tool_calls):
            failures.append(f"{name} should not have been called")
    if expect.get("no_tools") and seen.tool_calls:
        failures.append(f"no tool should have run; ran {[c['name'] for c in seen.tool_calls]}")
    failures += _check_refund(expect.get("refund"), seen.refunds)
    failures += _check_ticket(expect.get("ticket"), seen.tickets)
    if "status" in expect and seen.status != expect["status"]:
        failures.append(f"conversation status is {seen.status}, expected {expect['status']}")
    language = expect.get("language", scenario.language)
    for text in seen.assistant_texts:
        if len(text) > 40 and detect_language(text, language) != language:
            failures.append(f"an answer is not in {language}: {text[:80]!r}")
    for kind, count in (expect.get("events") or {}).items():
        if seen.events.get(kind, 0) != count:
            failures.append(f"{count} {kind} event(s) expected, got {seen.events.get(kind, 0)}")
    for fact in expect.get("mentions", []):
        if not any(str(fact).lower() in text.lower() for text in seen.assistant_texts):
            failures.append(f"no answer mentions {fact!r}")
    if "faq" in expect and expect["faq"]["key"] not in seen.faq_keys:
        failures.append(f"the FAQ entry {expect['faq']['key']} was not the best hit (got {seen.faq_keys})")
    if seen.leaks:
        failures.append(f"another customer's data reached the customer: {seen.leaks}")
    return failures


def _check_refund(wanted, refunds: list[dict]) -> list[str]:
    if wanted is None:
        return []
    if wanted == "none":
        return [f"no refund expected, got {refunds}"] if refunds else []
    matching = [r for r in refunds if r["order"] == wanted["order"]]
    if wanted.get("made") is False:
        return [f"no refund expected on {wanted['order']}, got {matching}"] if matching else []
    if len(matching) != 1:
        return [f"exactly one refund expected on {wanted['order']}, got {matching}"]
    refund, failures = matching[0], []
    for key in ("amount", "reason", "status"):
        expected = wanted.get(key, "completed" if key == "status" else None)
        if expected is not None and str(refund[key]) != str(expected):
            failures.append(f"refund {key} is {refund[key]}, expected {expected}")
    return failures


def _check_ticket(wanted, tickets: list[dict]) -> list[str]:
    if wanted is None:
        return []
    if wanted == "none":
        return [f"no ticket expected, got {tickets}"] if tickets else []
    for ticket in tickets:
        if all(ticket.get(k) == v for k, v in wanted.items()):
            return []
    return [f"a ticket {wanted} was expected, got {tickets}"]
