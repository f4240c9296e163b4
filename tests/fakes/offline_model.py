"""A responder for the fake Messages API that plays the model with the offline assistant's decisions.

With it, the Claude backend's whole path (SDK, streaming, cache breakpoints, retries, the small model's calls) runs
against behaviour we can predict, so the evaluation scenarios can run `--backend claude` in CI. The offline
assistant gets its facts from hints; here they are read back from the system prompt the backend sent.
"""

import json
import re

from assistant.llm.base import LLMRequest
from assistant.llm.offline import Dialogue, decide, extractive_summary
from assistant.sentiment import lexicon_score

from .messages_api import RecordedRequest, Reply, text, tool_use


def hints_from_system(system: str) -> dict:
    hints = {"language": "fr" if "Answer in French" in system else "en"}
    if match := re.search(r"logged in as (.+?) <([^>]+)>", system):
        hints["customer_first_name"] = match.group(1).split()[0]
        hints["verified_email"] = match.group(2)
    elif match := re.search(r"verified their identity as (\S+?)\.? in this conversation", system):
        hints["verified_email"] = match.group(1)
    if match := re.search(r"Orders verified in this conversation: (.+?)\.\n", system):
        hints["verified_orders"] = [number.strip() for number in match.group(1).split(",")]
    if match := re.search(r"customer support assistant of (.+?),", system):
        hints["store"] = match.group(1)
    if "the customer was asked for the email address the team should answer at" in system:
        hints["awaiting_email_for_team"] = True
    return hints


def _without_cache_control(messages: list[dict]) -> list[dict]:
    return json.loads(json.dumps(messages).replace(', "cache_control": {"type": "ephemeral"}', ""))


def offline_model(request: RecordedRequest) -> Reply:
    system = request.system_text
    messages = request.body["messages"]
    if system.startswith("You rate the sentiment"):
        score = lexicon_score(messages[-1]["content"] if isinstance(messages[-1]["content"], str)
                              else messages[-1]["content"][0]["text"])
        return Reply([text(json.dumps({"score": score.score, "abusive": score.abusive,
                                       "wants_human": "wants_human" in score.flags,
                                       "threat": "threat" in score.flags, "reason": score.reason}))])
    if system.startswith("You summarize customer support conversations"):
        prompt = messages[-1]["content"]
        return Reply([text(extractive_summary(prompt if isinstance(prompt, str) else prompt[0]["text"]))])
    step = decide(Dialogue(LLMRequest(system=[{"type": "text", "text": system}],
                                      messages=_without_cache_control(messages),
                                      tools=request.body.get("tools", []), hints=hints_from_system(system))))
    content = [text(step.text)] if step.text else []
    if step.tool:
        content.append(tool_use(*step.tool))
    return Reply(content or [text("…")])
