"""Queue an email with the change it announces; send it after commit, off the event loop, with retries.

`queue_email` renders the templates `emails/<kind>.subject.txt`, `.txt` and `.html` in the customer's language and
stores an OutboundEmail in the caller's transaction: a rolled-back change sends nothing, a committed one always has
its email. After commit, a worker thread of this process (never the event loop: SMTP can take seconds) sends what
is due through Django's email framework (EMAIL_URL). A failure is retried with growing delays up to
EMAIL_MAX_ATTEMPTS, then the email is marked failed (the admin lists it). Each send is claimed first with a
conditional UPDATE, so two processes never send the same email; a claim left by a process that died expires and the
email is sent by the next sweep (`manage.py send_emails`, or the next email queued in any process).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundEmail

log = logging.getLogger(__name__)

RETRY_DELAYS_SECONDS = (30, 120, 600, 1800, 3600)  # after the 1st, 2nd… failure; the last repeats
CLAIM_SECONDS = 120  # longer than EMAIL_TIMEOUT_SECONDS: a sender that is still sending keeps its claim

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
_retry_timer: threading.Timer | None = None
_retry_lock = threading.Lock()


def render_email(kind: str, context: dict, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of template `kind` in `language`, with the store's name and public address."""
    context = {"STORE_NAME": settings.STORE_NAME, "PUBLIC_URL": settings.PUBLIC_URL, "language": language,
               **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
        text = render_to_string(f"emails/{kind}.txt", context).strip() + "\n"
        html = render_to_string(f"emails/{kind}.html", context)
    return subject[:250], text, html


def queue_email(*, key: str, kind: str, to: str, language: str, context: dict) -> OutboundEmail | None:
    """Queue email `kind` to `to` in the current transaction; sent after commit. None when there is no address;
    the email already queued under `key` when this announcement was queued before (nothing is sent twice)."""
    if not to:
        return None
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    existing = OutboundEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render_email(kind, context, language)
    with transaction.atomic():
        email, created = OutboundEmail.objects.get_or_create(key=key[:200], defaults={
            "kind": kind, "to": to, "language": language, "subject": subject, "text_body": text,
            "html_body": html, "next_attempt_at": timezone.now()})
    if created:
        transaction.on_commit(send_soon)
    return email


def send_soon() -> None:
    """Send what is due, now: on the outbox's worker thread (OUTBOX_SEND_IN_BACKGROUND, the default), or in the
    caller's thread (tests, and `manage.py send_emails`)."""
    if getattr(settings, "OUTBOX_SEND_IN_BACKGROUND", True):
        _executor.submit(_send_due_in_worker)
    else:
        send_due()


def _send_due_in_worker() -> None:
    close_old_connections()
    try:
        send_due()
    except Exception:
        log.exception("the outbox could not send its emails; they stay queued")
    finally:
        close_old_connections()


def send_due(*, now=None) -> int:
    """Send every email that is due (claimed one at a time); returns how many were sent. Schedules this process's
    next attempt when failed ones wait for a retry."""
    sent = 0
    while (email := _claim_next(now or timezone.now())) is not None:
        sent += _send(email)
    _schedule_retry()
    return sent


def _due(now) -> Q:
    return (Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=OutboundEmail.Status.SENDING, claimed_until__lt=now))


def _claim_next(now) -> OutboundEmail | None:
    for pk in OutboundEmail.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:20]:
        claimed = OutboundEmail.objects.filter(_due(now), pk=pk).update(
            status=OutboundEmail.Status.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
        if claimed:
            return OutboundEmail.objects.get(pk=pk)
    return None


def _send(email: OutboundEmail) -> int:
    message = EmailMultiAlternatives(email.subject, email.text_body, settings.DEFAULT_FROM_EMAIL, [email.to])
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    attempts = email.attempts + 1
    try:
        mailers.default.send_messages([message])
    except Exception as error:
        failed = attempts >= settings.EMAIL_MAX_ATTEMPTS
        delay = RETRY_DELAYS_SECONDS[min(attempts, len(RETRY_DELAYS_SECONDS)) - 1]
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=OutboundEmail.Status.FAILED if failed else OutboundEmail.Status.QUEUED, attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:300], claimed_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay))
        log.warning("email %s (%s) failed on attempt %d%s: %s", email.pk, email.kind, attempts,
                    "; giving up" if failed else f"; retrying in {delay} s", type(error).__name__)
        return 0
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENT, attempts=attempts, sent_at=timezone.now(), claimed_until=None,
        last_error="")
    return 1


def _schedule_retry() -> None:
    """Wake this process's worker when the earliest email waiting for a retry is due."""
    global _retry_timer
    if not getattr(settings, "OUTBOX_SEND_IN_BACKGROUND", True):
        return
    due = (OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED).order_by("next_attempt_at")
           .values_list("next_attempt_at", flat=True).first())
    if due is None:
        return
    delay = max((due - timezone.now()).total_seconds(), 1.0)
    with _retry_lock:
        if _retry_timer is not None:
            _retry_timer.cancel()
        _retry_timer = threading.Timer(delay, send_soon)
        _retry_timer.daemon = True
        _retry_timer.start()


def wait_until_idle(timeout: float = 10.0) -> None:
    """Block until the worker has sent what was queued so far (tests and `manage.py send_emails`)."""
    _executor.submit(lambda: None).result(timeout=timeout)
