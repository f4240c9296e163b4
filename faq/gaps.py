"""Content gaps: the customer questions the knowledge base did not answer, for the admins who write it.

Three sources feed it (UnansweredQuestion.Source): a search that found nothing at or above the relevance bar, a
conversation that ended unresolved, and a follow-up ticket. Each is stored with personal data masked, its analyzed
terms (for grouping by similarity) and the nearest entry search found, so the admin can see how close it came.
"""

import logging

from django.db import transaction

from helpdesk.pii import mask_pii

from . import text
from .models import FaqEntry, UnansweredQuestion

log = logging.getLogger(__name__)

MAX_TEXT = 500


def record_unanswered(question: str, *, language: str, source: str, conversation_id=None, ticket_number: str = "",
                      nearest=None) -> UnansweredQuestion | None:
    """Keep `question` for the content-gaps page. Once per conversation, source and wording (a customer who asks
    twice, or a model that searches twice, is one question). `nearest` is the best FaqHit below the bar, if any.

    A question already marked ignored is recorded as ignored (the admin decided it needs no article); nothing is
    recorded for text with no content words ("ok", "?")."""
    masked = " ".join(mask_pii(question or "").split())[:MAX_TEXT]
    language = language if language in text.LANGUAGES else "en"
    terms = " ".join(sorted(set(text.analyze(masked, language))))
    if not terms:
        return None
    if conversation_id is not None and UnansweredQuestion.objects.filter(
            conversation_id=conversation_id, source=source, terms=terms).exists():
        return None
    state = UnansweredQuestion.State.OPEN
    if UnansweredQuestion.objects.filter(terms=terms, language=language,
                                         state=UnansweredQuestion.State.IGNORED).exists():
        state = UnansweredQuestion.State.IGNORED
    nearest_entry = None
    if nearest is not None:
        nearest_entry = FaqEntry.objects.filter(pk=nearest.id).first()
    with transaction.atomic():
        return UnansweredQuestion.objects.create(
            text=masked, terms=terms[:500], language=language, source=source, conversation_id=conversation_id,
            ticket_number=ticket_number or "", nearest_entry=nearest_entry,
            nearest_score=nearest.score if nearest is not None else None, state=state)


def withdraw(question: str, *, language: str, source: str, conversation_id) -> int:
    """Forget the open question recorded for this conversation with this wording (it was answered after all)."""
    terms = " ".join(sorted(set(text.analyze(mask_pii(question or ""), language))))
    deleted, _ = UnansweredQuestion.objects.filter(
        conversation_id=conversation_id, source=source, terms=terms, state=UnansweredQuestion.State.OPEN).delete()
    return deleted
