"""Where a turn's output goes: a TurnSink.

Live chats use ChannelLayerSink: every event goes to the conversation's group, so every tab, every process and
the agent console see it. Stored messages are announced by seq and loaded from the database by the consumers (the
channel layer is only a wake-up: a dropped event is recovered by replay). RecordingSink keeps events in memory for
the terminal chat and the tests.
"""

from typing import Protocol

from helpdesk.realtime import abroadcast, conversation_group

from .models import Message


class TurnSink(Protocol):
    async def delta(self, seq: int, text: str) -> None: ...
    async def tool_status(self, label: str) -> None: ...
    async def message(self, message: Message) -> None: ...
    async def action(self, message: Message) -> None: ...
    async def error(self, code: str, text: str) -> None: ...


class ChannelLayerSink:
    def __init__(self, conversation_id):
        self.group = conversation_group(conversation_id)

    async def delta(self, seq, text):
        await abroadcast(self.group, {"type": "chat.delta", "seq": seq, "text": text})

    async def tool_status(self, label):
        await abroadcast(self.group, {"type": "chat.tool_status", "label": label})

    async def message(self, message):
        await abroadcast(self.group, {"type": "chat.stored", "seq": message.seq})

    async def action(self, message):
        await abroadcast(self.group, {"type": "chat.stored", "seq": message.seq})

    async def error(self, code, text):
        await abroadcast(self.group, {"type": "chat.error", "code": code, "message": text})


class RecordingSink:
    """Keeps everything (tests, `manage.py chat`); optional callbacks print as it streams."""

    def __init__(self, on_delta=None, on_status=None):
        self.deltas: list[tuple[int, str]] = []
        self.statuses: list[str] = []
        self.messages: list[Message] = []
        self.actions: list[dict] = []
        self.errors: list[tuple[str, str]] = []
        self.on_delta = on_delta
        self.on_status = on_status

    async def delta(self, seq, text):
        self.deltas.append((seq, text))
        if self.on_delta:
            self.on_delta(text)

    async def tool_status(self, label):
        self.statuses.append(label)
        if self.on_status:
            self.on_status(label)

    async def message(self, message):
        self.messages.append(message)

    async def action(self, message):
        self.actions.extend(message.action.get("items", []))

    async def error(self, code, text):
        self.errors.append((code, text))

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages if m.text]
