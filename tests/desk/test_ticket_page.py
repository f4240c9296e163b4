"""A ticket's page in the desk: who may open it, what it shows, and every post going through a service."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, Message
from desk import takeover
from helpdesk.models import OutboundEmail
from helpdesk.realtime import agents_queue_group
from tests.factories import (
    AgentFactory,
    ConversationFactory,
    CustomerFactory,
    MessageFactory,
    StaffFactory,
    TicketFactory,
    UserFactory,
)
from tickets import services as tickets
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db




def page_of(ticket) -> str:
    return reverse("desk-ticket", args=[ticket.number])


def follow_up(**fields) -> Ticket:
    defaults = {"subject": "My speaker crackles", "description": "It crackles at high volume.",
                "customer_email": "emma.martin@example.com", "customer_name": "Emma Martin", "email_verified": True}
    ticket = TicketFactory(**{**defaults, **fields})
    ticket.first_response_due_at = ticket.created_at + timedelta(hours=8)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=ticket.first_response_due_at)
    return ticket


def live_handoff(status=Conversation.Status.WAITING, **conversation_fields) -> Ticket:
    conversation = ConversationFactory(status=status, escalated_at=timezone.now(), **conversation_fields)
    ticket, _created = tickets.open_handoff(conversation_id=conversation.pk, subject="Wants a person",
                                            reason="asked for a human", priority=Ticket.Priority.HIGH,
                                            summary="Problem: the speaker crackles", customer_email="emma@example.com")
    return ticket


# --- who may open it --------------------------------------------------------------------------------------------

def test_a_support_agent_opens_a_tickets_page(desk):
    ticket = follow_up()
    response = desk.get(page_of(ticket))
    assert response.status_code == 200 and ticket.number in response.content.decode()


def test_staff_without_the_ticket_permission_are_refused(client):
    client.force_login(StaffFactory())
    assert client.get(page_of(follow_up())).status_code == 403


def test_someone_not_logged_in_is_sent_to_the_admin_login(client):
    response = client.get(page_of(follow_up()))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_a_customer_account_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())
    response = client.get(page_of(follow_up()))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_a_post_from_staff_without_the_ticket_permission_changes_nothing(client):
    ticket = follow_up()
    client.force_login(StaffFactory())
    response = client.post(page_of(ticket), {"action": "note", "body": "sneaky"})
    assert response.status_code == 403 and not TicketComment.objects.exists()


def test_an_unknown_ticket_number_is_not_found(desk):
    assert desk.get(reverse("desk-ticket", args=["TCK-0000000"])).status_code == 404


def test_a_post_without_the_csrf_token_is_refused(sam):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    ticket = follow_up()
    assert client.post(page_of(ticket), {"action": "note", "body": "hi"}).status_code == 403
    assert not TicketComment.objects.exists()


# --- what it shows ----------------------------------------------------------------------------------------------

def test_the_page_shows_the_ticket_and_its_customer(desk, sam):
    CustomerFactory(name="Emma Martin", email="emma.martin@example.com", language="fr")
    ticket = follow_up(priority=Ticket.Priority.HIGH, language="fr", assignee=sam)
    page = desk.get(page_of(ticket)).content.decode()
    for shown in ["My speaker crackles", "It crackles at high volume.", "Follow-up", "New", "High", "Sam Rivera",
                  "Emma Martin", "emma.martin@example.com", "(verified)", "FR"]:
        assert shown in page, shown


def test_a_guests_typed_email_is_shown_as_not_verified(desk):
    page = desk.get(page_of(follow_up(email_verified=False))).content.decode()
    assert "(not verified)" in page


def test_a_hand_off_shows_its_reason_and_summary(desk):
    page = desk.get(page_of(live_handoff())).content.decode()
    assert "asked for a human" in page and "Problem: the speaker crackles" in page and "Live hand-off" in page


def test_the_thread_shows_replies_notes_and_customer_replies_apart_with_author_and_time(desk, sam):
    ticket = follow_up()
    tickets.reply_to_customer(ticket=ticket, agent=sam, body="Could you send a photo?")
    tickets.add_internal_note(ticket=ticket, agent=sam, body="Probably the amplifier.")
    tickets.reply_as_customer(ticket=ticket, body="Here it is.")
    page = desk.get(page_of(ticket)).content.decode()
    reply = page.index("Could you send a photo?")
    note = page.index("Probably the amplifier.")
    answer = page.index("Here it is.")
    assert reply < note < answer
    assert page.count('class="entry reply"') == 1 and page.count('class="entry note"') == 1
    assert page.count('class="entry from-customer"') == 1
    for label in ["Public reply", "Internal note", "Customer reply"]:
        assert label in page
    assert page.count("Sam Rivera") >= 2 and "<time datetime=" in page


def test_thread_text_is_escaped(desk, sam):
    ticket = follow_up()
    tickets.reply_as_customer(ticket=ticket, body="<img src=x onerror=alert(1)>")
    page = desk.get(page_of(ticket)).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_first_response_target_is_shown_with_the_time_left(desk):
    page = desk.get(page_of(follow_up())).content.decode()
    assert "7 h 59 min left" in page and 'class="sla sla-due"' in page


def test_a_ticket_answered_in_time_shows_its_target_met(desk, sam):
    ticket = follow_up()
    tickets.reply_to_customer(ticket=ticket, agent=sam, body="Hello")
    page = desk.get(page_of(ticket)).content.decode()
    assert 'class="sla sla-met"' in page


def test_the_page_links_to_the_change_form_and_the_chats_console(desk):
    ticket = live_handoff()
    page = desk.get(page_of(ticket)).content.decode()
    assert reverse("admin:tickets_ticket_change", args=[ticket.pk]) in page
    assert reverse("agent-console", args=[ticket.conversation_id]) in page


def test_the_page_runs_its_script_from_a_static_file_with_the_nonce(desk):
    response = desk.get(page_of(follow_up()))
    page = response.content.decode()
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'ticket.js" nonce="{nonce}"' in page
    assert "<script>" not in page and " style=" not in page


# --- the transcript -----------------------------------------------------------------------------------------------

def test_a_hand_off_shows_the_chat_transcript_with_who_said_what(desk, sam):
    ticket = live_handoff()
    conversation = ticket.conversation
    MessageFactory(conversation=conversation, seq=1, text="My speaker crackles")
    MessageFactory(conversation=conversation, seq=2, role=Message.Role.ASSISTANT, text="Let me **check** that.")
    MessageFactory(conversation=conversation, seq=3, role=Message.Role.AGENT, author=sam, text="Hi, Sam here.")
    page = desk.get(page_of(ticket)).content.decode()
    assert "Chat transcript" in page
    assert page.index("My speaker crackles") < page.index("<strong>check</strong>") < page.index("Hi, Sam here.")
    assert "Alex (assistant)" in page


def test_the_transcript_shows_the_customers_text_as_text_and_never_raw_html(desk):
    ticket = live_handoff()
    conversation = ticket.conversation
    MessageFactory(conversation=conversation, seq=1, text="<script>alert('x')</script>")
    MessageFactory(conversation=conversation, seq=2, role=Message.Role.ASSISTANT,
                   text='<img src=x onerror="alert(1)"> [a link](https://evil.example/steal)')
    page = desk.get(page_of(ticket)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "evil.example" not in page


def test_a_ticket_without_a_conversation_shows_no_transcript(desk):
    assert "Chat transcript" not in desk.get(page_of(follow_up())).content.decode()


# --- the composer -----------------------------------------------------------------------------------------------

def test_a_reply_is_a_public_comment_emailed_to_the_customer_and_the_ticket_waits_for_them(desk, sam, broadcasts):
    ticket = follow_up()
    with broadcasts.run():
        response = desk.post(page_of(ticket), {"action": "reply", "body": "Could you send a photo?"})
    assert response.status_code == 302 and response["Location"] == page_of(ticket)
    comment = TicketComment.objects.get()
    assert comment.public and comment.author == sam and comment.body == "Could you send a photo?"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING and ticket.assignee == sam and ticket.first_response_at
    assert [message.to for message in mail.outbox] == [["emma.martin@example.com"]]
    assert "Could you send a photo?" in mail.outbox[0].body
    assert ticket.status_changes.get().to_status == Ticket.Status.PENDING
    assert [event["change"] for event in broadcasts.to(agents_queue_group())] == ["replied"]


def test_the_page_after_a_reply_confirms_it(desk):
    ticket = follow_up()
    response = desk.post(page_of(ticket), {"action": "reply", "body": "Hello"}, follow=True)
    assert "Reply sent to the customer." in response.content.decode()


def test_an_internal_note_stays_with_the_team_and_is_not_emailed(desk, sam, broadcasts):
    ticket = follow_up()
    with broadcasts.run():
        desk.post(page_of(ticket), {"action": "note", "body": "Probably the amplifier."})
    comment = TicketComment.objects.get()
    assert not comment.public and comment.author == sam
    assert not mail.outbox and not OutboundEmail.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.first_response_at is None


def test_an_empty_reply_is_refused_on_the_page_and_nothing_is_written(desk):
    ticket = follow_up()
    response = desk.post(page_of(ticket), {"action": "reply", "body": "   "})
    assert response.status_code == 400
    assert "Please write a message before sending." in response.content.decode()
    assert not TicketComment.objects.exists() and not OutboundEmail.objects.exists()


def test_a_refused_reply_keeps_what_the_agent_typed(desk):
    ticket = follow_up()
    too_long = "word " * 1200
    response = desk.post(page_of(ticket), {"action": "reply", "body": too_long})
    assert response.status_code == 400 and too_long.strip() in response.content.decode()
    assert not TicketComment.objects.exists()


def test_an_unknown_action_is_refused_with_a_message(desk):
    ticket = follow_up()
    response = desk.post(page_of(ticket), {"action": "delete"})
    assert response.status_code == 400 and "no longer possible" in response.content.decode()


# --- status moves -------------------------------------------------------------------------------------------------

def offered(page: str) -> list[tuple[str, str]]:
    """(action, status) of the page's status buttons, in order."""
    import re

    forms = re.findall(r'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">'
                       r'<input type="hidden" name="action" value="(\w+)">'
                       r'(?:<input type="hidden" name="status" value="(\w+)">)?', page)
    return [(action, status) for action, status in forms]


def test_a_new_ticket_offers_take_open_pending_close_and_solve(desk):
    page = desk.get(page_of(follow_up())).content.decode()
    assert offered(page) == [("take", ""), ("status", "open"), ("status", "pending"), ("status", "closed"),
                             ("solve", "")]


def test_a_solved_ticket_offers_reopen_and_close_only(desk, sam):
    ticket = follow_up()
    tickets.solve_ticket(ticket=ticket, actor="agent", user=sam)
    page = desk.get(page_of(ticket)).content.decode()
    assert offered(page) == [("status", "open"), ("status", "closed")] and "Reopen" in page


@pytest.mark.parametrize("status", [Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.CLOSED])
def test_a_status_button_moves_the_ticket_with_a_history_row_naming_the_agent(desk, sam, status):
    ticket = follow_up()
    response = desk.post(page_of(ticket), {"action": "status", "status": status})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == status
    change = ticket.status_changes.get()
    assert (change.from_status, change.to_status, change.actor, change.actor_user) == ("new", status, "agent", sam)


def test_solve_moves_a_follow_up_to_solved_and_emails_the_customer(desk, sam, broadcasts):
    ticket = follow_up()
    with broadcasts.run():
        desk.post(page_of(ticket), {"action": "solve"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.status_changes.get().actor_user == sam
    assert len(mail.outbox) == 1


def test_a_move_the_ticket_no_longer_allows_is_refused_and_changes_nothing(desk, sam):
    ticket = follow_up()
    tickets.move_ticket(ticket=ticket, status=Ticket.Status.CLOSED, user=sam)
    response = desk.post(page_of(ticket), {"action": "status", "status": Ticket.Status.PENDING})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and ticket.status_changes.count() == 1


def test_a_status_the_page_never_sets_by_hand_is_refused(desk):
    ticket = follow_up()
    response = desk.post(page_of(ticket), {"action": "status", "status": Ticket.Status.NEW})
    assert response.status_code == 400
    assert not ticket.status_changes.exists()


def test_take_assigns_the_ticket_to_the_agent(desk, sam):
    ticket = follow_up()
    desk.post(page_of(ticket), {"action": "take"})
    ticket.refresh_from_db()
    assert ticket.assignee == sam and ticket.status == Ticket.Status.OPEN


def test_a_live_hand_off_offers_taking_the_chat_over_and_solving_only(desk):
    page = desk.get(page_of(live_handoff())).content.decode()
    assert offered(page) == [("take", ""), ("solve", "")] and "Take over the chat" in page


def test_taking_a_waiting_hand_off_from_its_page_takes_the_chat_over(desk, sam):
    ticket = live_handoff()
    desk.post(page_of(ticket), {"action": "take"})
    conversation = Conversation.objects.get(pk=ticket.conversation_id)
    assert conversation.status == Conversation.Status.AGENT and conversation.assigned_agent == sam
    assert Message.objects.filter(conversation=conversation, text="Sam joined the conversation").exists()


def test_solving_a_live_hand_off_from_its_page_closes_its_chat(desk, sam, broadcasts):
    ticket = live_handoff()
    takeover.take_over(conversation_id=ticket.conversation_id, agent=sam)
    with broadcasts.run():
        response = desk.post(page_of(ticket), {"action": "solve"})
    assert response.status_code == 302
    conversation = Conversation.objects.get(pk=ticket.conversation_id)
    ticket.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED and ticket.status == Ticket.Status.SOLVED
    assert Conversation.objects.filter(status=Conversation.Status.WAITING).count() == 0


def test_solving_a_hand_off_another_agent_holds_is_refused_on_the_page(desk):
    lea = AgentFactory(username="lea", first_name="Léa")
    ticket = live_handoff()
    takeover.take_over(conversation_id=ticket.conversation_id, agent=lea)
    response = desk.post(page_of(ticket), {"action": "solve"})
    assert response.status_code == 400 and "Léa has this conversation" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert Conversation.objects.get(pk=ticket.conversation_id).status == Conversation.Status.AGENT


def test_the_page_shows_the_customers_own_question(desk):
    ticket = TicketFactory(question="Can I change the colour of my order?", description="", reason="", summary="")
    page = desk.get(reverse("desk-ticket", args=[ticket.number])).content.decode()
    assert "Can I change the colour of my order?" in page and "No description." not in page
