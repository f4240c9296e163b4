"""What conversations tell the content-gaps page (faq.gaps): the customer's question, in their own words, when the
knowledge base had no good answer, when the conversation ended unresolved, and when it became a follow-up ticket.

The question is read from the stored customer messages (conversations.questions), never from the model's search
keywords, so the admin sees what customers asked."""

from faq import gaps
from faq.models import UnansweredQuestion
from faq.search import rank

from .models import Conversation
from .questions import real_question


def _question(conversation: Conversation, fallback: str = "") -> str:
    return real_question(conversation).question or fallback


def _nearest(question: str, language: str):
    hits = rank(question, language=language, limit=1)
    return hits[0] if hits else None


def note_unanswered_search(conversation: Conversation, *, query: str, nearest=None) -> None:
    """The knowledge base had nothing at or above the relevance bar for what the customer asked (`nearest`: the
    entry the search came closest with, faq.search.Lookup)."""
    gaps.record_unanswered(_question(conversation, query), language=conversation.language,
                           source=UnansweredQuestion.Source.SEARCH, conversation_id=conversation.pk, nearest=nearest)


def withdraw_unanswered_search(conversation: Conversation) -> None:
    """A later search for the same customer question found an answer (the model tried other words): not a gap.
    Reads the customer's question only when the conversation has an open search gap (most never do)."""
    if not UnansweredQuestion.objects.filter(conversation_id=conversation.pk, source=UnansweredQuestion.Source.SEARCH,
                                             state=UnansweredQuestion.State.OPEN).exists():
        return
    question = _question(conversation)
    if question:
        gaps.withdraw(question, language=conversation.language, source=UnansweredQuestion.Source.SEARCH,
                      conversation_id=conversation.pk)


def note_unresolved(conversation: Conversation) -> None:
    """The conversation ended without an answer (handed to people and left before anyone took it)."""
    question = _question(conversation)
    if question:
        gaps.record_unanswered(question, language=conversation.language,
                               source=UnansweredQuestion.Source.UNRESOLVED, conversation_id=conversation.pk,
                               nearest=_nearest(question, conversation.language))


def note_follow_up(conversation: Conversation, *, ticket_number: str, question: str) -> None:
    """A follow-up ticket was filed for the customer's question: the team answers it by email, the FAQ did not."""
    if question:
        gaps.record_unanswered(question, language=conversation.language, source=UnansweredQuestion.Source.TICKET,
                               conversation_id=conversation.pk, ticket_number=ticket_number,
                               nearest=_nearest(question, conversation.language))
