"""Server → client frames of the customer and agent sockets, built from stored messages.

The same functions serve live delivery and replay after a reconnect, so a resumed client sees exactly what a
connected one saw. Message text reaches the page only as HTML from conversations.rendering (sanitized); customer text is sent
as text (the widget inserts it with textContent).
"""

from conversations.models import Message
from conversations.rendering import render_markdown


def author_name(message: Message) -> str:
    if message.author_id and message.author:
        return message.author.first_name or message.author.get_username()
    return ""


def sentiment_of(message: Message) -> dict | None:
    if message.sentiment_score is None:
        return None
    return {"score": message.sentiment_score, "flags": message.sentiment_flags, "reason": message.sentiment_reason}


def _event(message: Message) -> str:
    first = message.content[0] if message.content else {}
    return first.get("event", "") if first.get("type") == "event" else ""


def message_frames(message: Message, *, for_agent: bool = False) -> list[dict]:
    """The frames a stored message produces (none for internal ones)."""
    frames = []
    if message.role == Message.Role.CUSTOMER:
        frame = {"type": "customer.message", "seq": message.seq, "text": message.text, "client_id": message.client_id}
        if for_agent:
            frame["sentiment"] = sentiment_of(message)
        frames.append(frame)
    elif message.role == Message.Role.ASSISTANT and for_agent:
        tools = [{"name": b["name"], "input": b.get("input", {})} for b in message.content if b.get("type") == "tool_use"]
        if message.text or tools:
            frames.append({"type": "assistant.message", "seq": message.seq, "html": render_markdown(message.text),
                           "tools": tools})
    elif message.role == Message.Role.ASSISTANT and message.text:
        frame = {"type": "assistant.message", "seq": message.seq, "html": render_markdown(message.text)}
        if any(b.get("type") == "tool_use" for b in message.content):
            frame["continues"] = True  # words said before using a tool: more of this answer is coming
        frames.append(frame)
    elif message.role == Message.Role.AGENT:
        frames.append({"type": "agent.message", "seq": message.seq, "html": render_markdown(message.text),
                       "name": author_name(message)})
    elif message.role == Message.Role.SYSTEM and _event(message) == "agent.joined":
        frames.append({"type": "agent.joined", "seq": message.seq, "name": message.content[0].get("name", "")})
    elif message.role == Message.Role.SYSTEM and message.text:
        frames.append({"type": "notice", "seq": message.seq, "text": message.text})
    if message.action:
        for item in message.action.get("items", []):
            frames.append({"type": "action", "seq": message.seq, **item})
    if for_agent and message.role == Message.Role.TOOL:
        frames.append({"type": "tool.result", "seq": message.seq, "content": message.content})
    return frames
