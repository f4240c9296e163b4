"""Where a message being written goes, word by word, before and after it is stored: a TurnSink.

The sending side of what `conversations.consumers` receives (`chat.delta`, `chat.tool_status`, `chat.stored`).

Live chats use ChannelLayerSink: every event goes to the conversation's group, so every tab, every process and
the agent console see it. Stored messages are announced by seq and loaded from the database by the consumers (the
channel layer is only a wake-up: a dropped event is recovered by replay). RecordingSink keeps events in memory for
the terminal chat and the tests.
"""

import asyncio
from typing import Protocol

from helpdesk.realtime import abroadcast, conversation_group

from .models import Message


class TurnSink(Protocol):
    async def delta(self, seq: int, text: str) -> None: ...
    async def tool_status(self, label: str, seq: int | None = None) -> None: ...
    async def message(self, message: Message) -> None: ...
    async def action(self, message: Message) -> None: ...
    async def error(self, code: str, text: str) -> None: ...


class ChannelLayerSink:
    """Deltas are coalesced: the first goes out at once (the customer's first word is not delayed), later ones at
    most every DELTA_INTERVAL seconds. A model streams dozens of small deltas a second per conversation; sent one by
    one they would cost a channel-layer round trip each (a Redis publish with several processes). Every other event
    first flushes what is buffered, so the order stays the model's."""

    DELTA_INTERVAL = 0.05

    def __init__(self, conversation_id):
        self.group = conversation_group(conversation_id)
        self._buffer: list[str] = []
        self._buffer_seq: int | None = None
        self._last_sent = float("-inf")
        self._flusher: asyncio.Task | None = None
        self._sending = asyncio.Lock()

    async def delta(self, seq, text):
        if self._buffer and self._buffer_seq != seq:
            await self._flush()
        self._buffer_seq = seq
        self._buffer.append(text)
        wait = self._last_sent + self.DELTA_INTERVAL - asyncio.get_running_loop().time()
        if wait <= 0:
            await self._flush()
        elif self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_after(wait))

    async def _flush_after(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._flusher = None
        await self._flush()

    async def _flush(self) -> None:
        if self._flusher is not None and self._flusher is not asyncio.current_task():
            self._flusher.cancel()
            self._flusher = None
        if not self._buffer:
            return
        event = {"type": "chat.delta", "seq": self._buffer_seq, "text": "".join(self._buffer)}
        self._buffer = []
        self._last_sent = asyncio.get_running_loop().time()
        await self._send(event)

    async def _send(self, event: dict) -> None:
        async with self._sending:  # a flusher's send and the next event's must not overtake each other
            await abroadcast(self.group, event)

    async def _then_send(self, event: dict) -> None:
        await self._flush()
        await self._send(event)

    async def tool_status(self, label, seq=None):
        await self._then_send({"type": "chat.tool_status", "label": label, "seq": seq})

    async def message(self, message):
        await self._then_send({"type": "chat.stored", "seq": message.seq})

    async def action(self, message):
        await self._then_send({"type": "chat.stored", "seq": message.seq})

    async def error(self, code, text):
        await self._then_send({"type": "chat.error", "code": code, "message": text})


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

    async def tool_status(self, label, seq=None):
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
