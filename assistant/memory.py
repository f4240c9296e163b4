"""The model's context, rebuilt from stored messages, and condensation into a running summary.

Context: every message after `summary_through_seq`, mapped to the Messages API's alternating roles. Customer text is
wrapped in <customer_message> tags (data, not instructions); agent messages are shown to the model as what the
human agent said; consecutive same-role messages are merged, with tool_result blocks first in their user message.
A tool_use whose result was never stored (the process died mid-call) gets an is_error result, so the history stays
valid.

Condensation runs after a reply is sent, never before it: past MEMORY_MAX_TURNS customer turns or
MEMORY_MAX_CONTEXT_TOKENS estimated tokens, the oldest turns are folded into the conversation's summary, keeping
the last MEMORY_KEEP_RECENT_TURNS turns verbatim. The fold point is always the start of a customer turn whose
earlier tool calls all have their results before it, so a tool_use never leaves its tool_result behind.
"""

import html
import json
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

from conversations.models import Conversation, Message
from helpdesk.db import in_thread

from .llm.base import estimate_tokens
from .prompts import SUMMARY_SYSTEM, summary_prompt

CONTEXT_ROLES = (Message.Role.CUSTOMER, Message.Role.ASSISTANT, Message.Role.AGENT, Message.Role.TOOL)


# Anything a reader could take for "<": the character, its full-width and small forms, angle brackets, entities
# (decimal, hex, named, with or without ";") and escapes.
_TAG_OPENER = re.compile(r"<|＜|﹤|〈|〈|⟨|‹|&(?:lt|LT);?|&#0*60;?|&#[xX]0*3[cC];?|\\u003[cC]|\\x3[cC]")
_DELIMITER_NAME = "customermessage"


def _names_the_delimiter(window: str) -> bool:
    """Whether the text after an opener folds to customer_message: entities decoded, NFKC, invisible characters and
    marks dropped, case folded, then only letters kept ("< /CUSTOMER_message\n>", "</customer&#95;message>")."""
    folded = unicodedata.normalize("NFKC", html.unescape(window))
    letters = "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Mn", "Me"))
    letters = re.sub(r"[^a-z]", "", letters.casefold())
    return letters.startswith(_DELIMITER_NAME)


def neutralize_delimiters(text: str) -> str:
    """Escape the opener of every tag-like run naming customer_message, opening or closing, in any spelling."""
    pieces, cursor = [], 0
    for opener in _TAG_OPENER.finditer(text):
        if opener.start() < cursor or not _names_the_delimiter(text[opener.end():opener.end() + 80][:80]):
            continue
        escaped = "&amp;" + opener.group(0)[1:] if opener.group(0).startswith("&") else "&lt;"
        pieces += [text[cursor:opener.start()], escaped]
        cursor = opener.end()
    return "".join(pieces) + text[cursor:]


def wrap_customer_text(text: str) -> str:
    """Customer text inside <customer_message> tags that nothing in the text can close or reopen."""
    return f"<customer_message>\n{neutralize_delimiters(text)}\n</customer_message>"


def _blocks_for(message: Message) -> tuple[str, list[dict]]:
    if message.role == Message.Role.CUSTOMER:
        return "user", [{"type": "text", "text": wrap_customer_text(message.text or "(empty)")}]
    if message.role == Message.Role.AGENT:
        name = message.author.first_name if message.author_id and message.author else "an agent"
        return "assistant", [{"type": "text", "text": f"[Human agent {name}]: {message.text}"}]
    if message.role == Message.Role.TOOL:
        return "user", [dict(block) for block in message.content if block.get("type") == "tool_result"]
    blocks = [dict(b) for b in message.content if b.get("type") in ("text", "tool_use") and (b.get("type") != "text" or b.get("text"))]
    return "assistant", blocks


def build_messages(messages: list[Message]) -> list[dict]:
    """Messages API `messages` from stored messages (already filtered to the context window, ordered by seq)."""
    turns: list[dict] = []
    for message in messages:
        if message.role not in CONTEXT_ROLES:
            continue
        role, blocks = _blocks_for(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    turns = _repair_tool_pairs(turns)
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    return turns


def interrupted_result(tool_use_id: str) -> dict:
    """The tool_result of a call that did not run (the process died, or a person took the conversation first)."""
    return {"type": "tool_result", "tool_use_id": tool_use_id, "is_error": True,
            "content": json.dumps({"error": "interrupted", "message": "This action did not complete."})}


def _repair_tool_pairs(turns: list[dict]) -> list[dict]:
    """Each assistant tool_use answered in the next user turn, tool_results first; orphan results dropped."""
    repaired: list[dict] = []
    for turn in turns:
        previous = repaired[-1] if repaired else None
        if turn["role"] == "assistant":
            if previous and previous["role"] == "assistant":
                previous["content"].extend(turn["content"])
            else:
                repaired.append(turn)
            continue
        wanted = [b["id"] for b in previous["content"] if b.get("type") == "tool_use"] if previous and previous["role"] == "assistant" else []
        results = [b for b in turn["content"] if b.get("type") == "tool_result" and b.get("tool_use_id") in wanted]
        answered = {b["tool_use_id"] for b in results}
        others = [b for b in turn["content"] if b.get("type") != "tool_result"]
        content = results + [interrupted_result(i) for i in wanted if i not in answered] + others
        if not content:
            continue
        if previous and previous["role"] == "user":
            previous["content"].extend(content)
        else:
            repaired.append({"role": "user", "content": content})
    if repaired and repaired[-1]["role"] == "assistant":
        pending = [b["id"] for b in repaired[-1]["content"] if b.get("type") == "tool_use"]
        if pending:
            repaired.append({"role": "user", "content": [interrupted_result(i) for i in pending]})
    return repaired


def context_messages(conversation: Conversation) -> list[Message]:
    return list(
        conversation.messages.filter(seq__gt=conversation.summary_through_seq, role__in=CONTEXT_ROLES)
        .select_related("author")
        .order_by("seq")
    )


# --- condensation ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoldPlan:
    through_seq: int  # messages with seq <= this leave the context
    folded: list[Message]


def plan_fold(conversation: Conversation, messages: list[Message] | None = None) -> FoldPlan | None:
    """Which messages to fold into the summary now, or None when the context is within budget."""
    messages = messages if messages is not None else context_messages(conversation)
    turn_starts = [m.seq for m in messages if m.role == Message.Role.CUSTOMER]
    over_turns = len(turn_starts) > settings.MEMORY_MAX_TURNS
    over_tokens = estimate_tokens(build_messages(messages)) > settings.MEMORY_MAX_CONTEXT_TOKENS
    if not (over_turns or over_tokens) or len(turn_starts) <= settings.MEMORY_KEEP_RECENT_TURNS:
        return None
    keep_from = turn_starts[-settings.MEMORY_KEEP_RECENT_TURNS]
    # Move the fold point back until no tool call before it has its result after it.
    candidates = [seq for seq in turn_starts if seq <= keep_from]
    for start in reversed(candidates):
        if _pairs_closed_before(messages, start):
            folded = [m for m in messages if m.seq < start]
            if folded:
                return FoldPlan(through_seq=start - 1, folded=folded)
    return None


def _pairs_closed_before(messages: list[Message], boundary: int) -> bool:
    open_calls = set()
    for message in messages:
        if message.seq >= boundary:
            break
        for block in message.content or []:
            if block.get("type") == "tool_use":
                open_calls.add(block["id"])
            elif block.get("type") == "tool_result":
                open_calls.discard(block.get("tool_use_id"))
    return not open_calls


def transcript(messages: list[Message]) -> str:
    """Plain-text transcript for the summarizer (tool calls and results in short)."""
    lines = []
    for message in messages:
        if message.role == Message.Role.CUSTOMER:
            lines.append(f"Customer: {message.text}")
        elif message.role == Message.Role.AGENT:
            lines.append(f"Agent: {message.text}")
        elif message.role == Message.Role.ASSISTANT:
            if message.text:
                lines.append(f"Assistant: {message.text}")
            for block in message.content or []:
                if block.get("type") == "tool_use":
                    lines.append(f"[tool {block['name']} {json.dumps(block.get('input'), ensure_ascii=False)}]")
        elif message.role == Message.Role.TOOL:
            for block in message.content or []:
                if block.get("type") == "tool_result":
                    prefix = "error" if block.get("is_error") else "result"
                    lines.append(f"[{prefix} {str(block.get('content'))[:400]}]")
    return "\n".join(lines)


async def fold_if_needed(conversation_id, backend, *, conversation: Conversation | None = None,
                         messages: list[Message] | None = None) -> bool:
    """Fold old turns into the running summary when the context is over budget. Runs after the reply.

    `conversation`: the row as the turn holding the lease has it (only a fold moves its summary, and the fold's
    write is conditional on the summary it read), so only the messages are read; `messages`: its context messages,
    read after the reply was stored (then nothing is read here)."""
    def read() -> tuple[Conversation, list[Message]]:
        loaded = conversation or Conversation.objects.get(pk=conversation_id)
        return loaded, context_messages(loaded)

    if conversation is None or messages is None:
        conversation, messages = await in_thread(read)()  # one database hop after every turn, not two
    plan = plan_fold(conversation, messages)
    if plan is None:
        return False
    summary = await backend.complete(
        system=SUMMARY_SYSTEM, prompt=summary_prompt(conversation.summary, transcript(plan.folded)), max_tokens=400
    )
    # Conditional: if another fold got there first, keep its result.
    updated = await in_thread(Conversation.objects.filter(
        pk=conversation_id, summary_through_seq=conversation.summary_through_seq
    ).update)(summary=summary.strip()[:4000], summary_through_seq=plan.through_seq)
    return bool(updated)
