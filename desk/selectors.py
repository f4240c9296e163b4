"""Reads for the desk: everything an agent needs to know about a conversation's customer, and a
ticket's page (its customer, thread, SLA, the moves it allows, its refund decision, its chat transcript)."""

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from conversations.cards import card_mark, card_text
from conversations.frames import message_frames
from conversations.models import Conversation, ConversationEvent
from orders.models import Customer, Order, Refund
from tickets import availability
from tickets.hours import describe_opening
from tickets.models import Ticket, TicketComment
from tickets.services import MANUAL_STATUSES
from tickets.sla import first_response_state

from .customers import customer_of
from .permissions import may_decide_refunds


def console_ticket(conversation_id) -> Ticket | None:
    """The ticket the console's side panel shows and its notes go on: the conversation's open live hand-off (the
    one the queue lists and takeover works), else its latest ticket of any kind (a solved hand-off, a follow-up).
    The one place that says which ticket, so the panel, the notes and the priority the console shows agree."""
    tickets = Ticket.objects.filter(conversation_id=conversation_id).select_related("refund", "assignee")
    open_handoff = (tickets.filter(kind=Ticket.Kind.HANDOFF)
                    .exclude(status__in=[Ticket.Status.SOLVED, Ticket.Status.CLOSED]).order_by("-created_at", "-pk")
                    .first())
    return open_handoff or tickets.order_by("-created_at", "-pk").first()


CONSOLE_NOTES = 100  # the latest ones; the ticket's page has them all


def console_notes(ticket: Ticket | None) -> list[TicketComment]:
    """The ticket's internal notes (agents only), oldest first."""
    if ticket is None:
        return []
    notes = ticket.comments.filter(public=False).select_related("author").order_by("-created_at", "-pk")
    return list(reversed(notes[:CONSOLE_NOTES]))


def note_author(note: TicketComment) -> str:
    return (note.author.first_name or note.author.get_username()) if note.author else _("Agent")


def console_ticket_frame(conversation_id) -> dict:
    """The `ticket` frame of the agent console: its ticket (number, page, kind, status, priority as the model's
    values; the page carries the labels) and that ticket's internal notes. Agents' sockets only: a note never
    travels to the customer's."""
    ticket = console_ticket(conversation_id)
    return {
        "type": "ticket",
        "ticket": None if ticket is None else {
            "number": ticket.number, "url": reverse("desk-ticket", args=[ticket.number]), "kind": ticket.kind,
            "status": ticket.status, "priority": ticket.priority, "reason": ticket.reason,
        },
        "notes": [{"id": note.pk, "author": note_author(note), "body": note.body, "at": note.created_at.isoformat()}
                  for note in console_notes(ticket)],
    }


def console_context(conversation: Conversation) -> dict:
    email = conversation.verified_email or (conversation.customer.email if conversation.customer else "")
    customer_filter = Q(customer=conversation.customer) if conversation.customer else Q(customer__email__iexact=email)
    orders = (
        Order.objects.filter(customer_filter).select_related("customer").prefetch_related("items__product")
        .order_by("-placed_at")[:10]
        if (conversation.customer or email) else []
    )
    # Only tickets whose email was checked: a guest may file one under anybody's address.
    tickets = (Ticket.objects.filter(customer_email__iexact=email, email_verified=True)
               .exclude(conversation=conversation)[:10] if email else [])
    ticket = console_ticket(conversation.pk)
    decisions = conversation.events.filter(
        kind__in=[ConversationEvent.Kind.ESCALATION_DECISION, ConversationEvent.Kind.ESCALATED,
                  ConversationEvent.Kind.ABUSE_WARNING, ConversationEvent.Kind.AGENT_JOINED,
                  ConversationEvent.Kind.HANDED_BACK, ConversationEvent.Kind.VERIFICATION_FAILED,
                  ConversationEvent.Kind.LIMIT_HIT, ConversationEvent.Kind.FAULT, ConversationEvent.Kind.CLOSED]
    ).select_related("actor_user")
    earlier = Conversation.objects.filter(
        Q(customer=conversation.customer) if conversation.customer else Q(verified_email__iexact=email)
    ).exclude(pk=conversation.pk).order_by("-started_at")[:5] if (conversation.customer or email) else []
    return {
        "email": email,
        "orders": orders,
        "earlier_tickets": tickets,
        "ticket": ticket,
        "notes": console_notes(ticket),
        # The labels the console's script shows for the values its frames carry (the models' own, translated).
        "status_labels": Conversation.Status.choices,
        "priority_labels": Ticket.Priority.choices,
        "kind_labels": Ticket.Kind.choices,
        "decisions": decisions,
        "earlier_conversations": earlier,
    }


# --- a ticket's page ----------------------------------------------------------------------------------------------

def ticket_by_number(number: str) -> Ticket | None:
    return (Ticket.objects.select_related("assignee", "conversation__customer", "conversation__assigned_agent",
                                          "refund__order__customer", "refund__decided_by")
            .filter(number=number).first())


@dataclass(frozen=True)
class TicketCustomer:
    name: str
    email: str
    verified: bool
    language: str
    customer: Customer | None  # the store's customer record, when the email is known to be theirs


def ticket_customer(ticket: Ticket) -> TicketCustomer:
    """Who the ticket is for. The store's customer record only when the email was checked (a guest may type
    anybody's address) or the chat was a logged-in customer's; the language is the chat's when there is one."""
    conversation = ticket.conversation
    customer = customer_of(ticket)  # the one lookup the desk's customer links use
    return TicketCustomer(
        name=ticket.customer_name or (customer.name if customer else ""),
        email=ticket.customer_email or (customer.email if customer else ""),
        verified=ticket.email_verified or bool(conversation is not None and conversation.customer_id),
        language=conversation.language if conversation is not None else ticket.language,
        customer=customer,
    )


@dataclass(frozen=True)
class TicketAction:
    """A button of the ticket's page: `action` is what the form posts (with `status` for a move)."""

    action: str
    label: str
    status: str = ""
    primary: bool = False


def _is_live_handoff(ticket: Ticket) -> bool:
    """A hand-off whose customer is waiting for, or talking with, a person in the chat right now."""
    conversation = ticket.conversation
    return bool(ticket.kind == Ticket.Kind.HANDOFF and ticket.is_open and conversation is not None
                and conversation.status in (Conversation.Status.WAITING, Conversation.Status.AGENT))


def ticket_actions(ticket: Ticket) -> list[TicketAction]:
    """The moves the page offers from the ticket's current status (and the only ones it accepts).

    Take: an open ticket nobody has (a waiting hand-off is taken over, as from the queue). Open, Pending, Closed:
    what the pipeline allows, except on a live hand-off (the chat decides those: its console, or Solve, which ends
    the chat). Solve: whenever the pipeline allows it."""
    actions = []
    live = _is_live_handoff(ticket)
    if ticket.is_open and ticket.assignee_id is None:
        waiting = live and ticket.conversation.status == Conversation.Status.WAITING
        actions.append(TicketAction("take", _("Take over the chat") if waiting else _("Take"), primary=True))
    if not live:
        labels = {Ticket.Status.OPEN: _("Reopen") if not ticket.is_open else _("Mark open"),
                  Ticket.Status.PENDING: _("Mark pending"), Ticket.Status.CLOSED: _("Close")}
        for status in MANUAL_STATUSES:
            if ticket.can_transition_to(status):
                actions.append(TicketAction("status", labels[status], status=status))
    if ticket.can_transition_to(Ticket.Status.SOLVED):
        actions.append(TicketAction("solve", _("Solve and end the chat") if live else _("Solve")))
    return actions


def action_allowed(ticket: Ticket, action: str, status: str = "") -> bool:
    """Whether the page offers this move now (a stale page's button for a move no longer allowed is refused)."""
    return any(offered.action == action and offered.status == (status if action == "status" else "")
               for offered in ticket_actions(ticket))


@dataclass(frozen=True)
class RefundDecision:
    refund: Refund
    pending: bool
    can_decide: bool  # `user` may approve or decline it now
    own: bool  # `user` asked for it (they may not approve it)


def refund_decision(ticket: Ticket, user) -> RefundDecision | None:
    refund = ticket.refund
    if refund is None:
        return None
    pending = refund.status == Refund.Status.PENDING_APPROVAL
    own = refund.requested_by_user_id is not None and refund.requested_by_user_id == user.pk
    return RefundDecision(refund=refund, pending=pending, can_decide=pending and may_decide_refunds(user), own=own)


TRANSCRIPT_MESSAGES = 300  # the latest ones; the console replays the whole conversation


@dataclass(frozen=True)
class TranscriptEntry:
    kind: str  # customer, assistant, agent, notice, action
    who: str
    created_at: object
    text: str = ""  # shown as text (escaped)
    html: str = ""  # sanitized by conversations.rendering
    tools: tuple = ()


def transcript(conversation: Conversation) -> list[TranscriptEntry]:
    """The chat as the agent's console shows it, from the same frames (conversations.frames): customer text as
    text, the assistant's and agents' as the sanitized HTML of conversations.rendering, system lines and cards."""
    messages = list(conversation.messages.select_related("author").order_by("-seq")[:TRANSCRIPT_MESSAGES])
    entries = []
    for message in reversed(messages):
        for frame in message_frames(message, for_agent=True):
            kind, at = frame["type"], message.created_at
            if kind == "customer.message":
                entries.append(TranscriptEntry("customer", _("Customer"), at, text=frame["text"]))
            elif kind == "assistant.message" and (frame["html"] or frame["tools"]):
                entries.append(TranscriptEntry("assistant", _("Alex (assistant)"), at,
                                               html=mark_safe(frame["html"]),  # sanitized by nh3
                                               tools=tuple(tool["name"] for tool in frame["tools"])))
            elif kind == "agent.message":
                entries.append(TranscriptEntry("agent", frame["name"] or _("Agent"), at,
                                               html=mark_safe(frame["html"])))  # sanitized by nh3
            elif kind == "agent.joined":
                entries.append(TranscriptEntry("notice", "", at, text=_("%(name)s joined the conversation") % {
                    "name": frame["name"]}))
            elif kind == "notice":
                entries.append(TranscriptEntry("notice", "", at, text=frame["text"]))
            elif kind == "action":
                card = {key: value for key, value in frame.items() if key not in ("type", "seq")}
                entries.append(TranscriptEntry("action", "", at, text=f"{card_mark(card)} {card_text(card)}"))
    return entries


@dataclass(frozen=True)
class StatusMove:
    created_at: object
    from_label: str
    to_label: str
    actor: str
    note: str


def status_history(ticket: Ticket) -> list[StatusMove]:
    """The ticket's moves; a note the services wrote (a gettext_noop msgid, stored in English) in the reader's
    language, a person's note as they wrote it."""
    labels = dict(Ticket.Status.choices)
    return [StatusMove(change.created_at, labels.get(change.from_status, change.from_status),
                       labels.get(change.to_status, change.to_status),
                       change.get_actor_display() + (f" ({change.actor_user.get_username()})" if change.actor_user else ""),
                       _(change.note) if change.note else "")
            for change in ticket.status_changes.select_related("actor_user")]


def ticket_page_context(ticket: Ticket, user, now) -> dict:
    conversation = ticket.conversation
    return {
        "ticket": ticket,
        "customer": ticket_customer(ticket),
        "sla": first_response_state(ticket, now),
        "thread": list(ticket.comments.select_related("author")),
        "actions": ticket_actions(ticket),
        "refund_decision": refund_decision(ticket, user),
        "conversation": conversation,
        "transcript": transcript(conversation) if conversation is not None else [],
        "transcript_cut": (conversation is not None and conversation.messages.count() > TRANSCRIPT_MESSAGES),
        "status_history": status_history(ticket),
    }


def staffing_panel(user, *, language: str) -> dict:
    """What the desk's header shows an agent: their own status, how many agents are available, and whether the
    business is closed (and until when, worded in `language`)."""
    staffed = availability.staffing()
    return {
        "status": availability.availability_of(user),
        "agents_available": staffed.agents_available,
        "open_now": staffed.open_now,
        "back": describe_opening(staffed.next_opening, language) if staffed.next_opening else "",
    }
