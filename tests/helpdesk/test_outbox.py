"""The outbox: an email is queued with its change and sent after commit (never when the change rolls back), once,
off the caller's thread; failures are retried with growing delays, then given up; two senders never send the same
email; a sender that died leaves nothing behind; a database error never stops the worker."""

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.test import override_settings
from django.utils import timezone

from helpdesk import outbox
from helpdesk.db import in_thread
from helpdesk.models import OutboundEmail
from tests.concurrency import at_once
from tests.factories import TicketFactory
from tests.fakes.mailers import SCRIPTED, script
from tests.fakes.smtp_server import FakeSMTPServer

pytestmark = pytest.mark.django_db

Status = OutboundEmail.Status


@pytest.fixture(autouse=True)
def mail_script():
    """The scripted mail backend, reset; no retry timer of the worker outlives the test."""
    script.reset()
    with override_settings(MAILERS=SCRIPTED):
        yield script
    outbox._worker.cancel_timer()
    outbox.wait_until_idle()
    outbox._worker.cancel_timer()


@pytest.fixture
def in_background(settings):
    settings.OUTBOX_SEND_IN_BACKGROUND = True


def queue(key="ticket:1:opened", to="emma@example.com", language="en", ticket=None):
    ticket = ticket or TicketFactory(customer_email=to)
    return outbox.queue_email(key=key, kind="ticket_opened", to=to, language=language,
                              context={"ticket": ticket, "ticket_url": "https://shop.example/t/", "customer_name": ""})


def waiting(n=1, **fields) -> list[OutboundEmail]:
    """Emails already in the outbox, due now and not sent yet (their process never got to send them)."""
    return [OutboundEmail.objects.create(**{
        "key": f"waiting:{i}:{fields.get('status', 'q')}", "kind": "ticket_opened", "to": f"customer{i}@example.com",
        "subject": f"Email {i}", "text_body": "Hello", "next_attempt_at": timezone.now(), **fields}) for i in range(n)]


def eventually(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not become true in time"
        time.sleep(0.01)


def row(email) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=email.pk)


# --- queued with the change, sent after commit ---------------------------------------------------------------------
def test_an_email_is_sent_only_once_its_change_is_committed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue()
        assert mail.outbox == [] and row(email).status == Status.QUEUED
    assert [message.to for message in mail.outbox] == [["emma@example.com"]]
    sent = row(email)
    assert (sent.status, sent.attempts, sent.last_error) == (Status.SENT, 1, "") and sent.sent_at is not None


def test_an_email_queued_in_a_change_that_rolls_back_is_neither_stored_nor_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            queue()
            raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_queueing_the_same_announcement_twice_sends_one_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(key="ticket:7:opened")
        second = queue(key="ticket:7:opened")
    assert first.pk == second.pk
    assert len(mail.outbox) == 1 and OutboundEmail.objects.count() == 1


def test_an_email_without_an_address_is_not_queued():
    assert queue(to="") is None
    assert not OutboundEmail.objects.exists()


def test_an_email_in_a_language_the_store_does_not_speak_is_written_in_english():
    assert queue(language="de").language == "en"


def test_an_email_carries_a_text_body_an_html_alternative_and_says_it_was_sent_by_a_machine(
        django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        queue()
    message = mail.outbox[0]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Hello," in message.body
    assert [mimetype for _content, mimetype in message.alternatives] == ["text/html"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


# --- retries ---------------------------------------------------------------------------------------------------------
def test_a_failed_send_waits_for_its_retry_with_a_growing_delay(mail_script):
    [email] = waiting()
    mail_script.failures = 2
    start = timezone.now()
    assert outbox.send_due() == 0
    first = row(email)
    assert (first.status, first.attempts) == (Status.QUEUED, 1)
    assert first.last_error.startswith("ConnectionRefusedError")
    assert timedelta(seconds=29) < first.next_attempt_at - start < timedelta(seconds=40)
    assert outbox.send_due() == 0 and row(email).attempts == 1  # not due yet: nothing is tried

    assert outbox.send_due(now=first.next_attempt_at) == 0
    second = row(email)
    assert second.attempts == 2
    assert timedelta(seconds=119) < second.next_attempt_at - timezone.now() < timedelta(seconds=130)

    assert outbox.send_due(now=second.next_attempt_at) == 1
    assert (row(email).status, row(email).attempts, row(email).last_error) == (Status.SENT, 3, "")
    assert len(mail.outbox) == 1


@override_settings(EMAIL_MAX_ATTEMPTS=3)
def test_an_email_that_keeps_failing_is_given_up_after_email_max_attempts(mail_script):
    [email] = waiting()
    mail_script.failures = 100
    later = timezone.now() + timedelta(days=1)
    for _ in range(5):
        outbox.send_due(now=later)
    failed = row(email)
    assert (failed.status, failed.attempts) == (Status.FAILED, 3)
    assert "ConnectionRefusedError" in failed.last_error
    assert mail.outbox == []


def test_one_sweep_tries_each_email_once_even_when_its_retry_falls_within_the_sweep(mail_script):
    [email] = waiting()
    mail_script.failures = 100
    outbox.send_due(now=timezone.now() + timedelta(days=1))
    assert row(email).attempts == 1


def test_a_mail_backend_that_accepts_nothing_counts_as_a_failure(monkeypatch):
    [email] = waiting()
    monkeypatch.setattr("tests.fakes.mailers.ScriptedBackend.send_messages", lambda self, messages: 0)
    assert outbox.send_due() == 0
    assert (row(email).status, row(email).attempts) == (Status.QUEUED, 1)
    assert "sent nothing" in row(email).last_error


# --- claims: two senders, dead senders ---------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_senders_sweeping_at_once_send_every_email_exactly_once(mail_script):
    emails = waiting(6)
    mail_script.delay = 0.01  # each send takes a moment, so the two sweeps overlap
    outcomes = at_once(lambda _sender: outbox.send_due(), ["first", "second"], expected=OperationalError)
    assert sum(sent for _sender, sent in outcomes) == 6
    assert sorted(message.to[0] for message in mail.outbox) == sorted(email.to for email in emails)
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_an_email_another_sender_is_sending_is_left_to_it():
    [email] = waiting(status=Status.SENDING, attempts=1, claimed_until=timezone.now() + timedelta(seconds=60))
    assert outbox.send_due() == 0
    assert mail.outbox == [] and row(email).status == Status.SENDING


def test_an_email_whose_sender_died_while_sending_is_sent_by_the_next_sweep():
    [email] = waiting(status=Status.SENDING, attempts=1, claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.send_due() == 1
    assert (row(email).status, row(email).attempts) == (Status.SENT, 2)
    assert len(mail.outbox) == 1


@override_settings(EMAIL_MAX_ATTEMPTS=3)
def test_an_email_whose_sender_died_during_its_last_attempt_is_failed_not_sent_again():
    [email] = waiting(status=Status.SENDING, attempts=3, claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.send_due() == 0
    assert row(email).status == Status.FAILED and "stopped" in row(email).last_error
    assert mail.outbox == []


def test_a_claim_outlasts_a_slow_smtp_exchange():
    with override_settings(EMAIL_TIMEOUT_SECONDS=60):
        assert outbox.claim_seconds() >= 5 * 60
    with override_settings(EMAIL_TIMEOUT_SECONDS=5):
        assert outbox.claim_seconds() >= 60


def test_a_late_failure_of_a_sender_whose_claim_was_taken_over_leaves_the_other_senders_outcome(mail_script):
    [email] = waiting()
    claimed = outbox._claim_next(timezone.now())
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.SENT, sent_at=timezone.now(), claimed_until=None)
    mail_script.failures = 1
    assert outbox._send(claimed) == 0
    assert row(email).status == Status.SENT


# --- the worker thread ---------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_from_an_outbox_thread_and_the_commit_does_not_wait_for_the_mail_server(
        in_background, mail_script):
    mail_script.hold = threading.Event()  # the mail server hangs until released
    with transaction.atomic():
        email = queue()
    assert row(email).status in (Status.QUEUED, Status.SENDING)  # committed, returned, not sent yet
    mail_script.hold.set()
    outbox.wait_until_idle()
    assert row(email).status == Status.SENT
    assert len(mail_script.threads) == 1 and mail_script.threads[0].startswith("outbox")
    assert mail_script.threads[0] != threading.current_thread().name


@pytest.mark.django_db(transaction=True)
async def test_an_email_queued_from_async_code_is_sent_by_the_worker_not_the_event_loop(in_background, mail_script):
    def change():
        with transaction.atomic():
            return queue()

    email = await in_thread(change)()
    await in_thread(outbox.wait_until_idle)()
    assert (await OutboundEmail.objects.aget(pk=email.pk)).status == Status.SENT
    assert mail_script.threads and all(name.startswith("outbox") for name in mail_script.threads)


@pytest.mark.django_db(transaction=True)
def test_the_retry_timer_sends_a_failed_email_when_its_retry_is_due(in_background, mail_script, monkeypatch):
    monkeypatch.setattr(outbox, "RETRY_DELAYS_SECONDS", (0.05,))
    monkeypatch.setattr(outbox, "RETRY_TIMER_MIN_SECONDS", 0.01)
    mail_script.failures = 1
    with transaction.atomic():
        email = queue()
    eventually(lambda: row(email).status == Status.SENT)
    assert row(email).attempts == 2 and len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_the_worker_is_logged_and_the_worker_sweeps_again_later(
        in_background, monkeypatch, caplog):
    monkeypatch.setattr(outbox, "WORKER_ERROR_RETRY_SECONDS", 0.05)
    claim = outbox._claim_next
    errors = iter([OperationalError("the database went away")])

    def claim_after_an_outage(now, tried=()):
        if (error := next(errors, None)) is not None:
            raise error
        return claim(now, tried)

    monkeypatch.setattr(outbox, "_claim_next", claim_after_an_outage)
    with transaction.atomic():
        email = queue()
    eventually(lambda: row(email).status == Status.SENT)
    assert "could not sweep" in caplog.text
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_emails_queued_while_a_sweep_waits_are_all_sent_by_the_worker(in_background, mail_script):
    with transaction.atomic():
        emails = [queue(key=f"ticket:{n}:opened", to=f"customer{n}@example.com") for n in range(5)]
    for n in range(5, 8):
        emails.append(queue(key=f"ticket:{n}:opened", to=f"customer{n}@example.com"))
    outbox.wait_until_idle()
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(mail.outbox) == 8


# --- send_emails, send again ---------------------------------------------------------------------------------------
def test_send_emails_sends_what_is_due_and_says_how_many():
    waiting(2)
    out = StringIO()
    call_command("send_emails", stdout=out)
    assert "2 email(s) sent." in out.getvalue()
    assert len(mail.outbox) == 2


def test_send_again_queues_a_failed_email_with_fresh_attempts_and_sends_it(django_capture_on_commit_callbacks):
    [email] = waiting(status=Status.FAILED, attempts=6, last_error="SMTPServerDisconnected: gone")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.send_again(emails=OutboundEmail.objects.filter(pk=email.pk)) == 1
    assert (row(email).status, row(email).attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 1


def test_send_again_leaves_sent_emails_alone(django_capture_on_commit_callbacks):
    [email] = waiting(status=Status.SENT, attempts=1, sent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.send_again(emails=OutboundEmail.objects.all()) == 0
    assert row(email).attempts == 1 and mail.outbox == []


# --- real backends: files, SMTP --------------------------------------------------------------------------------------
def test_with_filemail_a_queued_email_ends_up_as_a_file_holding_the_ticket_number(
        tmp_path, django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                                                "OPTIONS": {"file_path": str(tmp_path)}}}):
        with django_capture_on_commit_callbacks(execute=True):
            queue(ticket=ticket)
    [written] = list(tmp_path.iterdir())
    assert ticket.number in written.read_text()


def smtp_mailer(server: FakeSMTPServer) -> dict:
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 2}}}


def test_an_email_goes_out_through_an_smtp_server_as_text_and_html(django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    with FakeSMTPServer() as server, override_settings(MAILERS=smtp_mailer(server)):
        with django_capture_on_commit_callbacks(execute=True):
            queue(ticket=ticket)
    [(_sender, recipients)] = server.envelopes
    [message] = server.messages
    assert recipients == ["emma@example.com"]
    assert ticket.number in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_an_smtp_server_that_says_try_again_later_gets_the_email_on_the_retry(django_capture_on_commit_callbacks):
    [email] = waiting()
    with FakeSMTPServer() as server, override_settings(MAILERS=smtp_mailer(server)):
        server.refuse_next = 1
        assert outbox.send_due() == 0
        assert "451" in row(email).last_error and row(email).status == Status.QUEUED
        assert outbox.send_due(now=row(email).next_attempt_at) == 1
    assert len(server.messages) == 1 and row(email).status == Status.SENT
