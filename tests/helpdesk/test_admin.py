"""The outbox in the admin: every email listed for reading (to whom, its status, attempts, last error), nothing
added, edited or deleted by hand, and "Send again now" for failed or waiting emails."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import OutboundEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def email(n=1, **fields) -> OutboundEmail:
    return OutboundEmail.objects.create(**{
        "key": f"ticket:{n}:opened", "kind": "ticket_opened", "to": f"customer{n}@example.com",
        "subject": f"[TCK-{n}] We have received your request", "text_body": "Hello", "html_body": "<p>Hello</p>",
        "next_attempt_at": timezone.now(), **fields})


def test_the_outbox_lists_each_email_with_its_status_attempts_and_last_error(admin_client):
    email(status=Status.FAILED, attempts=6, last_error="SMTPServerDisconnected: Connection unexpectedly closed")
    page = admin_client.get(reverse("admin:helpdesk_outboundemail_changelist")).content.decode()
    for shown in ("customer1@example.com", "ticket_opened", "Failed", "SMTPServerDisconnected"):
        assert shown in page
    assert ">6<" in page


def test_an_email_can_be_read_but_not_changed_added_or_deleted_in_the_admin(admin_client):
    row = email()
    change_url = reverse("admin:helpdesk_outboundemail_change", args=[row.pk])
    assert admin_client.get(change_url).status_code == 200
    admin_client.post(change_url, {"to": "attacker@example.com", "status": "sent"})
    assert OutboundEmail.objects.filter(pk=row.pk).values_list("to", "status").get() == (row.to, Status.QUEUED)
    assert admin_client.get(reverse("admin:helpdesk_outboundemail_add")).status_code == 403
    admin_client.post(reverse("admin:helpdesk_outboundemail_delete", args=[row.pk]), {"post": "yes"})
    assert OutboundEmail.objects.filter(pk=row.pk).exists()


def test_send_again_now_sends_a_failed_email_and_leaves_a_sent_one_alone(admin_client,
                                                                          django_capture_on_commit_callbacks):
    failed = email(1, status=Status.FAILED, attempts=6, last_error="TimeoutError: timed out")
    sent = email(2, status=Status.SENT, attempts=1, sent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:helpdesk_outboundemail_changelist"), {
            "action": "send_again_now", "_selected_action": [failed.pk, sent.pk]}, follow=True)
    assert [message.to for message in mail.outbox] == [[failed.to]]
    assert OutboundEmail.objects.get(pk=failed.pk).status == Status.SENT
    assert OutboundEmail.objects.get(pk=sent.pk).attempts == 1
    notices = [str(message) for message in response.context["messages"]]
    assert "1 email will be sent again now." in notices
    assert "1 email was left alone: it is sent or being sent." in notices
