"""The escalation engine: decides, after each customer message is scored, whether a person must step in.

Rules (thresholds in settings, the source document's numbers):
- an explicit request for a person, or a threat → escalate now, urgent;
- ESCALATION_NEGATIVE_STREAK (3) consecutive scores below ESCALATION_NEGATIVE_THRESHOLD (-0.5) → escalate, high;
- abuse: the first and second occurrences get the source's two warnings; the third
  (ABUSE_STRIKES_BEFORE_ESCALATION) escalates to a supervisor, high;
- ESCALATION_UNRESOLVED_EXCHANGES (3) customer exchanges on one issue without resolution (dissatisfied messages with
  nothing settled in between) → the assistant offers a person, once per issue; "settled" = a refund, ticket or
  hand-off was made, or the customer thanked us.
Every decision is stored as a ConversationEvent with its rule and reason, and shown to the agent. When nobody can
take a hand-off (conversations.handoff: closed, or no agent available), the customer is told so once, with when the
team is back, and their question becomes the conversation's one follow-up by email (or they are asked for an email).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from assistant import sentiment
from assistant.language import is_thanks
from assistant.sentiment import SentimentScore
from conversations import services as conversations
from conversations.handoff import open_handoff
from conversations.models import Conversation, ConversationEvent, Message
from tickets.models import Ticket


@dataclass(frozen=True)
class Decision:
    rule: str
    reason: str
    escalate: bool = False
    priority: str = ""
    say: str = ""


def decide(conversation: Conversation, history: list[Message], current: SentimentScore) -> Decision | None:
    """Pure rules over the conversation's scored customer messages (oldest first, the current one last)."""
    if "threat" in current.flags:
        return Decision("threat", current.reason or "threat", escalate=True, priority=Ticket.Priority.URGENT)
    if "wants_human" in current.flags:
        return Decision("asked_for_human", "The customer asked for a person", escalate=True,
                        priority=Ticket.Priority.URGENT)
    if current.abusive:
        strikes = conversation.abuse_strikes  # already counts this message
        if strikes >= settings.ABUSE_STRIKES_BEFORE_ESCALATION:
            return Decision("abuse", f"Abusive language ({strikes} occurrences)", escalate=True,
                            priority=Ticket.Priority.HIGH)
        return Decision("abuse_warning", f"Abusive language ({strikes} of {settings.ABUSE_STRIKES_BEFORE_ESCALATION})",
                        say="abuse_warning_1" if strikes <= 1 else "abuse_warning_2")
    streak = settings.ESCALATION_NEGATIVE_STREAK
    scores = [m.sentiment_score for m in history if m.sentiment_score is not None]
    if len(scores) >= streak and all(s < settings.ESCALATION_NEGATIVE_THRESHOLD for s in scores[-streak:]):
        return Decision("negative_streak", f"{streak} consecutive messages below {settings.ESCALATION_NEGATIVE_THRESHOLD}",
                        escalate=True, priority=Ticket.Priority.HIGH)
    # Counted over the whole history first (no query): a later starting point can only count fewer, so the stored
    # resolutions and offers are read only when that count reaches the threshold.
    threshold = settings.ESCALATION_UNRESOLVED_EXCHANGES
    if _dissatisfied_since(history, 0) >= threshold and unresolved_exchanges(conversation, history) >= threshold:
        return Decision("unresolved", f"{settings.ESCALATION_UNRESOLVED_EXCHANGES} exchanges without resolution",
                        say="offer_human")
    return None


UNRESOLVED_BELOW = -0.1


def unresolved_exchanges(conversation: Conversation, history: list[Message]) -> int:
    """Dissatisfied customer messages (score below UNRESOLVED_BELOW) since the last resolution (a refund, ticket or
    hand-off made; thanks or a positive message) or the last offer of a person. A neutral new question is not an
    unresolved exchange: the rule is about one issue that keeps going wrong."""
    last_reset = 0
    for event in conversation.events.filter(
        kind=ConversationEvent.Kind.ESCALATION_DECISION, data__rule="unresolved"
    ).values_list("data", flat=True):
        last_reset = max(last_reset, event.get("seq", 0))
    last_reset = max([last_reset, *resolution_seqs(conversation)])
    return _dissatisfied_since(history, last_reset)


def _dissatisfied_since(history: list[Message], last_reset: int) -> int:
    """Dissatisfied messages after `last_reset` and after the last thanks or positive message."""
    count = 0
    for message in history:
        if message.seq <= last_reset:
            continue
        score = message.sentiment_score or 0
        if is_thanks(message.text) or score >= 0.3:
            count = 0
        elif score < UNRESOLVED_BELOW:
            count += 1
    return count


RESOLVING_TOOLS = {"process_refund", "create_ticket", "escalate_to_human"}


def resolution_seqs(conversation: Conversation) -> list[int]:
    """Seqs of tool results that settled something: a refund (made or already made), a ticket, a hand-off."""
    seqs = []
    calls = {}
    for message in conversation.messages.filter(role__in=[Message.Role.ASSISTANT, Message.Role.TOOL]).order_by("seq"):
        for block in message.content or []:
            if block.get("type") == "tool_use":
                calls[block["id"]] = block["name"]
            elif block.get("type") == "tool_result" and not block.get("is_error"):
                if calls.get(block.get("tool_use_id")) in RESOLVING_TOOLS:
                    seqs.append(message.seq)
    return seqs


WARNINGS = {
    "abuse_warning_1": gettext_noop("I understand your frustration. I'm here to help, but I ask that you remain "
                                    "respectful."),
    "abuse_warning_2": gettext_noop("I want to help you, but I can't continue if the tone remains inappropriate. "
                                    "Would you like to speak with a supervisor?"),
    "offer_human": gettext_noop("I haven't been able to solve this yet. Would you like me to connect you with a "
                                "person from our team?"),
    "escalated": gettext_noop("I'm connecting you with a member of our team; they'll see our whole conversation. "
                              "You're number {position} in the queue."),
    "escalated_supervisor": gettext_noop("I'm passing this conversation to a supervisor. You're number {position} in "
                                         "the queue."),
    "offline_closed": gettext_noop("Our team isn't here right now: they're back {when}."),
    "offline_busy": gettext_noop("Nobody from our team is free to join the chat right now."),
    "offline_ask_email": gettext_noop("Please give me your email address: I'll pass your question on to them and "
                                      "they'll answer you by email."),
    "offline_filed": gettext_noop("I've passed your question on to them as request {ticket}; they'll answer you by "
                                  "email at {email}."),
}


def wording(key: str, language: str, **values) -> str:
    with override(language):
        return _(WARNINGS[key]).format(**values)


@dataclass(frozen=True)
class Applied:
    decision: Decision
    say: str = ""


def after_turn(conversation_id, message_id: int, score: SentimentScore, *, seq: int | None = None,
               store_score: bool = False) -> Applied | None:
    """Store the decision for the scored message and carry it out (strike, warning, hand-off). `seq`: the message's
    (read if not given); `store_score`: store the score on the message first (sentiment.store_score), in the same
    transaction."""
    with transaction.atomic():
        if store_score:
            sentiment.store_score(message_id, score)
        if score.abusive:
            Conversation.objects.filter(pk=conversation_id).update(abuse_strikes=F("abuse_strikes") + 1)
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if seq is None:
            seq = Message.objects.values_list("seq", flat=True).get(pk=message_id)
        history = list(conversation.messages.filter(role=Message.Role.CUSTOMER, seq__lte=seq)
                       .only("seq", "text", "sentiment_score").order_by("seq"))
        decision = decide(conversation, history, score)
        if decision is None:
            return None
        if decision.escalate and conversation.status in (Conversation.Status.AGENT, Conversation.Status.CLOSED):
            return None
        conversations.log_event(conversation.pk, ConversationEvent.Kind.ESCALATION_DECISION, "system",
                                decision.reason, rule=decision.rule, priority=decision.priority, seq=seq,
                                score=score.score)
        if score.abusive and not decision.escalate:
            conversations.log_event(conversation.pk, ConversationEvent.Kind.ABUSE_WARNING, "assistant", decision.reason)
        if not decision.escalate:
            return Applied(decision, say=wording(decision.say, conversation.language))
        already_waiting = conversation.status == Conversation.Status.WAITING
        handoff = open_handoff(
            conversation, subject=decision.reason, reason=decision.reason, priority=decision.priority,
            actor="system",
        )
        if handoff.offline:
            return Applied(decision, say=offline_wording(handoff, conversation.language))
        if already_waiting:
            return Applied(decision)
        key = "escalated_supervisor" if decision.rule == "abuse" else "escalated"
        return Applied(decision, say=wording(key, conversation.language, position=handoff.position))


def offline_wording(handoff, language: str) -> str:
    """What the customer is told when nobody could take the hand-off: that nobody is there (and when the team is
    back), and either the follow-up filed for them or the request for their email. Said once: a later hand-off that
    reuses the follow-up says nothing more."""
    if not handoff.created:
        return ""
    when = handoff.when(language)
    away = wording("offline_closed", language, when=when) if when else wording("offline_busy", language)
    if handoff.needs_email:
        return f"{away} {wording('offline_ask_email', language)}"
    return f"{away} {wording('offline_filed', language, ticket=handoff.ticket.number, email=handoff.email)}"
