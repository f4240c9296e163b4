"""The admin reads conversations and the queue and changes them only through actions that call the services.

Each test posts what a staff member (or someone with a stolen staff session) could post, and checks the row.
"""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, Message
from desk import takeover
from helpdesk.fingerprints import session_fingerprint
from helpdesk.realtime import agents_queue_group, conversation_group
from tests.factories import AgentFactory, ConversationFactory, TicketFactory, UserFactory
from tickets import services as tickets
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SESSION_KEY = "k3yofal1vebr0wsersess10n0000000x"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def agent(db):
    return AgentFactory(username="sam", first_name="Sam")


def waiting_handoff(**conversation_fields) -> Ticket:
    """A customer waiting for a person: the conversation in `waiting` with its open hand-off ticket."""
    conversation = ConversationFactory(status=Conversation.Status.WAITING, escalated_at=timezone.now(),
                                       **conversation_fields)
    ticket, _created = tickets.open_handoff(conversation_id=conversation.pk, subject="Wants a person",
                                            reason="asked for a human", priority=Ticket.Priority.HIGH, summary="")
    return ticket


def run_action(client, model: str, action: str, rows):
    return client.post(reverse(f"admin:{model}_changelist"),
                       {"action": action, "_selected_action": [str(row.pk) for row in rows], "index": 0})


def error_messages(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


# --- conversations --------------------------------------------------------------------------------------------

def conversation_post(conversation, **changes) -> dict:
    data = {
        "customer": "", "verified_email": conversation.verified_email, "status": conversation.status,
        "language": conversation.language, "backend": conversation.backend, "outcome": conversation.outcome,
        "assigned_agent": "", "csat_score": "", "csat_comment": "", "summary": "", "summary_through_seq": 0,
        "last_seq": conversation.last_seq, "answered_through_seq": conversation.answered_through_seq,
        "verified_order_numbers": "[]", "failed_verifications": conversation.failed_verifications,
        "abuse_strikes": conversation.abuse_strikes, "turn_lease_owner": conversation.turn_lease_owner,
        "reopened_from": "", "_save": "Save",
    }
    for prefix in ("events", "messages"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(changes)
    return data


@pytest.mark.parametrize("field, hostile", [
    ("status", "closed"),
    ("outcome", "resolved_by_assistant"),
    ("last_seq", "0"),
    ("answered_through_seq", "999"),
    ("failed_verifications", "0"),
    ("abuse_strikes", "0"),
    ("turn_lease_owner", "attacker"),
    ("verified_email", "attacker@example.com"),
    ("verified_order_numbers", '["ORD-78432"]'),
    ("session_key_hash", session_fingerprint("attackers-own-session")),
])
def test_posting_a_changed_workflow_field_of_a_conversation_changes_nothing(client, superuser, field, hostile):
    conversation = ConversationFactory(status=Conversation.Status.WAITING, last_seq=7, answered_through_seq=6,
                                       failed_verifications=4, abuse_strikes=2, turn_lease_owner="worker-1",
                                       verified_email="emma@example.com",
                                       session_key_hash=session_fingerprint(SESSION_KEY))
    before = Conversation.objects.filter(pk=conversation.pk).values().get()
    client.force_login(superuser)
    response = client.post(reverse("admin:conversations_conversation_change", args=[conversation.pk]),
                           conversation_post(conversation, **{field: hostile}))
    assert response.status_code == 403
    assert Conversation.objects.filter(pk=conversation.pk).values().get() == before


def test_the_assigned_agent_and_the_turn_lease_cannot_be_set_in_the_admin(client, superuser, agent):
    conversation = ConversationFactory(status=Conversation.Status.WAITING)
    client.force_login(superuser)
    client.post(reverse("admin:conversations_conversation_change", args=[conversation.pk]),
                conversation_post(conversation, assigned_agent=agent.pk, status="agent",
                                  turn_lease_until_0="2030-01-01", turn_lease_until_1="00:00:00"))
    conversation.refresh_from_db()
    assert conversation.assigned_agent is None and conversation.turn_lease_until is None
    assert conversation.status == Conversation.Status.WAITING


def test_the_conversation_page_offers_no_editable_field_and_no_save_button(client, superuser):
    conversation = ConversationFactory()
    client.force_login(superuser)
    page = client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk])).content.decode()
    assert 'name="status"' not in page and 'name="last_seq"' not in page and 'name="_save"' not in page


def test_the_session_fingerprint_and_the_address_hash_never_appear_in_the_admin(client, superuser):
    fingerprint = session_fingerprint(SESSION_KEY)
    conversation = ConversationFactory(session_key_hash=fingerprint, client_address_hash="ab" * 32)
    client.force_login(superuser)
    pages = [
        client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk])),
        client.get(reverse("admin:conversations_conversation_changelist")),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert fingerprint not in html and "ab" * 32 not in html and SESSION_KEY not in html
        assert "session_key_hash" not in html and "client_address_hash" not in html


def test_conversations_cannot_be_added_or_deleted_in_the_admin(client, superuser):
    conversation = ConversationFactory()
    client.force_login(superuser)
    assert client.get(reverse("admin:conversations_conversation_add")).status_code == 403
    assert client.post(reverse("admin:conversations_conversation_delete", args=[conversation.pk]),
                       {"post": "yes"}).status_code == 403
    assert Conversation.objects.filter(pk=conversation.pk).exists()


def test_the_close_action_closes_the_chat_solves_its_hand_off_and_tells_both_sides(client, agent, broadcasts):
    ticket = waiting_handoff()
    client.force_login(agent)
    with broadcasts.run():
        response = run_action(client, "conversations_conversation", "close", [ticket.conversation])
    assert response.status_code == 302 and not error_messages(response)
    ticket.refresh_from_db()
    assert ticket.conversation.status == Conversation.Status.CLOSED and ticket.status == Ticket.Status.SOLVED
    closed = {"type": "conversation.state", "status": "closed"}
    assert closed in broadcasts.to(conversation_group(ticket.conversation_id))
    assert [e["change"] for e in broadcasts.to(agents_queue_group())] == ["solved"]


def test_closing_a_conversation_another_agent_holds_is_refused_with_a_message(client, agent, broadcasts):
    ticket = waiting_handoff()
    lea = AgentFactory(username="lea", first_name="Léa")
    takeover.take_over(conversation_id=ticket.conversation_id, agent=lea)
    client.force_login(agent)
    with broadcasts.run():
        response = run_action(client, "conversations_conversation", "close", [ticket.conversation])
    assert response.status_code == 302
    assert any("Léa has this conversation" in m for m in error_messages(response))
    ticket.conversation.refresh_from_db()
    assert ticket.conversation.status == Conversation.Status.AGENT and ticket.conversation.assigned_agent == lea
    assert broadcasts == []


# --- the queue (tickets) --------------------------------------------------------------------------------------

def ticket_post(ticket, **changes) -> dict:
    data = {"subject": ticket.subject, "category": ticket.category, "priority": ticket.priority,
            "description": ticket.description, "_save": "Save"}
    data.update(changes)
    return data


@pytest.mark.parametrize("field, hostile", [
    ("status", "solved"),
    ("kind", "follow_up"),
    ("customer_email", "attacker@example.com"),
    ("email_verified", "on"),
    ("reason", "nothing"),
    ("solved_at_0", "2030-01-01"),
])
def test_posting_a_changed_workflow_field_of_a_ticket_changes_nothing(client, superuser, field, hostile):
    ticket = waiting_handoff()
    before = Ticket.objects.filter(pk=ticket.pk).values().get()
    client.force_login(superuser)
    response = client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                           ticket_post(ticket, **{field: hostile}))
    assert response.status_code == 302
    after = Ticket.objects.filter(pk=ticket.pk).values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items()
                                                                     if k != "updated_at"}


def test_the_assignee_and_the_conversation_of_a_ticket_cannot_be_set_in_the_admin(client, superuser, agent):
    ticket = waiting_handoff()
    other = ConversationFactory()
    client.force_login(superuser)
    client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                ticket_post(ticket, assignee=agent.pk, conversation=other.pk, refund="1"))
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.conversation_id != other.pk and ticket.refund is None


def test_a_priority_changed_in_the_admin_moves_the_ticket_in_the_live_queue(client, superuser, broadcasts):
    ticket = TicketFactory(priority=Ticket.Priority.LOW)
    client.force_login(superuser)
    with broadcasts.run():
        client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]),
                    ticket_post(ticket, priority="urgent", subject="Broken charger"))
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.priority_rank == 0 and ticket.subject == "Broken charger"
    assert [e["change"] for e in broadcasts.to(agents_queue_group())] == ["updated"]


def test_a_ticket_added_in_the_admin_is_a_new_follow_up_whatever_is_posted(client, superuser, broadcasts):
    conversation = ConversationFactory()
    client.force_login(superuser)
    with broadcasts.run():
        response = client.post(reverse("admin:tickets_ticket_add"), {
            "subject": "Call back", "category": "billing", "priority": "medium", "customer_email": "a@example.com",
            "description": "", "status": "solved", "kind": "handoff", "conversation": conversation.pk,
            "email_verified": "on", "_save": "Save"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.status, ticket.conversation, ticket.email_verified) == ("follow_up", "new", None, False)
    assert ticket.number and [e["change"] for e in broadcasts.to(agents_queue_group())] == ["created"]


def test_tickets_cannot_be_deleted_in_the_admin(client, superuser):
    ticket = waiting_handoff()
    client.force_login(superuser)
    assert client.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"}).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_solving_a_hand_off_in_the_queue_closes_its_chat_and_leaves_nobody_waiting(client, agent, broadcasts):
    ticket = waiting_handoff()
    client.force_login(agent)
    with broadcasts.run():
        response = run_action(client, "tickets_ticket", "mark_solved", [ticket])
    assert response.status_code == 302 and not error_messages(response)
    ticket.refresh_from_db()
    conversation = ticket.conversation
    assert ticket.status == Ticket.Status.SOLVED and conversation.status == Conversation.Status.CLOSED
    assert conversation.closed_at is not None and conversation.outcome == Conversation.Outcome.ABANDONED
    assert not Conversation.objects.filter(status=Conversation.Status.WAITING).exists()
    assert not Ticket.objects.exclude(status__in=[Ticket.Status.SOLVED, Ticket.Status.CLOSED]).exists()
    assert {"type": "conversation.state", "status": "closed"} in broadcasts.to(conversation_group(conversation.pk))
    assert [e["change"] for e in broadcasts.to(agents_queue_group())] == ["solved"]


def test_solving_a_hand_off_the_agent_holds_resolves_it_as_the_console_does(client, agent, broadcasts):
    ticket = waiting_handoff()
    takeover.take_over(conversation_id=ticket.conversation_id, agent=agent)
    client.force_login(agent)
    with broadcasts.run():
        run_action(client, "tickets_ticket", "mark_solved", [ticket])
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert ticket.conversation.status == Conversation.Status.CLOSED
    assert ticket.conversation.outcome == Conversation.Outcome.RESOLVED_BY_AGENT


def test_solving_a_hand_off_another_agent_holds_is_refused_and_changes_nothing(client, agent, broadcasts):
    ticket = waiting_handoff()
    lea = AgentFactory(username="lea", first_name="Léa")
    takeover.take_over(conversation_id=ticket.conversation_id, agent=lea)
    client.force_login(agent)
    with broadcasts.run():
        response = run_action(client, "tickets_ticket", "mark_solved", [ticket])
    assert response.status_code == 302
    assert any("Léa has this conversation" in m for m in error_messages(response))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.conversation.status == Conversation.Status.AGENT
    assert broadcasts == []


def test_solving_a_follow_up_in_the_queue_solves_it_alone(client, agent, broadcasts):
    conversation = ConversationFactory(status=Conversation.Status.BOT)
    ticket = TicketFactory(conversation=conversation)
    client.force_login(agent)
    with broadcasts.run():
        run_action(client, "tickets_ticket", "mark_solved", [ticket])
    ticket.refresh_from_db()
    conversation.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.solved_at is not None
    assert conversation.status == Conversation.Status.BOT
    assert [e["change"] for e in broadcasts.to(agents_queue_group())] == ["solved"]


def test_assigning_a_waiting_hand_off_to_me_takes_the_conversation_over(client, agent, broadcasts):
    ticket = waiting_handoff()
    client.force_login(agent)
    with broadcasts.run():
        run_action(client, "tickets_ticket", "assign_to_me", [ticket])
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.conversation.status == Conversation.Status.AGENT
    assert ticket.conversation.assigned_agent == agent
    assert Message.objects.get(conversation=ticket.conversation, role="system").text == "Sam joined the conversation"


def test_an_expired_lease_is_shown_but_still_not_editable(client, superuser):
    conversation = ConversationFactory(turn_lease_until=timezone.now() - timedelta(minutes=5),
                                       turn_lease_owner="worker-7")
    client.force_login(superuser)
    page = client.get(reverse("admin:conversations_conversation_change", args=[conversation.pk])).content.decode()
    assert "worker-7" in page and 'name="turn_lease_owner"' not in page
