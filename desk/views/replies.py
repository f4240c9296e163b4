"""The composers' tools (static/js/composer_tools.js), as JSON for support agents only (403 for anyone else):
the canned replies offered for a conversation or a ticket, rendered for it; and "Suggest a reply", a draft from the
assistant that goes back to the agent who asked and nowhere else (nothing stored, nothing broadcast).

The suggestion views are async: the model call waits on the event loop (daphne's) without holding a thread, and the
database work runs in the thread pool (helpdesk.db.in_thread)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from assistant.exceptions import SuggestionRefused
from assistant.suggestions import suggest_reply
from conversations.models import Conversation
from helpdesk.db import in_thread

from ..canned import Subject, facts_for_draft, offered_replies
from ..permissions import is_support_agent
from ..selectors import ticket_by_number

REFUSAL_STATUS = {"busy": 429, "too_many": 429, "timeout": 504, "unavailable": 503, "empty": 422}


def _forbidden() -> JsonResponse:
    return JsonResponse({"error": _("Only support agents can use the reply tools."), "code": "forbidden"}, status=403)


def _not_found() -> JsonResponse:
    return JsonResponse({"error": _("This conversation or ticket no longer exists."), "code": "not_found"},
                        status=404)


def _conversation_subject(pk) -> Subject | None:
    conversation = Conversation.objects.select_related("customer").filter(pk=pk).first()
    return Subject.of_conversation(conversation) if conversation is not None else None


def _ticket_subject(number) -> Subject | None:
    ticket = ticket_by_number(number)
    return Subject.of_ticket(ticket) if ticket is not None else None


def _canned(request, load_subject, key) -> JsonResponse:
    if not is_support_agent(request.user):
        return _forbidden()
    subject = load_subject(key)
    if subject is None:
        return _not_found()
    replies = offered_replies(subject, agent=request.user)
    return JsonResponse({"language": subject.language, "replies": [reply.as_json() for reply in replies]})


@never_cache
@require_GET
def canned_for_conversation(request, pk):
    return _canned(request, _conversation_subject, pk)


@never_cache
@require_GET
def canned_for_ticket(request, number):
    return _canned(request, _ticket_subject, number)


async def _suggest(request, load_subject, key) -> JsonResponse:
    user = await request.auser()
    if not await in_thread(is_support_agent)(user):
        return _forbidden()
    subject = await in_thread(load_subject)(key)
    if subject is None:
        return _not_found()
    facts = await in_thread(facts_for_draft)(subject, agent=user)
    try:
        draft = await suggest_reply(
            agent_id=user.pk, facts=facts,
            ticket_id=subject.ticket.pk if subject.ticket is not None else None,
            conversation_id=subject.conversation.pk if subject.ticket is None else None,
        )
    except SuggestionRefused as refusal:
        return JsonResponse({"error": refusal.message, "code": refusal.code},
                            status=REFUSAL_STATUS.get(refusal.code, 503))
    return JsonResponse({"draft": draft})


@never_cache
@require_POST
async def suggest_for_conversation(request, pk):
    return await _suggest(request, _conversation_subject, pk)


@never_cache
@require_POST
async def suggest_for_ticket(request, number):
    return await _suggest(request, _ticket_subject, number)
