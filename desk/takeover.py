"""A person takes a conversation over from the assistant, talks with the customer, then resolves, hands it back or
transfers it to another agent.

Taking over is one conditional UPDATE on the conversation row (status waiting/bot and nobody assigned, or already
this agent), so of two agents clicking at once exactly one wins; the other is told who has it. While an agent has
the conversation the assistant is silent; handing it back returns it to the assistant with the agent's messages in
the assistant's context.

Only the holder (the agent assigned while the status is agent) talks to the customer: messages, typing, resolve,
hand back and transfer all check it here, whatever the console shows. Any agent may add an internal note to the
conversation's ticket; notes travel on the agents' queue group only, never on the conversation's group that the
customer's sockets join.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from conversations import services as conversations
from conversations.exceptions import ConversationClosed
from conversations.models import Conversation, ConversationEvent, Message
from helpdesk.realtime import broadcast_on_commit, conversation_group
from helpdesk.statuses import Actor
from tickets import availability
from tickets import services as tickets
from tickets.exceptions import AlreadyTaken
from tickets.models import Ticket, TicketComment

from .exceptions import NoTicketForNote, TransferRefused
from .selectors import console_ticket


def agent_name(user) -> str:
    return user.first_name or user.get_username()


def _announce(conversation_id, event: str, user, text: str) -> Message:
    """A system line in the transcript (replayed like any message) telling everyone what happened."""
    message = conversations.record_message(
        conversation_id=conversation_id, role=Message.Role.SYSTEM, text=text,
        content=[{"type": "event", "event": event, "name": agent_name(user)}],
    )
    broadcast_on_commit(conversation_group(conversation_id), {"type": "chat.stored", "seq": message.seq})
    return message


@transaction.atomic
def take_over(*, conversation_id, agent) -> Conversation:
    """Assign the conversation to `agent` and silence the assistant. Raises AlreadyTaken if another agent has it."""
    now = timezone.now()
    before = Conversation.objects.select_for_update().get(pk=conversation_id)
    if before.status == Conversation.Status.AGENT and before.assigned_agent_id == agent.pk:
        return before
    claimed = Conversation.claim_transition(
        conversation_id, Conversation.Status.AGENT, actor=Actor.AGENT, user=agent,
        where=(Q(status__in=[Conversation.Status.WAITING, Conversation.Status.BOT])
               | Q(status=Conversation.Status.AGENT, assigned_agent=agent)),
        assigned_agent=agent,
    )
    conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
    if not claimed:
        if conversation.status == Conversation.Status.CLOSED:
            raise ConversationClosed("This conversation is already closed.")
        raise AlreadyTaken(f"{agent_name(conversation.assigned_agent)} has already taken this conversation.")
    first_join = conversation.agent_joined_at is None
    if first_join:
        conversation.agent_joined_at = now
        conversation.escalated_at = conversation.escalated_at or now
        conversation.save(update_fields=["agent_joined_at", "escalated_at"])
    tickets.take_ticket(ticket=_handoff_ticket(conversation), agent=agent)
    conversations.log_event(conversation.pk, ConversationEvent.Kind.AGENT_JOINED, "agent", user=agent)
    with override(conversation.language):
        text = _("%(name)s joined the conversation") % {"name": agent_name(agent)}
    _announce(conversation.pk, "agent.joined", agent, text)
    broadcast_on_commit(conversation_group(conversation.pk), {"type": "conversation.state",
                                                              "status": Conversation.Status.AGENT})
    return conversation


def _handoff_ticket(conversation: Conversation) -> Ticket:
    """The conversation's open hand-off, opened now if it has none (an agent took a chat over from the console,
    or the customer never asked for a person): every chat a person holds has one, for the queue, notes, SLA."""
    ticket = tickets.open_handoff_for(conversation.pk)
    if ticket is None:
        ticket, _created = tickets.open_handoff(
            conversation_id=conversation.pk, subject="Taken over by an agent", reason="An agent joined the chat",
            priority=Ticket.Priority.MEDIUM, summary="", customer_email=conversation.verified_email,
            language=conversation.language,
        )
    return ticket


def holds(conversation: Conversation, agent) -> bool:
    """Whether `agent` holds the conversation: it is with an agent, and that agent is them."""
    return bool(conversation.status == Conversation.Status.AGENT and agent is not None
                and conversation.assigned_agent_id == agent.pk)


def can_take_over(conversation: Conversation, agent) -> bool:
    """Whether take_over would give `agent` the conversation now (the console then offers Take over)."""
    return conversation.status in (Conversation.Status.WAITING, Conversation.Status.BOT) or holds(conversation, agent)


def typing_reaches_customer(*, conversation_id, agent) -> bool:
    """Whether `agent`'s typing may be shown to the customer: only the holder's. Anyone else's (a second agent in
    the composer of a stale page, anyone before taking over) is shown to nobody."""
    conversation = Conversation.objects.filter(pk=conversation_id).only("status", "assigned_agent_id").first()
    return conversation is not None and holds(conversation, agent)


def _check_holder(conversation: Conversation, agent) -> None:
    if conversation.status != Conversation.Status.AGENT or conversation.assigned_agent_id != agent.pk:
        holder = conversation.assigned_agent
        if conversation.status == Conversation.Status.AGENT and holder is not None:
            raise AlreadyTaken(f"{agent_name(holder)} has this conversation.")
        raise AlreadyTaken("Take the conversation over first.", code="not_taken")


@transaction.atomic
def send_agent_message(*, conversation_id, agent, text: str, client_id: str | None = None) -> Message:
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("assigned_agent").get(pk=conversation_id)
    _check_holder(conversation, agent)
    if client_id:
        existing = conversation.messages.filter(client_id=client_id).first()
        if existing:
            return existing
    message = conversations.record_message(conversation_id=conversation.pk, role=Message.Role.AGENT, text=text,
                                           author=agent)
    if client_id:
        Message.objects.filter(pk=message.pk).update(client_id=client_id)
    broadcast_on_commit(conversation_group(conversation.pk), {"type": "chat.stored", "seq": message.seq})
    return message


@transaction.atomic
def resolve(*, conversation_id, agent) -> Conversation:
    """Close the conversation and its ticket; the customer is asked for a rating."""
    conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
    _check_holder(conversation, agent)
    return conversations.close_conversation(conversation_id=conversation_id, actor="agent", user=agent)


@transaction.atomic
def hand_back(*, conversation_id, agent) -> Conversation:
    """Return the conversation to the assistant, which reads the agent's messages as part of its context."""
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("assigned_agent").get(pk=conversation_id)
    _check_holder(conversation, agent)
    ticket = tickets.open_handoff_for(conversation.pk)
    if ticket is not None:
        tickets.release_ticket(ticket=ticket, agent=agent)
    with override(conversation.language):
        text = _("%(name)s handed the conversation back to Alex, our assistant.") % {"name": agent_name(agent)}
    _announce(conversation.pk, "agent.left", agent, text)
    conversation.refresh_from_db()
    # What the customer said while the agent was there was answered by the agent.
    return conversations.set_status(conversation, Conversation.Status.BOT, actor="agent",
                                    kind=ConversationEvent.Kind.HANDED_BACK, user=agent,
                                    answered_through_seq=conversation.last_seq)


@transaction.atomic
def transfer(*, conversation_id, agent, to_id) -> Conversation:
    """The holder gives the conversation to another available support agent (`to_id`, a user id), in one
    transaction: the conversation's agent and its hand-off's assignee change, an AGENT_JOINED event records who
    transferred it to whom, and the customer is told who joined; after commit every socket of the conversation
    gets its new state (the new holder's console gets the composer) and the queue updates.

    Refused, with nothing changed: when `agent` does not hold it (AlreadyTaken), and with TransferRefused to
    themselves, to someone who is not a support agent, or to an agent who is away."""
    conversation = (Conversation.objects.select_for_update(of=("self",)).select_related("assigned_agent")
                    .get(pk=conversation_id))
    _check_holder(conversation, agent)
    target = _transfer_target(to_id, agent)
    Conversation.objects.filter(pk=conversation.pk).update(assigned_agent=target)
    conversation.assigned_agent = target
    ticket = _handoff_ticket(conversation)
    if ticket.assignee_id is None:
        tickets.take_ticket(ticket=ticket, agent=target)
    else:
        tickets.transfer_ticket(ticket=ticket, from_agent=agent, to_agent=target)
    conversations.log_event(conversation.pk, ConversationEvent.Kind.AGENT_JOINED, "agent",
                            f"{agent_name(agent)} transferred the conversation to {agent_name(target)}",
                            user=agent, transferred_to=target.pk)
    with override(conversation.language):
        text = _("%(name)s joined the conversation") % {"name": agent_name(target)}
    _announce(conversation.pk, "agent.joined", target, text)
    broadcast_on_commit(conversation_group(conversation.pk), {"type": "conversation.state",
                                                              "status": Conversation.Status.AGENT})
    return conversation


def _transfer_target(to_id, agent):
    if to_id == agent.pk:
        raise TransferRefused(_("You already have this conversation."), code="transfer_to_self")
    target = get_user_model().objects.filter(pk=to_id).first() if isinstance(to_id, int) else None
    if target is None or not availability.is_support_agent(target):
        raise TransferRefused(_("You can only transfer a conversation to a support agent."), code="not_an_agent")
    if not availability.available_agents().filter(pk=target.pk).exists():
        raise TransferRefused(_("%(name)s is away: choose an available agent.") % {"name": agent_name(target)},
                              code="agent_away")
    return target


def transfer_targets(agent) -> list[dict]:
    """Whom the holder can transfer to: the other available support agents, by name."""
    others = availability.available_agents().exclude(pk=agent.pk).order_by("first_name", "username")
    return [{"id": user.pk, "name": agent_name(user)} for user in others]


@transaction.atomic
def add_note(*, conversation_id, agent, body: str) -> TicketComment:
    """An internal note from the console, on the conversation's ticket (desk.selectors.console_ticket): any
    support agent may write one, holder or not. The consoles open on the conversation show it live (the queue
    group's "noted" change); the customer never sees it. Without a ticket (the assistant still has the chat and
    nobody asked for a person) NoTicketForNote: taking over opens the hand-off that notes go on."""
    ticket = console_ticket(conversation_id)
    if ticket is None:
        raise NoTicketForNote(_("This conversation has no ticket to add a note to yet: take it over to open one."))
    return tickets.add_internal_note(ticket=ticket, agent=agent, body=body)


# --- what staff do from the admin ---------------------------------------------------------------------------------

@transaction.atomic
def close_as_staff(*, conversation_id, user) -> Conversation:
    """Staff close a conversation from the admin, by the same rules as the console.

    While an agent holds it, only that agent may (it is the console's Resolve; anyone else gets AlreadyTaken
    naming the holder). Otherwise it closes as the customer's close does: its open hand-off is solved, the
    customer's chat is told and the queue updates, after commit.
    """
    conversation = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_id)
    if conversation.status == Conversation.Status.AGENT:
        return resolve(conversation_id=conversation_id, agent=user)
    return conversations.close_conversation(conversation_id=conversation_id, actor="agent", user=user)


# A hand-off whose conversation is in one of these is a customer waiting for, or talking with, a person.
_WITH_A_PERSON = (Conversation.Status.WAITING, Conversation.Status.AGENT)


def _locked_status(conversation_id) -> str | None:
    """The conversation's status, its row locked until commit so that the decision taken on it stands."""
    return (Conversation.objects.select_for_update().filter(pk=conversation_id)
            .values_list("status", flat=True).first())


@transaction.atomic
def solve_from_queue(*, ticket_id, user) -> Ticket:
    """Staff mark a ticket solved from the queue.

    A live hand-off ends its conversation (close_as_staff): solving only the ticket would leave the customer
    waiting for a person who will never come, and the queue would no longer show them. A follow-up, or a hand-off
    whose conversation is back with the assistant or closed, is solved alone. The conversation is locked before
    the ticket, in the same order as take_over, so the two cannot deadlock.
    """
    ticket = Ticket.objects.get(pk=ticket_id)
    if ticket.kind == Ticket.Kind.HANDOFF and ticket.conversation_id and ticket.is_open:
        status = _locked_status(ticket.conversation_id)
        if status in _WITH_A_PERSON:
            close_as_staff(conversation_id=ticket.conversation_id, user=user)
    return tickets.solve_ticket(ticket=ticket, actor=Actor.AGENT, user=user)


@transaction.atomic
def assign_from_queue(*, ticket_id, user) -> Ticket:
    """Staff take a ticket from the queue. A hand-off whose customer waits is taken over (the assistant falls
    silent and the customer is told who joined), as the console's Take over does; anything else is assigned."""
    ticket = Ticket.objects.get(pk=ticket_id)
    if ticket.kind == Ticket.Kind.HANDOFF and ticket.conversation_id and ticket.is_open:
        status = _locked_status(ticket.conversation_id)
        if status in _WITH_A_PERSON:
            take_over(conversation_id=ticket.conversation_id, agent=user)
            ticket.refresh_from_db()
            return ticket
    return tickets.take_ticket(ticket=ticket, agent=user)
