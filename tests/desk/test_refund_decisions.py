"""A refund above the threshold is approved or declined from the desk, and the loop closes: the money (once), the
approval ticket, the customer's chat and their email. The ticket page and the Refunds list use the same service."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from assistant.tools import ToolContext, run_tool
from conversations.frames import message_frames
from conversations.models import Conversation, ConversationEvent, Message
from desk import takeover
from desk.refunds import decide_refund
from helpdesk.models import OutboundEmail
from helpdesk.realtime import conversation_group
from orders.exceptions import RefundNotAllowed
from orders.models import Order, Refund
from orders.services import request_refund
from tests.concurrency import at_once
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, OrderFactory
from tickets import services as tickets
from tickets.models import Ticket, TicketComment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("threshold")]


@pytest.fixture
def threshold(settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("200")


def refund_approver(**fields):
    agent = AgentFactory(**fields)
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["view_refund", "change_refund"]))
    return type(agent).objects.get(pk=agent.pk)  # permissions are cached per instance


@pytest.fixture
def sam(db):
    return refund_approver(username="sam", first_name="Sam")



@pytest.fixture
def emma(db):
    return CustomerFactory(name="Emma Martin", email="emma.martin@example.com", language="en")


def pending_approval(customer, *, language="en", total="1299.00"):
    """What the assistant leaves when a refund is above the threshold: the refund pending approval, its hand-off
    ticket, the conversation waiting for a person."""
    order = OrderFactory(number="ORD-66210", customer=customer, total=Decimal(total), currency=Order.Currency.EUR)
    conversation = ConversationFactory(customer=customer, verified_email=customer.email, language=language)
    context = ToolContext(conversation_id=conversation.pk, language=language)
    run_tool("lookup_order", {"order_id": order.number}, context)
    result = run_tool("process_refund", {"order_id": order.number, "reason": "defective"}, context)
    assert result.content["status"] == "pending_approval"
    return Refund.objects.get()


def ticket_of(refund) -> Ticket:
    return refund.approval_tickets.get()


def page_of(refund) -> str:
    return reverse("desk-ticket", args=[ticket_of(refund).number])


def decision_messages(conversation_id):
    return list(Message.objects.filter(conversation_id=conversation_id, role=Message.Role.AGENT,
                                       action__isnull=False))


def card_of(message) -> dict:
    [frame] = [frame for frame in message_frames(message) if frame["type"] == "action"]
    return {key: value for key, value in frame.items() if key not in ("type", "seq")}


# --- approved from the ticket page ------------------------------------------------------------------------------

def test_approving_from_the_ticket_page_moves_the_money_once_and_records_the_decision(desk, sam, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        response = desk.post(page_of(refund), {"action": "approve"})
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.COMPLETED and refund.decided_by == sam and refund.decided_at
    order = Order.objects.get()
    assert order.refunded_total == Decimal("1299.00") and order.status == Order.Status.REFUNDED
    again = desk.post(page_of(refund), {"action": "approve"})
    assert again.status_code == 400 and "already been decided" in again.content.decode()
    order.refresh_from_db()
    assert order.refunded_total == Decimal("1299.00")


def test_the_approval_ticket_is_solved_with_a_note_naming_the_approver(desk, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        desk.post(page_of(refund), {"action": "approve"})
    ticket = ticket_of(refund)
    assert ticket.status == Ticket.Status.SOLVED
    solved = ticket.status_changes.get(to_status=Ticket.Status.SOLVED)
    assert "approved by Sam" in solved.note and solved.actor_user.username == "sam"
    note = TicketComment.objects.get(ticket=ticket)
    assert not note.public and "approved by Sam" in note.body


def test_the_customers_chat_gets_a_message_and_a_refund_card_live(desk, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        desk.post(page_of(refund), {"action": "approve"})
    [message] = decision_messages(refund.conversation_id)
    assert "I approved your refund of €1,299.00 on order ORD-66210" in message.text
    assert message.author.username == "sam"
    assert card_of(message) == {"kind": "refund", "order_id": "ORD-66210", "amount": "1299.00", "currency": "EUR",
                                "timing": "within 5-7 business days, on your original payment method",
                                "status": "completed"}
    assert {"type": "chat.stored", "seq": message.seq} in broadcasts.to(conversation_group(refund.conversation_id))


def test_a_conversation_waiting_for_the_decision_goes_back_to_the_assistant(desk, emma, broadcasts):
    refund = pending_approval(emma)
    assert Conversation.objects.get().status == Conversation.Status.WAITING
    with broadcasts.run():
        desk.post(page_of(refund), {"action": "approve"})
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.BOT
    assert conversation.answered_through_seq == conversation.last_seq
    assert conversation.events.filter(kind=ConversationEvent.Kind.HANDED_BACK).exists()
    assert {"type": "conversation.state", "status": "bot"} in broadcasts.to(conversation_group(conversation.pk))


def test_the_customer_is_emailed_that_the_refund_is_approved(desk, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        desk.post(page_of(refund), {"action": "approve"})
    email = OutboundEmail.objects.get()
    assert (email.key, email.kind, email.to) == (f"refund:{refund.pk}:decided", "refund_approved", emma.email)
    [sent] = mail.outbox
    assert "ORD-66210" in sent.subject and "€1,299.00" in sent.subject and "€1,299.00" in sent.body


def test_the_email_is_in_the_language_of_the_chat(desk, broadcasts):
    lucas = CustomerFactory(name="Lucas Bernard", email="lucas.bernard@example.fr", language="en")
    refund = pending_approval(lucas, language="fr")
    with broadcasts.run():
        desk.post(page_of(refund), {"action": "approve"})
    email = OutboundEmail.objects.get()
    assert email.language == "fr" and "1\u202f299,00\u00a0€" in email.text_body


def test_the_chat_message_states_the_amount_in_the_chats_language(desk, broadcasts):
    lucas = CustomerFactory(name="Lucas Bernard", email="lucas.bernard@example.fr", language="en")
    refund = pending_approval(lucas, language="fr")
    with broadcasts.run():
        desk.post(page_of(refund), {"action": "approve"})
    [message] = decision_messages(refund.conversation_id)
    assert "1\u202f299,00\u00a0€" in message.text and "EUR" not in message.text


def test_the_assistant_answering_the_chat_again_reads_the_decision(sam, emma):
    from assistant import memory
    from conversations import services as conversations

    refund = pending_approval(emma)
    conversations.record_customer_message(conversation_id=refund.conversation_id, text="Any news?", client_id=None)
    decide_refund(refund=refund, user=sam, approve=False, note="The laptop was dropped.")
    conversations.record_customer_message(conversation_id=refund.conversation_id, text="Why?", client_id=None)
    conversation = Conversation.objects.get()
    context = str(memory.build_messages(memory.context_messages(conversation)))
    assert "[Human agent Sam]" in context and "The laptop was dropped." in context


def test_a_conversation_an_agent_holds_stays_with_them(client, emma, broadcasts):
    refund = pending_approval(emma)
    lea = refund_approver(username="lea", first_name="Léa")
    takeover.take_over(conversation_id=refund.conversation_id, agent=lea)
    sam = refund_approver(username="sam", first_name="Sam")
    with broadcasts.run():
        decide_refund(refund=refund, user=sam, approve=True)
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.AGENT and conversation.assigned_agent == lea
    assert len(decision_messages(conversation.pk)) == 1


def test_a_closed_conversation_gets_no_message_the_email_tells_the_customer(sam, emma, broadcasts):
    refund = pending_approval(emma)
    takeover.close_as_staff(conversation_id=refund.conversation_id, user=sam)
    with broadcasts.run():
        decide_refund(refund=refund, user=sam, approve=True)
    assert not decision_messages(refund.conversation_id)
    assert OutboundEmail.objects.filter(kind="refund_approved").count() == 1


# --- declined -----------------------------------------------------------------------------------------------------

def test_declining_with_a_reason_moves_no_money_and_tells_the_reason_everywhere(desk, sam, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        response = desk.post(page_of(refund), {"action": "decline", "reason": "The laptop was dropped."})
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DECLINED and refund.decided_by == sam
    assert refund.decision_note == "The laptop was dropped."
    assert Order.objects.get().refunded_total == 0
    [message] = decision_messages(refund.conversation_id)
    assert "could not approve it: The laptop was dropped." in message.text
    assert card_of(message) == {"kind": "refund_declined", "order_id": "ORD-66210", "amount": "1299.00",
                                "currency": "EUR", "reason": "The laptop was dropped."}
    ticket = ticket_of(refund)
    assert ticket.status == Ticket.Status.SOLVED
    assert "declined by Sam: The laptop was dropped." in ticket.status_changes.get(to_status="solved").note
    [sent] = mail.outbox
    assert OutboundEmail.objects.get().kind == "refund_declined" and "The laptop was dropped." in sent.body
    assert Conversation.objects.get().status == Conversation.Status.BOT


def test_declining_without_a_reason_is_refused_and_nothing_changes(desk, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        response = desk.post(page_of(refund), {"action": "decline", "reason": "  "})
    assert response.status_code == 400
    assert "needs a reason" in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL and refund.decided_by is None
    assert ticket_of(refund).status != Ticket.Status.SOLVED
    assert not decision_messages(refund.conversation_id) and not OutboundEmail.objects.exists()


def test_the_service_refuses_a_decline_without_a_reason(sam, emma):
    refund = pending_approval(emma)
    with pytest.raises(RefundNotAllowed) as error:
        decide_refund(refund=refund, user=sam, approve=False, note="")
    assert error.value.code == "reason_required"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL


# --- who decides, and only once -----------------------------------------------------------------------------------

def test_the_page_offers_the_decision_to_someone_allowed_to_decide(desk, emma):
    page = desk.get(page_of(pending_approval(emma))).content.decode()
    assert 'value="approve"' in page and 'value="decline"' in page and "Approve the refund of €1,299.00" in page


def test_an_agent_without_the_refund_permission_is_offered_no_decision_and_cannot_post_one(client, emma):
    refund = pending_approval(emma)
    client.force_login(AgentFactory(username="intern"))
    page = client.get(page_of(refund)).content.decode()
    assert 'value="approve"' not in page and "Waiting for a person allowed to decide refunds." in page
    response = client.post(page_of(refund), {"action": "approve"})
    assert response.status_code == 400
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL and Order.objects.get().refunded_total == 0


def test_the_person_who_asked_for_a_refund_cannot_approve_it(client, emma):
    sam = refund_approver(username="sam", first_name="Sam")
    order = OrderFactory(customer=emma, total=Decimal("1299.00"))
    refund = request_refund(order=order, reason="defective", amount=None, requested_by="agent",
                            idempotency_key="sam-asks", user=sam).refund
    conversation = ConversationFactory(customer=emma, status=Conversation.Status.WAITING)
    tickets.open_handoff(conversation_id=conversation.pk, subject="Approve", reason="above the threshold",
                         priority="high", summary="", refund=refund)
    client.force_login(sam)
    page = client.get(page_of(refund)).content.decode()
    assert 'value="approve"' not in page and "another person approves it" in page
    response = client.post(page_of(refund), {"action": "approve"})
    assert response.status_code == 400
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL and order.refunded_total == 0
    assert not OutboundEmail.objects.exists() and not decision_messages(conversation.pk)


def test_deciding_twice_decides_once(sam, emma, django_capture_on_commit_callbacks):
    refund = pending_approval(emma)
    with django_capture_on_commit_callbacks(execute=True):
        decide_refund(refund=refund, user=sam, approve=True)
    with pytest.raises(RefundNotAllowed) as error:
        decide_refund(refund=refund, user=sam, approve=False, note="changed my mind")
    assert error.value.code == "already_decided"
    assert Refund.objects.get().status == Refund.Status.COMPLETED
    assert len(decision_messages(refund.conversation_id)) == 1 and OutboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_deciding_at_once_make_one_decision_one_message_and_one_email(emma):
    refund = pending_approval(emma)
    sam = refund_approver(username="sam", first_name="Sam")
    lea = refund_approver(username="lea", first_name="Léa")
    decisions = [(sam, True), (lea, False)]
    results = at_once(lambda decision: decide_refund(refund=Refund.objects.get(pk=refund.pk), user=decision[0],
                                                     approve=decision[1], note="" if decision[1] else "No."),
                      decisions, expected=RefundNotAllowed)
    refused = [outcome for _decision, outcome in results if isinstance(outcome, RefundNotAllowed)]
    assert len(refused) == 1 and refused[0].code == "already_decided"
    refund.refresh_from_db()
    assert refund.status in (Refund.Status.COMPLETED, Refund.Status.DECLINED)
    assert Order.objects.get().refunded_total == (refund.amount if refund.status == Refund.Status.COMPLETED else 0)
    assert len(decision_messages(refund.conversation_id)) == 1
    assert OutboundEmail.objects.filter(key=f"refund:{refund.pk}:decided").count() == 1
    assert ticket_of(refund).status_changes.filter(to_status=Ticket.Status.SOLVED).count() == 1


# --- the Refunds list ---------------------------------------------------------------------------------------------

def run_action(client, action: str, refunds, **extra):
    return client.post(reverse("admin:orders_refund_changelist"),
                       {"action": action, "_selected_action": [str(refund.pk) for refund in refunds], **extra})


def test_approving_from_the_refunds_list_closes_the_loop_as_the_page_does(desk, sam, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        response = run_action(desk, "approve", [refund], index=0)
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.COMPLETED and refund.decided_by == sam
    assert ticket_of(refund).status == Ticket.Status.SOLVED
    assert len(decision_messages(refund.conversation_id)) == 1
    assert OutboundEmail.objects.get().kind == "refund_approved"
    assert Conversation.objects.get().status == Conversation.Status.BOT


def test_declining_from_the_refunds_list_first_asks_for_the_reason(desk, emma):
    refund = pending_approval(emma)
    response = run_action(desk, "decline", [refund], index=0)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reason"' in page and 'name="post" value="yes"' in page
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL


def test_declining_from_the_refunds_list_with_the_reason_closes_the_loop(desk, emma, broadcasts):
    refund = pending_approval(emma)
    with broadcasts.run():
        response = run_action(desk, "decline", [refund], post="yes", reason="Outside the warranty.")
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.DECLINED and refund.decision_note == "Outside the warranty."
    assert card_of(decision_messages(refund.conversation_id)[0])["reason"] == "Outside the warranty."
    assert OutboundEmail.objects.get().kind == "refund_declined"
    assert ticket_of(refund).status == Ticket.Status.SOLVED


def test_declining_from_the_refunds_list_without_a_reason_asks_again_and_changes_nothing(desk, emma):
    refund = pending_approval(emma)
    response = run_action(desk, "decline", [refund], post="yes", reason="")
    assert response.status_code == 200 and "needs a reason" in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL and not OutboundEmail.objects.exists()


def test_the_refunds_list_links_each_refund_to_its_approval_ticket(desk, emma):
    refund = pending_approval(emma)
    page = desk.get(reverse("admin:orders_refund_changelist")).content.decode()
    assert f'href="{page_of(refund)}"' in page


def test_the_consoles_approval_link_opens_the_tickets_page(desk, emma):
    refund = pending_approval(emma)
    page = desk.get(reverse("agent-console", args=[refund.conversation_id])).content.decode()
    assert f'href="{page_of(refund)}"' in page


@pytest.mark.django_db(transaction=True)
def test_a_decision_and_a_take_over_at_the_same_moment_both_happen(emma):
    refund = pending_approval(emma)
    sam = refund_approver(username="sam", first_name="Sam")
    lea = refund_approver(username="lea", first_name="Léa")
    moves = {"decide": lambda: decide_refund(refund=Refund.objects.get(pk=refund.pk), user=sam, approve=True),
             "take": lambda: takeover.take_over(conversation_id=refund.conversation_id, agent=lea)}
    results = at_once(lambda name: moves[name](), list(moves), expected=RefundNotAllowed)
    assert not [outcome for _name, outcome in results if isinstance(outcome, Exception)]
    assert Refund.objects.get().status == Refund.Status.COMPLETED
    assert Conversation.objects.get().status in (Conversation.Status.AGENT, Conversation.Status.BOT)


def test_deciding_a_refund_asked_for_while_nobody_was_there_sends_the_decision_alone(emma):
    """With no agent available the approval ticket is a follow-up: solving it with the decision must not add a
    "your request is solved" email to the decision's own."""
    refund = pending_approval(emma)
    assert ticket_of(refund).kind == Ticket.Kind.FOLLOW_UP
    decide_refund(refund=refund, user=refund_approver(username="lea", first_name="Léa"), approve=True)
    assert ticket_of(refund).status == Ticket.Status.SOLVED
    assert set(OutboundEmail.objects.values_list("kind", flat=True)) == {"handoff_offline", "refund_approved"}
