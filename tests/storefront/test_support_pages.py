"""The customer's support requests: the list, one request's thread with its reply box and rating, and the guest's
signed link from an email (valid, tampered, someone else's, expired)."""

import asyncio
import time
import zlib
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core import mail, signing
from django.urls import reverse

from assistant.tools import ToolContext, run_tool
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
from tickets import services
from tickets.links import link_token
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db

EMMA = "emma.martin@example.com"


@pytest.fixture
def emma_user(db):
    user = UserFactory(username=EMMA, first_name="Emma", email=EMMA)
    CustomerFactory(name="Emma Martin", email=EMMA, user=user)
    return user


@pytest.fixture
def as_emma(client, emma_user):
    client.force_login(emma_user)
    return client


def emmas_ticket(**fields) -> Ticket:
    return TicketFactory(customer_email=EMMA, customer_name="Emma", description="My headphones stopped working.",
                         **fields)


def page_of(ticket: Ticket) -> str:
    return reverse("storefront:support-request", args=[ticket.number])


def link_of(ticket: Ticket) -> str:
    return reverse("storefront:ticket-link", args=[link_token(ticket)])


def expired_link_of(ticket: Ticket) -> str:
    """A link signed longer ago than TICKET_LINK_MAX_AGE_DAYS."""
    signed_at = time.time() - (settings.TICKET_LINK_MAX_AGE_DAYS + 1) * 86400
    with mock.patch("django.core.signing.time.time", return_value=signed_at):
        return link_of(ticket)


def solved(ticket: Ticket) -> Ticket:
    return services.solve_ticket(ticket=ticket, actor="agent")


def agent_reply(ticket: Ticket, body: str, **agent_fields) -> TicketComment:
    return services.reply_to_customer(ticket=ticket, agent=AgentFactory(**agent_fields), body=body)


# --- the list -----------------------------------------------------------------------------------------------------
def test_the_list_shows_only_the_customers_own_tickets(as_emma):
    mine = emmas_ticket(subject="Headphones broken")
    TicketFactory(customer_email="someone.else@example.com", subject="Someone else's parcel")

    page = as_emma.get(reverse("storefront:support-requests")).content.decode()

    assert "Headphones broken" in page and mine.number in page
    assert "Someone else&#x27;s parcel" not in page and "Someone else's parcel" not in page


def test_the_list_puts_the_request_with_the_latest_activity_first(as_emma):
    older = emmas_ticket(subject="Older request")
    emmas_ticket(subject="Newer request")
    services.reply_as_customer(ticket=older, body="Any news?")

    page = as_emma.get(reverse("storefront:support-requests")).content.decode()

    assert page.index("Older request") < page.index("Newer request")


def test_the_list_says_each_status_in_the_customers_words(as_emma):
    emmas_ticket(subject="A new one")
    pending = emmas_ticket(subject="A pending one")
    agent_reply(pending, "Could you send a photo?")
    solved(emmas_ticket(subject="A solved one"))

    page = as_emma.get(reverse("storefront:support-requests")).content.decode()

    assert "We&#x27;re on it" in page and "Waiting for your reply" in page and "Solved" in page


def test_a_customer_without_requests_is_told_to_ask_in_the_chat(as_emma):
    response = as_emma.get(reverse("storefront:support-requests"))

    assert response.status_code == 200
    assert "You have no support requests yet" in response.content.decode()
    assert f'href="{reverse("storefront:chat")}"' in response.content.decode()


def test_a_staff_user_without_a_customer_record_gets_a_clear_page(client):
    client.force_login(StaffFactory())

    response = client.get(reverse("storefront:support-requests"))

    assert response.status_code == 200
    assert "your account is not a customer account" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(client, emma_user):
    ticket = emmas_ticket()

    for url in [reverse("storefront:support-requests"), page_of(ticket)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("storefront:login")) and "next=" in response.url


def test_the_header_links_my_support_requests_for_a_logged_in_customer_only(client, emma_user):
    link = f'href="{reverse("storefront:support-requests")}"'
    assert link not in client.get("/").content.decode()
    client.force_login(emma_user)
    assert link in client.get("/").content.decode()


# --- one request, as its logged-in owner --------------------------------------------------------------------------
def test_the_owner_reads_their_request_and_the_teams_replies(as_emma):
    ticket = emmas_ticket(subject="Headphones broken")
    agent_reply(ticket, "Sorry to hear that! Could you try another cable?", first_name="Sam")

    page = as_emma.get(page_of(ticket)).content.decode()

    assert ticket.number in page and "Headphones broken" in page
    assert "My headphones stopped working." in page
    assert "Could you try another cable?" in page and "<strong>Sam</strong>" in page
    assert "Waiting for your reply" in page


def test_another_customers_request_answers_exactly_like_an_unknown_number(as_emma):
    theirs = TicketFactory(customer_email="someone.else@example.com")

    other = as_emma.get(page_of(theirs))
    unknown = as_emma.get(reverse("storefront:support-request", args=["TCK-0000000"]))

    assert other.status_code == unknown.status_code == 404
    assert other.content == unknown.content


def test_a_staff_user_without_a_customer_record_cannot_open_a_request(client):
    client.force_login(StaffFactory())

    assert client.get(page_of(emmas_ticket())).status_code == 404


def test_internal_notes_never_appear_to_the_customer(as_emma):
    ticket = emmas_ticket()
    agent = AgentFactory()
    services.add_internal_note(ticket=ticket, agent=agent, body="Customer sounds like a serial refunder")
    services.reply_to_customer(ticket=ticket, agent=agent, body="We are looking into it.")

    for page in [as_emma.get(page_of(ticket)), as_emma.get(link_of(ticket))]:
        text = page.content.decode()
        assert "We are looking into it." in text and "serial refunder" not in text


def test_a_hand_off_shows_the_customers_first_message_and_not_the_teams_summary(as_emma):
    conversation = ConversationFactory(verified_email=EMMA)
    MessageFactory(conversation=conversation, seq=1, text="I need a person about my refund")
    ticket, _created = services.open_handoff(conversation_id=conversation.pk, subject="Wants a person",
                                             reason="asked for a human", priority=Ticket.Priority.HIGH,
                                             summary="Sentiment: worsening, last score -0.8", customer_email=EMMA)

    page = as_emma.get(page_of(ticket)).content.decode()

    assert "I need a person about my refund" in page and "Sentiment" not in page


def test_a_follow_up_from_the_chat_shows_the_customers_question_and_not_the_teams_description(as_emma):
    """The description is for the team (the assistant's note, the transcript's address in the desk); the customer
    reads what they asked."""
    conversation = ConversationFactory(verified_email=EMMA)
    MessageFactory(conversation=conversation, seq=1, text="Can my parcel be left with the neighbour at number 12?")
    MessageFactory(conversation=conversation, seq=3, text="yes please open a ticket")
    run_tool("create_ticket", {"subject": "Yes please open a ticket", "category": "shipping", "priority": "low",
                               "description": "Customer wants delivery instructions changed.",
                               "customer_email": EMMA},
             ToolContext(conversation_id=conversation.pk, language="en"))
    ticket = Ticket.objects.get()

    page = as_emma.get(page_of(ticket)).content.decode()

    assert "left with the neighbour at number 12?" in page
    assert "/admin/" not in page and "Assistant&#x27;s note" not in page and "delivery instructions" not in page


def test_a_hand_off_is_titled_with_the_customers_question_not_the_teams_subject(as_emma, agent_on_duty):
    conversation = ConversationFactory(verified_email=EMMA)
    MessageFactory(conversation=conversation, seq=1, text="Why was I charged twice for order ORD-12345?")
    MessageFactory(conversation=conversation, seq=3, text="I want to talk to a person")
    run_tool("escalate_to_human", {"reason": "Customer asked for a person", "priority": "normal",
                                   "conversation_summary": "Double charge"},
             ToolContext(conversation_id=conversation.pk, language="en"))
    ticket = Ticket.objects.get()
    assert ticket.kind == Ticket.Kind.HANDOFF and ticket.subject == "Customer asked for a person"

    listing = as_emma.get(reverse("storefront:support-requests")).content.decode()
    page = as_emma.get(page_of(ticket)).content.decode()

    for html in (listing, page):
        assert "Why was I charged twice for order ORD-12345?" in html and "Customer asked for a person" not in html


def test_an_agent_without_a_first_name_signs_as_the_team(as_emma):
    ticket = emmas_ticket()
    agent_reply(ticket, "Hello from the desk.", first_name="")

    assert "The ShopExpress team" in as_emma.get(page_of(ticket)).content.decode()


# --- replying -----------------------------------------------------------------------------------------------------
def test_a_reply_is_stored_and_reopens_a_solved_ticket_with_a_history_row_by_the_customer(as_emma):
    ticket = solved(emmas_ticket())

    response = as_emma.post(page_of(ticket), {"action": "reply", "body": "It broke again."}, follow=True)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.solved_at is None
    comment = ticket.comments.get()
    assert (comment.body, comment.author_kind, comment.public) == ("It broke again.", "customer", True)
    change = ticket.status_changes.last()
    assert (change.from_status, change.to_status, change.actor) == ("solved", "open", "customer")
    assert response.redirect_chain[0][0] == page_of(ticket)
    assert "Your request is open again" in response.content.decode()
    assert "It broke again." in response.content.decode()


def test_a_reply_reopens_a_closed_ticket_too(as_emma):
    ticket = services.move_ticket(ticket=emmas_ticket(), status=Ticket.Status.CLOSED, user=AgentFactory())

    as_emma.post(page_of(ticket), {"action": "reply", "body": "One more thing."})

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.comments.get().body == "One more thing."


def test_an_empty_reply_is_refused_with_a_message_and_nothing_is_stored(as_emma):
    ticket = solved(emmas_ticket())

    response = as_emma.post(page_of(ticket), {"action": "reply", "body": "   "})

    assert response.status_code == 400
    assert "Please write a message before sending." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and not ticket.comments.exists()


def test_a_reply_over_the_limit_is_refused_and_kept_in_the_box(as_emma):
    ticket = emmas_ticket()
    body = "x" * (services.MAX_COMMENT_CHARS + 1)

    response = as_emma.post(page_of(ticket), {"action": "reply", "body": body})

    assert response.status_code == 400
    assert "Please keep your message under 5,000 characters." in response.content.decode()
    assert body in response.content.decode() and not ticket.comments.exists()


def test_a_solved_request_says_that_answering_reopens_it(as_emma):
    open_page = as_emma.get(page_of(emmas_ticket())).content.decode()
    solved_page = as_emma.get(page_of(solved(emmas_ticket()))).content.decode()

    assert "Answering reopens your request." not in open_page
    assert "Answering reopens your request." in solved_page


def test_a_customer_reply_wakes_the_agents_queue_only_after_commit(client, django_capture_on_commit_callbacks):
    ticket = solved(TicketFactory(customer_email=EMMA))
    url = link_of(ticket)

    def reply_uncommitted():  # in the test's own thread, whose connection holds the test's transaction
        with django_capture_on_commit_callbacks() as callbacks:
            client.post(url, {"action": "reply", "body": "Still broken."})
        return callbacks

    async def listen_reply_commit():  # one event loop throughout: the Redis layer's channels belong to their loop
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(agents_queue_group(), channel)
        receiving = asyncio.ensure_future(layer.receive(channel))  # never cancelled: that would unsubscribe it
        callbacks = await sync_to_async(reply_uncommitted)()
        await asyncio.sleep(0.2)
        assert callbacks and not receiving.done()
        for callback in callbacks:
            await sync_to_async(callback)()
        return await asyncio.wait_for(receiving, 3)

    event = async_to_sync(listen_reply_commit)()

    assert event["type"] == "queue.changed"
    assert (event["change"], event["ticket"]) == ("customer_replied", ticket.number)


# --- rating -------------------------------------------------------------------------------------------------------
def test_a_solved_request_offers_the_rating_where_the_solved_email_points(as_emma):
    page = as_emma.get(page_of(solved(emmas_ticket()))).content.decode()

    assert 'id="rate"' in page and 'name="score"' in page


def test_an_open_request_offers_no_rating(as_emma):
    assert 'id="rate"' not in as_emma.get(page_of(emmas_ticket())).content.decode()


def test_the_rating_is_stored_and_shown(as_emma):
    ticket = solved(emmas_ticket())

    response = as_emma.post(page_of(ticket), {"action": "rate", "score": "4", "comment": "Quick and kind."},
                            follow=True)

    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (4, "Quick and kind.")
    page = response.content.decode()
    assert "You rated our help 4 out of 5." in page and "Quick and kind." in page
    assert response.redirect_chain[0][0] == page_of(ticket) + "#rate"


@pytest.mark.parametrize("score", ["0", "6", "three", ""])
def test_a_rating_outside_one_to_five_is_refused_and_nothing_is_stored(as_emma, score):
    ticket = solved(emmas_ticket())

    response = as_emma.post(page_of(ticket), {"action": "rate", "score": score})

    assert response.status_code == 400
    assert "Please choose a rating from 1 to 5." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.csat_score is None


def test_rating_a_request_that_is_open_again_is_refused_with_a_message(as_emma):
    ticket = emmas_ticket()

    response = as_emma.post(page_of(ticket), {"action": "rate", "score": "5"})

    assert response.status_code == 400
    assert "You can rate your request once it is solved." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.csat_score is None


# --- the guest's signed link --------------------------------------------------------------------------------------
def test_the_guest_link_opens_the_thread_without_logging_in(client):
    ticket = TicketFactory(customer_email="guest@example.com", subject="Where is my parcel?")

    response = client.get(link_of(ticket))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Where is my parcel?" in page and 'name="body"' in page


def test_a_guest_reply_through_the_link_is_stored(client):
    ticket = TicketFactory(customer_email="guest@example.com")
    url = link_of(ticket)

    response = client.post(url, {"action": "reply", "body": "Here is the photo."})

    assert response.status_code == 302 and response.url == url
    assert ticket.comments.get().body == "Here is the photo."


def test_a_tampered_token_shows_the_invalid_link_page_with_a_404(client):
    url = link_of(TicketFactory()).rstrip("/")[:-3] + "abc/"

    response = client.get(url)

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_a_token_for_one_ticket_edited_to_name_another_is_invalid(client):
    mine, theirs = TicketFactory(customer_email="a@example.com"), TicketFactory(customer_email="b@example.com")
    payload, signed_at, signature = link_token(mine).rsplit(":", 2)
    compressed = payload.startswith(".")  # signing compresses only when that makes the payload shorter
    data = signing.b64_decode(payload.removeprefix(".").encode())
    data = zlib.decompress(data) if compressed else data
    assert f'"t":{mine.pk},'.encode() in data
    edited = data.replace(f'"t":{mine.pk},'.encode(), f'"t":{theirs.pk},'.encode())
    token = signing.b64_encode(edited).decode() + f":{signed_at}:{signature}"

    response = client.get(reverse("storefront:ticket-link", args=[token]))

    assert response.status_code == 404 and "This link is not valid" in response.content.decode()
    assert theirs.subject not in response.content.decode()


def test_a_link_stops_working_once_the_tickets_email_changes(client):
    ticket = TicketFactory(customer_email="old@example.com")
    url = link_of(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(customer_email="new@example.com")

    response = client.get(url)

    assert response.status_code == 404 and ticket.subject not in response.content.decode()


def test_a_posted_reply_through_an_invalid_link_stores_nothing(client):
    ticket = TicketFactory()
    url = link_of(ticket).rstrip("/")[:-3] + "abc/"

    assert client.post(url, {"action": "reply", "body": "Hello"}).status_code == 404
    assert not ticket.comments.exists()


def test_an_expired_link_says_so_and_offers_a_new_one(client):
    ticket = TicketFactory(subject="Where is my parcel?")

    response = client.get(expired_link_of(ticket))

    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page and "Email me a new link" in page
    assert "Where is my parcel?" not in page


def test_a_reply_through_an_expired_link_is_not_stored(client):
    ticket = TicketFactory()

    client.post(expired_link_of(ticket), {"action": "reply", "body": "Hello"})

    assert not ticket.comments.exists()


def test_asking_for_a_new_link_emails_one_to_the_tickets_own_address_once(client,
                                                                          django_capture_on_commit_callbacks):
    ticket = TicketFactory(customer_email="guest@example.com", customer_name="Jo")
    url = expired_link_of(ticket)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"action": "resend", "email": "attacker@example.net"})
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, {"action": "resend", "email": "attacker@example.net"})

    assert first.status_code == second.status_code == 302 and first.url == second.url == url
    emails = OutboundEmail.objects.filter(kind="ticket_link")
    assert [email.to for email in emails] == ["guest@example.com"]
    assert [message.to for message in mail.outbox] == [["guest@example.com"]]
    fresh = mail.outbox[0].body.split(settings.PUBLIC_URL, 1)[1].split()[0]
    assert client.get(fresh).status_code == 200


def test_asking_for_a_new_link_answers_the_same_when_there_is_nothing_to_send(client):
    ticket = TicketFactory(customer_email="old@example.com")
    url = expired_link_of(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(customer_email="new@example.com")

    response = client.post(url, {"action": "resend"}, follow=True)

    assert response.status_code == 410 and "a new link is on its way" in response.content.decode()
    assert not OutboundEmail.objects.filter(kind="ticket_link").exists()


# --- language -----------------------------------------------------------------------------------------------------
def test_the_guest_page_speaks_french_when_the_ticket_is_french(client):
    ticket = TicketFactory(language="fr")

    response = client.get(link_of(ticket), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert '<html lang="fr">' in page and "Aller au contenu" in page
    assert response.headers["Content-Language"] == "fr"


def test_a_language_the_visitor_chose_wins_over_the_tickets(client):
    ticket = TicketFactory(language="fr")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(link_of(ticket)).content.decode()

    assert '<html lang="en">' in page and "Skip to content" in page


def test_the_logged_in_page_follows_the_browsers_language(as_emma):
    ticket = emmas_ticket(language="en")

    page = as_emma.get(page_of(ticket), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert '<html lang="fr">' in page
