"""Reads of the record of truth, for the sockets and pages that show a conversation."""

from django.contrib.auth import get_user_model

from .models import Conversation, Message


def messages_after(conversation_id, seq: int) -> list[Message]:
    """The conversation's stored messages above `seq`, in order, with their authors (what a socket replays).

    The authors are read by a second query only when some message has one (an agent's): every stored message
    wakes every socket of the conversation, and most have no author, so the join would cost each read for nothing."""
    messages = list(Message.objects.filter(conversation_id=conversation_id, seq__gt=seq).order_by("seq"))
    author_ids = {message.author_id for message in messages if message.author_id}
    if author_ids:
        authors = get_user_model().objects.in_bulk(author_ids)
        for message in messages:
            if message.author_id:
                message.author = authors.get(message.author_id)
    return messages


def conversation_by_id(conversation_id) -> Conversation | None:
    """The conversation as stored now, with the agent who holds it (or None if there is no such conversation)."""
    return Conversation.objects.select_related("assigned_agent").filter(pk=conversation_id).first()


def first_customer_text(conversation_id) -> str:
    """What the customer first wrote in the conversation (as stored, masked), or "" when they wrote nothing."""
    return (Message.objects.filter(conversation_id=conversation_id, role=Message.Role.CUSTOMER).exclude(text="")
            .order_by("seq").values_list("text", flat=True).first()) or ""
