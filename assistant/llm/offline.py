"""The offline assistant: a deterministic stand-in for Claude, used whenever ANTHROPIC_API_KEY is unset.

It reads the same request Claude would (messages with tool results) and acts through the SAME tools by emitting the
same tool_use blocks, so every rule behind the tools runs without a key. Each call decides one step:
- after the customer's words: answer directly (greeting, thanks, off-topic, a question for the order number or the
  email) or call a tool (lookup_order, process_refund, search_faq, create_ticket, escalate_to_human);
- after tool results: word the outcome from the tool's own figures, or chain the next tool (a refund right after
  the order was verified).
"""

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

from django.conf import settings
from django.utils import timezone

from assistant import language
from assistant.llm import offline_text as t
from assistant.llm.base import FinalMessage, LLMRequest, StreamEvent, TextDelta, ToolUseStarted, Usage, estimate_tokens
from assistant.llm.offline_drafts import DRAFT_TASK, draft_reply

CUSTOMER_TAG = re.compile(r"<customer_message>\n?(.*?)\n?</customer_message>", re.DOTALL)


def customer_text(block_text: str) -> str:
    found = CUSTOMER_TAG.findall(block_text)
    return "\n".join(found) if found else block_text


class Dialogue:
    """What the offline assistant knows of the conversation, read from the request."""

    def __init__(self, request: LLMRequest):
        self.request = request
        self.hints = request.hints
        self.messages = request.messages
        self.customer_texts: list[str] = []
        for message in self.messages:
            if message["role"] == "user":
                for block in _blocks(message):
                    if block.get("type") == "text":
                        self.customer_texts.append(customer_text(block["text"]))
        last = self.messages[-1] if self.messages else {"role": "user", "content": []}
        self.last_results = [b for b in _blocks(last) if b.get("type") == "tool_result"]
        self.last_texts = [customer_text(b["text"]) for b in _blocks(last) if b.get("type") == "text"]
        summary = "\n".join(b.get("text", "") for b in request.system if "conversation_summary" in b.get("text", ""))
        self.summary = summary
        self.text = "\n".join(self.last_texts)
        default_language = self.hints.get("language", "en")
        self.language = language.detect_language(self.text, default_language) if self.text else default_language
        if not self.last_texts:
            # After tool results, keep the language the customer used last.
            self.language = language.detect_language(self.customer_texts[-1], default_language) if self.customer_texts else default_language

    @property
    def store(self) -> str:
        return self.hints.get("store", settings.STORE_NAME)

    @property
    def verified_orders(self) -> list[str]:
        return list(self.hints.get("verified_orders") or [])

    @property
    def verified_email(self) -> str:
        return self.hints.get("verified_email", "")

    def intent_text(self) -> str:
        """This turn's words, plus the previous turn's when this one only gives an email or an order number."""
        if not self.customer_texts:
            return ""
        current = self.customer_texts[-1]
        stripped = t.EMAIL.sub("", t.ORDER_NUMBER.sub("", current)).strip(" .,!?:;\n")
        if len(self.customer_texts) > 1 and len(stripped.split()) <= 4:
            return self.customer_texts[-2] + "\n" + current
        return current

    def mentioned_order(self) -> str | None:
        for text in reversed(self.customer_texts + [self.summary]):
            numbers = t.order_numbers(text)
            if numbers:
                return numbers[-1]
        return self.verified_orders[-1] if self.verified_orders else None

    def mentioned_email(self) -> str | None:
        for text in reversed(self.customer_texts):
            found = t.emails(text)
            if found:
                return found[-1]
        return None

    def tool_calls_of_last_assistant(self) -> dict[str, dict]:
        for message in reversed(self.messages):
            if message["role"] == "assistant":
                return {b["id"]: b for b in _blocks(message) if b.get("type") == "tool_use"}
        return {}


def _blocks(message: dict) -> list[dict]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content or []


class Step:
    """One model call's answer: text, and optionally one tool call."""

    def __init__(self, text: str = "", tool: tuple[str, dict] | None = None):
        self.text = text
        self.tool = tool


class OfflineBackend:
    """`words_per_second` paces the answer's words as a model streams them (0: every word at once); `sleep` is
    what waits between two words (asyncio.sleep: the event loop runs on meanwhile, and cancelling the turn cancels
    the wait). A draft for an agent is never paced: nobody watches it stream."""

    name = "offline"
    model = "offline-assistant"

    def __init__(self, *, words_per_second: float = 0.0, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep):
        self.pause = 1.0 / words_per_second if words_per_second > 0 else 0.0
        self.sleep = sleep

    async def stream(self, request: LLMRequest) -> AsyncIterator[StreamEvent]:
        pause = self.pause
        if request.hints.get("task") == DRAFT_TASK:
            # A draft for a human agent (assistant.suggestions): text only, from the facts in the hints.
            step = Step(draft_reply(request.hints))
            pause = 0.0
        else:
            step = decide(Dialogue(request))
        content: list[dict] = []
        if step.text:
            for index, chunk in enumerate(re.findall(r"\S+\s*", step.text)):
                if index:
                    await self.sleep(pause)  # even unpaced, the loop gets its turn between two words
                yield TextDelta(chunk)
            content.append({"type": "text", "text": step.text})
        if step.tool:
            name, tool_input = step.tool
            yield ToolUseStarted(name)
            digest = hashlib.sha1(json.dumps(request.messages, sort_keys=True, default=str).encode()).hexdigest()
            content.append({"type": "tool_use", "id": f"toolu_offline_{digest[:20]}", "name": name, "input": tool_input})
        usage = Usage(
            input_tokens=estimate_tokens({"system": request.system, "messages": request.messages, "tools": request.tools}),
            output_tokens=estimate_tokens(content),
        )
        yield FinalMessage(content=content, stop_reason="tool_use" if step.tool else "end_turn", usage=usage,
                           model=self.model)

    async def complete(self, *, system: str, prompt: str, max_tokens: int = 300) -> str:
        return extractive_summary(prompt)


# --- deciding a step --------------------------------------------------------------------------------------------------
def decide(d: Dialogue) -> Step:
    if d.last_results:
        return after_tools(d)
    return after_customer(d)


def after_customer(d: Dialogue) -> Step:
    text, lang = d.text, d.language
    intent = d.intent_text()
    off_topic = t.is_off_topic(text)
    if d.hints.get("awaiting_email_for_team") and t.emails(text):
        # Nobody could join the chat and the customer was asked where the team should answer: file it now.
        return ticket_step(d, intent, email=t.emails(text)[-1])
    if language.wants_human(text) or language.is_threat(text):
        priority = "urgent" if language.is_threat(text) else "normal"
        reason = "Customer threatened legal or other action" if language.is_threat(text) else "Customer asked for a person"
        return Step(tool=("escalate_to_human", {
            "reason": reason, "priority": priority,
            "conversation_summary": f"The customer wrote: {text[:300]}",
        }))
    if off_topic:
        return Step(t.phrase(off_topic, lang, store=d.store))
    if t.is_greeting_only(text):
        name = d.hints.get("customer_first_name", "")
        return Step(t.phrase("greeting", lang, store=d.store, name=f" {name}" if name else ""))
    if language.is_thanks(text) and not t.order_numbers(text):
        return Step(t.phrase("thanks", lang))
    if language.wants_refund(intent) and not (_asks_about_policy(text) and not d.mentioned_order()):
        return refund_step(d, intent)
    if t.wants_ticket(intent):
        return ticket_step(d, intent)
    order = t.order_numbers(text)
    if order or (t.asks_order_status(intent) and not _is_general_question(text)) or (t.emails(text) and d.mentioned_order()):
        return lookup_step(d, order[-1] if order else d.mentioned_order())
    return Step(tool=("search_faq", {"query": text[:300]}))


def _asks_about_policy(text: str) -> bool:
    """'How long do refunds take?', 'c'est quoi les délais de remboursement ?': a question about how refunds work,
    answered by the help center, not a request to refund an order (which starts by asking for its number)."""
    folded = language.fold(text)
    return bool(re.search(
        r"\b(how long|how many days|how does|how do (refunds|returns)|when (will|do|does)|what is your|policy|"
        r"delais?|combien de (temps|jours)|quand est-ce|quand (vais|serai|est)|c'est quoi|politique|comment fonctionne)\b",
        folded))


def _is_general_question(text: str) -> bool:
    """'How long does delivery take?' is a policy question, not about one order."""
    folded = language.fold(text)
    return bool(re.search(r"\b(how long|how much|do you|can i|combien|est-ce que vous|livrez|delais?)\b", folded)) \
        and not re.search(r"\b(my|mon|ma|mes)\b", folded)


def lookup_step(d: Dialogue, order: str | None) -> Step:
    if not order:
        return Step(t.phrase("ask_order_number", d.language))
    tool_input = {"order_id": order}
    if not d.verified_email:
        email = d.mentioned_email()
        if not email:
            return Step(t.phrase("ask_email", d.language, order=order))
        tool_input["customer_email"] = email
    elif (email := d.mentioned_email()) and email != d.verified_email:
        tool_input["customer_email"] = email
    return Step(tool=("lookup_order", tool_input))


def refund_step(d: Dialogue, intent: str) -> Step:
    order = d.mentioned_order()
    if not order:
        return Step(t.phrase("ask_order_number", d.language))
    if order not in d.verified_orders:
        return lookup_step(d, order)
    reason = t.refund_reason([intent]) or t.refund_reason(d.customer_texts)
    if reason is None:
        return Step(t.phrase("ask_reason", d.language, order=order))
    tool_input = {"order_id": order, "reason": reason}
    if (value := t.amount(d.customer_texts[-1] if d.customer_texts else "")) is not None:
        tool_input["amount"] = float(value)
    return Step(tool=("process_refund", tool_input))


def ticket_step(d: Dialogue, intent: str, *, email: str = "") -> Step:
    email = email or d.verified_email or d.mentioned_email()
    if not email:
        return Step(t.phrase("ask_email_ticket", d.language))
    folded = language.fold(intent)
    category = "other"
    for name, pattern in (("refund", r"rembours|refund"), ("shipping", r"deliver|livr|ship|colis|parcel|package"),
                          ("billing", r"bill|charge|invoice|factur|paiement|payment"),
                          ("technical", r"login|password|bug|error|site|app|compte|account")):
        if re.search(pattern, folded):
            category = name
            break
    subject = intent.strip().splitlines()[0][:80] if intent.strip() else "Follow-up request"
    return Step(tool=("create_ticket", {
        "subject": subject, "category": category, "priority": "medium",
        "description": intent[:1000], "customer_email": email,
    }))


# --- after tool results -------------------------------------------------------------------------------------------------
def after_tools(d: Dialogue) -> Step:
    calls = d.tool_calls_of_last_assistant()
    lang = d.language
    parts: list[str] = []
    for block in d.last_results:
        call = calls.get(block.get("tool_use_id"), {})
        name = call.get("name", "")
        try:
            result = json.loads(block.get("content") or "{}")
        except (TypeError, ValueError):
            result = {}
        if block.get("is_error"):
            parts.append(refusal_text(name, result, lang))
            continue
        if name == "lookup_order":
            intent = d.intent_text()
            order = result["order"]["order_id"]
            if language.wants_refund(intent) and order in d.verified_orders + [order]:
                follow = refund_step(_with_verified(d, order), intent)
                if follow.tool:
                    return follow
                parts.append(order_text(result, lang))
                parts.append(follow.text)
                return Step("\n\n".join(parts))
            parts.append(order_text(result, lang))
            if t.describes_problem(intent) and result["order"]["status"] in ("delivered", "partially_refunded"):
                parts.append(t.phrase("sorry_problem", lang))
            else:
                parts.append(t.phrase("anything_else", lang))
        elif name == "process_refund":
            parts.append(refund_text(result, lang))
        elif name == "search_faq":
            parts.append(faq_text(result, d.intent_text(), lang))
        elif name == "create_ticket":
            parts.append(ticket_text(result, call["input"]["customer_email"], lang))
        elif name == "escalate_to_human":
            parts.append(handoff_text(result, lang))
    return Step("\n\n".join(p for p in parts if p))


def _with_verified(d: Dialogue, order: str) -> Dialogue:
    d.hints = {**d.hints, "verified_orders": [*d.verified_orders, order]}
    return d


def refusal_text(name: str, result: dict, lang: str) -> str:
    code = result.get("error", "")
    message = result.get("message", "")
    if code == "verification_locked":
        return t.phrase("locked", lang)
    if code == "order_not_found":
        return t.phrase("not_found", lang)
    if code == "identity_required":
        return t.phrase("ask_email_ticket" if name == "create_ticket" else "ask_order_number", lang)
    if name == "process_refund":
        return t.phrase("refund_refused", lang, message=message)
    return t.phrase("tool_failed", lang, message=message)


def order_text(result: dict, lang: str) -> str:
    order = result["order"]
    status = order["status"]
    expected = order.get("expected_delivery")
    if status == "shipped" and expected and date.fromisoformat(expected) < timezone.localdate():
        status_key = "late"
    else:
        status_key = status
    values = {
        "delivered": t.format_date(order.get("delivered_at"), lang),
        "shipped": t.format_date(order.get("shipped_at"), lang),
        "expected": t.format_date(expected, lang),
        "carrier": order.get("carrier") or "",
        "tracking": order.get("tracking_number") or "",
        "refunded": t.money(order["refunded"], order["currency"], lang),
    }
    items = ", ".join(i["product"] if i["quantity"] == 1 else f"{i['quantity']} × {i['product']}" for i in order["items"])
    lines = [t.phrase("found_order", lang, order=order["order_id"]),
             f"- {items} — {t.STATUS_LINES[status_key][lang].format(**values)}"]
    if status in ("delivered", "partially_refunded") and order.get("delivered_at"):
        days = result.get("refund_window_days", settings.REFUND_WINDOW_DAYS)
        age = (timezone.localdate() - date.fromisoformat(order["delivered_at"])).days
        lines.append("- " + t.phrase("within_window" if age <= days else "outside_window", lang, days=days))
    return "\n".join(lines)


def back_at(result: dict, lang: str) -> str:
    """ "They're back tomorrow at 09:00 (Paris time)." when the team is away, as the tool worded the time."""
    return t.phrase("back_at", lang, when=result["next_opening"]) if result.get("next_opening") else ""


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def handoff_text(result: dict, lang: str) -> str:
    """A live hand-off (their place in the queue), or nobody available: the email asked for, or the follow-up."""
    if result.get("status") != "offline":
        return t.phrase("handoff", lang, position=result.get("queue_position", 1))
    away = t.phrase("offline_closed" if result.get("next_opening") else "offline_busy", lang)
    if result.get("needs_email"):
        return _joined(away, back_at(result, lang), t.phrase("offline_ask_email", lang))
    key = "offline_already" if result.get("already_filed") else "offline_filed"
    return _joined(away, back_at(result, lang), t.phrase(key, lang, ticket=result["ticket"], email=result["email"]))


def ticket_text(result: dict, email: str, lang: str) -> str:
    if result.get("status") == "already_open":
        return _joined(t.phrase("ticket_already", lang, ticket=result["ticket"], email=result.get("email") or email),
                       t.phrase("anything_else", lang))
    return _joined(t.phrase("ticket_done", lang, ticket=result["ticket"], email=email), back_at(result, lang),
                   t.phrase("anything_else", lang))


def refund_text(result: dict, lang: str) -> str:
    if result.get("status") == "pending_approval" and result.get("offline"):
        return _joined(t.phrase("refund_pending_offline", lang, amount=t.money(result["amount"], result["currency"], lang),
                                ticket=result["ticket"], email=result.get("email", "")), back_at(result, lang))
    if result.get("status") == "pending_approval":
        return t.phrase("refund_pending", lang, amount=t.money(result["amount"], result["currency"], lang),
                        ticket=result.get("ticket", ""), position=result.get("queue_position", 1))
    key = "refund_already" if result.get("already_done") else "refund_done"
    return (t.phrase(key, lang, amount=t.money(result["amount"], result["currency"], lang),
                     order=result.get("order_id", ""), timing=result.get("timing", ""))
            + " " + t.phrase("anything_else", lang))


def faq_text(result: dict, question: str, lang: str) -> str:
    hits = result.get("results") or []
    if not hits:
        return t.phrase("faq_none", lang)
    answer = hits[0]["answer"].strip()
    steps = bool(re.search(r"^\s*(-|\d+\.)\s", answer, re.MULTILINE))
    outro = t.phrase("faq_steps_outro" if steps else "faq_outro", lang)
    return f"{t.phrase('faq_intro', lang)}\n\n{answer}\n\n{outro}"


def extractive_summary(prompt: str) -> str:
    """A deterministic running summary: orders, actions and the customer's latest concerns, from a transcript."""
    orders = sorted(set(re.findall(r"ORD-\d{5}", prompt)))
    previous = re.search(r"<previous_summary>\n(.*?)\n</previous_summary>", prompt, re.DOTALL)
    lines = re.findall(r"^Customer: (.*)$", prompt, re.MULTILINE)
    actions = re.findall(r"^\[tool (\w+) (.*)\]$", prompt, re.MULTILINE)
    parts = []
    if previous:
        parts.append(previous.group(1).strip())
    if lines:
        parts.append("The customer said: " + " / ".join(line[:120] for line in lines[-4:]))
    if actions:
        parts.append("Tools used: " + "; ".join(f"{name} {args[:80]}" for name, args in actions[-6:]))
    if orders:
        parts.append("Orders mentioned: " + ", ".join(orders) + ".")
    summary = "\n".join(parts)
    return summary[-2500:]
