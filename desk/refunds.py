"""A person decides a refund that waited for approval, and the loop closes: one service for every button.

`decide_refund` is what the ticket's page (Approve / Decline) and the Refunds list's actions call. In one
transaction: the money moves (or not) through orders.services, exactly once; the approval ticket is solved with a
note naming the decision and who made it; the customer's chat, if it is still open, gets a message in its language
from the person who decided, with a card (and goes back to the assistant if it was only waiting for this
decision); the customer is emailed. Of two people deciding at once, one decides: the other's whole transaction is
refused by the refund's claim, so there is one decision, one chat message, one email.

Locks are taken in the order refund, order (orders.services), conversation, ticket: the assistant's refund tool
locks the order before the conversation, and take_over the conversation before the ticket.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from conversations import services as conversations
from conversations.models import Conversation, ConversationEvent, Message
from helpdesk.emails import canonical_email_or_blank
from helpdesk.money import format_money
from helpdesk.outbox import queue_email
from helpdesk.realtime import broadcast_on_commit, conversation_group
from helpdesk.statuses import Actor
from orders import services as orders
from orders.exceptions import RefundNotAllowed
from orders.models import Refund
from orders.policy import REFUND_TIMING
from tickets import services as tickets
from tickets.links import ticket_url
from tickets.models import Ticket

from .permissions import may_decide_refunds
from .takeover import agent_name

OPEN_TICKET_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)


def money(refund: Refund) -> str:
    """The refund's amount in the active language ("€39.98", "39,98 €"): how notes and chat messages state it."""
    return format_money(refund.amount, refund.currency)


@transaction.atomic
def decide_refund(*, refund: Refund, user, approve: bool, note: str = "") -> Refund:
    """Approve (the money moves now) or decline (`note`: the reason, required, told to the customer) `refund`, and
    tell everyone: the approval ticket(s), the customer's open chat, the customer's email.

    RefundNotAllowed (nothing changed) when `user` may not decide refunds, when it is already decided, when the
    approver is the person who asked for it, when a decline has no reason, or when the policy no longer allows it.
    """
    if not may_decide_refunds(user):
        raise RefundNotAllowed("Only staff allowed to change refunds can approve or decline one.",
                               code="not_allowed")
    if approve:
        decided = orders.approve_refund(refund=refund, user=user, note=note)
    else:
        decided = orders.decline_refund(refund=refund, user=user, reason=note)
    decided = Refund.objects.select_related("order__customer", "decided_by").get(pk=decided.pk)
    conversation = (Conversation.objects.select_for_update().filter(pk=decided.conversation_id).first()
                    if decided.conversation_id else None)
    ticket = _solve_approval_tickets(decided, user)
    if conversation is not None and conversation.status != Conversation.Status.CLOSED:
        _tell_the_chat(conversation, decided, user)
    _email_the_customer(decided, conversation, ticket)
    return decided


def _decision_note(refund: Refund, user) -> str:
    if refund.status == Refund.Status.COMPLETED:
        return _("Refund of %(amount)s on %(order)s approved by %(name)s") % {
            "amount": money(refund), "order": refund.order.number, "name": agent_name(user)}
    return _("Refund of %(amount)s on %(order)s declined by %(name)s: %(reason)s") % {
        "amount": money(refund), "order": refund.order.number, "name": agent_name(user),
        "reason": refund.decision_note}


def _solve_approval_tickets(refund: Refund, user) -> Ticket | None:
    """Solve the refund's open approval tickets, each with the decision as an internal note in its thread and as
    the note of its move to solved; returns the ticket the customer's email points to (the first one)."""
    note = _decision_note(refund, user)
    approval_tickets = list(refund.approval_tickets.order_by("created_at", "pk"))
    for ticket in approval_tickets:
        if ticket.status not in OPEN_TICKET_STATUSES:
            continue
        tickets.add_internal_note(ticket=ticket, agent=user, body=note)
        tickets.solve_ticket(ticket=ticket, actor=Actor.AGENT, user=user, note=note,
                             email_customer=False)  # the decision's own email says it
    return approval_tickets[0] if approval_tickets else None


def _tell_the_chat(conversation: Conversation, refund: Refund, user) -> Message:
    """The decision in the customer's open chat, in its language: a message from the person who decided, with a
    card. It is the agent's message (not a system line) so that the assistant, reading the conversation when it
    answers again, knows the refund was decided. A conversation that was only waiting for this decision goes back
    to the assistant (the customer no longer sees "Waiting for a member of our team…"); one an agent holds stays
    with them."""
    approved = refund.status == Refund.Status.COMPLETED
    with override(conversation.language):
        values = {"amount": money(refund), "order": refund.order.number}
        if approved:
            timing = _(REFUND_TIMING)
            text = _("Good news: I approved your refund of %(amount)s on order %(order)s. "
                     "You will receive it %(timing)s.") % {**values, "timing": timing}
            card = {"kind": "refund", "order_id": refund.order.number, "amount": f"{refund.amount:.2f}",
                    "currency": refund.currency, "timing": timing, "status": "completed"}
        else:
            text = _("I reviewed your refund request of %(amount)s on order %(order)s and could not approve it: "
                     "%(reason)s") % {**values, "reason": refund.decision_note}
            card = {"kind": "refund_declined", "order_id": refund.order.number, "amount": f"{refund.amount:.2f}",
                    "currency": refund.currency, "reason": refund.decision_note}
    message = conversations.record_message(conversation_id=conversation.pk, role=Message.Role.AGENT, text=text,
                                           author=user, action={"items": [card]})
    broadcast_on_commit(conversation_group(conversation.pk), {"type": "chat.stored", "seq": message.seq})
    if conversation.status == Conversation.Status.WAITING and tickets.open_handoff_for(conversation.pk) is None:
        conversation.refresh_from_db()
        # The decision answers what the customer said while waiting for it.
        conversations.set_status(conversation, Conversation.Status.BOT, actor=Actor.AGENT,
                                 kind=ConversationEvent.Kind.HANDED_BACK, user=user,
                                 detail="Refund approved" if approved else "Refund declined",
                                 answered_through_seq=conversation.last_seq)
    return message


def _email_the_customer(refund: Refund, conversation: Conversation | None, ticket: Ticket | None) -> None:
    """The decision by email to the order's customer, in the chat's language (else the customer's), once."""
    customer = refund.order.customer
    approved = refund.status == Refund.Status.COMPLETED
    # The ticket's link opens it for its own email only: offered when that is the address written to.
    link = (ticket_url(ticket) if ticket is not None and ticket.customer_email
            and canonical_email_or_blank(ticket.customer_email) == canonical_email_or_blank(customer.email) else "")
    # The templates state the amount with the `money` filter, in the email's language.
    context = {"refund": refund, "order": refund.order, "customer_name": customer.name, "ticket": ticket,
               "ticket_url": link}
    if not approved:
        context["reason"] = refund.decision_note
    queue_email(key=f"refund:{refund.pk}:decided", kind="refund_approved" if approved else "refund_declined",
                to=customer.email, language=conversation.language if conversation else customer.language,
                context=context)
