"""A backend on our model seam (assistant.llm.base) that plays a model from a script, with hooks to act at an exact
moment of its stream (a person taking over while it writes, between two tools, between two model calls)."""

from assistant.llm import FinalMessage, TextDelta, ToolUseStarted, Usage

from .small_model import NEUTRAL


class ScriptedModel:
    """Answers each call with the next script entry: (text, tool_use blocks, hook run before the final event).
    `calls` counts the calls made; the small model's calls (`complete`) are answered neutral."""

    name = "claude"
    model = "scripted"

    def __init__(self, *script):
        self.script = list(script)
        self.calls = 0

    async def stream(self, request):
        text, tool_uses, hook = self.script[self.calls]
        self.calls += 1
        for word in text.split(" "):
            yield TextDelta(word + " ")
        for block in tool_uses:
            yield ToolUseStarted(block["name"])
        if hook:
            await hook()
        content = ([{"type": "text", "text": text}] if text else []) + list(tool_uses)
        yield FinalMessage(content, "tool_use" if tool_uses else "end_turn", Usage(10, 5), self.model)

    async def complete(self, *, system, prompt, max_tokens=300):
        return NEUTRAL
