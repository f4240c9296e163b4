"""Queue an email with the change it announces; send it after commit, off the event loop, with retries.

`queue_email` renders the templates `emails/<kind>.subject.txt`, `.txt` and `.html` in the customer's language (dates
in BUSINESS_TIMEZONE) and stores an OutboundEmail in the caller's transaction: a rolled-back change sends nothing, a
committed one always has its email, and an announcement queued twice (same `key`) is sent once.

After commit, the outbox's worker thread in this process sends what is due through Django's email framework
(MAILERS, from EMAIL_URL): never the event loop nor the caller's thread, since SMTP can take seconds. Each send is
claimed first with a conditional UPDATE that also counts the attempt, so two senders (threads or processes) never
send the same email. A failure is retried with growing delays (RETRY_DELAYS_SECONDS) by a timer of this process;
after EMAIL_MAX_ATTEMPTS attempts the email is marked failed (the admin lists it and can send it again). A claim
left by a sender that died expires (claim_seconds()) and the next sweep sends the email, so delivery is at least
once: an email whose sender died between the SMTP server's acceptance and the "sent" mark goes again. Sweeps come
from the next email queued in any process, the retry timer, and `manage.py send_emails` (cron or `--loop`).
An error of the database in the worker is logged and the sweep retried later; it never stops the worker.
"""

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import close_old_connections, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutboundEmail

log = logging.getLogger(__name__)

RETRY_DELAYS_SECONDS = (30, 120, 600, 1800, 3600)  # after the 1st, 2nd… failed attempt; the last one repeats
RETRY_TIMER_MIN_SECONDS = 1.0  # the retry timer never fires sooner than this after a sweep
WORKER_ERROR_RETRY_SECONDS = 30.0  # after a sweep that failed (the database was unreachable), sweep again then
HEADERS = {
    "Auto-Submitted": "auto-generated",  # RFC 3834: mail servers and robots do not answer it
    "X-Auto-Response-Suppress": "All",  # nor Exchange's out-of-office replies
}

Status = OutboundEmail.Status


def claim_seconds() -> int:
    """How long a sender holds the email it sends: longer than a slow SMTP exchange can take (EMAIL_TIMEOUT_SECONDS
    bounds each of its steps: connect, TLS, login, envelope, data), so a sender still sending keeps its claim."""
    return max(120, 6 * settings.EMAIL_TIMEOUT_SECONDS)


def render_email(kind: str, context: dict, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of template `kind` in `language`, with the store's name and public address; datetimes
    are shown in BUSINESS_TIMEZONE."""
    context = {"STORE_NAME": settings.STORE_NAME, "PUBLIC_URL": settings.PUBLIC_URL, "language": language,
               **context}
    with translation.override(language), timezone.override(settings.BUSINESS_TIMEZONE):
        subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
        text = render_to_string(f"emails/{kind}.txt", context).strip() + "\n"
        html = render_to_string(f"emails/{kind}.html", context)
    return subject[:250], text, html


def queue_email(*, key: str, kind: str, to: str, language: str, context: dict) -> OutboundEmail | None:
    """Queue email `kind` to `to` in the current transaction; sent after commit. None when there is no address;
    the email already queued under `key` when this announcement was queued before (nothing is sent twice)."""
    if not to:
        return None
    key = key[:200]
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    existing = OutboundEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render_email(kind, context, language)
    email, created = OutboundEmail.objects.get_or_create(key=key, defaults={
        "kind": kind, "to": to, "language": language, "subject": subject, "text_body": text, "html_body": html,
        "next_attempt_at": timezone.now()})
    if created:
        transaction.on_commit(send_soon)
    return email


def send_again(*, emails: QuerySet) -> int:
    """Queue the failed or still queued ones among `emails` to be sent now, with a fresh set of attempts (the admin's
    "Send again now"); sent ones and ones being sent are left alone. Returns how many were queued."""
    queued = emails.filter(status__in=[Status.FAILED, Status.QUEUED]).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_until=None)
    if queued:
        transaction.on_commit(send_soon)
    return queued


# --- sending ------------------------------------------------------------------------------------------------------
def send_soon() -> None:
    """Send what is due, now: on the outbox's worker thread (OUTBOX_SEND_IN_BACKGROUND, the default), or in the
    caller's thread (tests, and `manage.py send_emails`). Never blocks a background caller."""
    if getattr(settings, "OUTBOX_SEND_IN_BACKGROUND", True):
        _worker.wake()
    else:
        send_due()


def send_due(*, now=None) -> int:
    """Send every email that is due at `now` (default: the current time), one claim at a time; returns how many were
    sent. Each email gets at most one attempt per call: one that fails waits for its retry."""
    sent = 0
    tried: set[int] = set()
    _give_up_on_abandoned(now or timezone.now())
    while (email := _claim_next(now or timezone.now(), tried)) is not None:
        tried.add(email.pk)
        sent += _send(email)
    return sent


def _due(now) -> Q:
    """Waiting and due, or abandoned by a sender that died with attempts left."""
    return (Q(status=Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=Status.SENDING, claimed_until__lt=now, attempts__lt=settings.EMAIL_MAX_ATTEMPTS))


def _give_up_on_abandoned(now) -> None:
    """An email whose sender died during its last allowed attempt is failed, not sent once more."""
    OutboundEmail.objects.filter(status=Status.SENDING, claimed_until__lt=now,
                                 attempts__gte=settings.EMAIL_MAX_ATTEMPTS).update(
        status=Status.FAILED, claimed_until=None,
        last_error="The sender stopped during the last attempt (its process ended).")


def _claim_next(now, tried=()) -> OutboundEmail | None:
    """Claim the next due email for this sender, counting the attempt, or None. The claim is a conditional UPDATE:
    of two senders reading the same row, one updates it and the other's UPDATE matches nothing."""
    candidates = OutboundEmail.objects.filter(_due(now)).exclude(pk__in=tried).order_by("next_attempt_at")
    for pk in candidates.values_list("pk", flat=True)[:20]:
        claimed = OutboundEmail.objects.filter(_due(now), pk=pk).update(
            status=Status.SENDING, claimed_until=timezone.now() + timedelta(seconds=claim_seconds()),
            attempts=F("attempts") + 1)
        if claimed:
            return OutboundEmail.objects.get(pk=pk)
    return None


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(email.subject, email.text_body, settings.DEFAULT_FROM_EMAIL, [email.to],
                                     headers=HEADERS)
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    return message


def _send(email: OutboundEmail) -> int:
    """Send the claimed `email` and record the outcome: sent, queued for a retry, or failed for good."""
    try:
        if not mailers.default.send_messages([_message(email)]):
            raise RuntimeError("the mail backend sent nothing")
    except Exception as error:
        _record_failure(email, error)
        return 0
    # Recorded even if this sender's claim ran out meanwhile: the email went out, and must not go again.
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENT, sent_at=timezone.now(), claimed_until=None, last_error="")
    return 1


def _record_failure(email: OutboundEmail, error: Exception) -> None:
    failed = email.attempts >= settings.EMAIL_MAX_ATTEMPTS
    delay = RETRY_DELAYS_SECONDS[min(email.attempts, len(RETRY_DELAYS_SECONDS)) - 1]
    # Only while this sender still holds the claim: a sender that took over an expired claim decides instead.
    OutboundEmail.objects.filter(pk=email.pk, status=Status.SENDING, claimed_until=email.claimed_until).update(
        status=Status.FAILED if failed else Status.QUEUED, claimed_until=None,
        last_error=f"{type(error).__name__}: {error}"[:300],
        next_attempt_at=timezone.now() + timedelta(seconds=delay))
    log.warning("email %s (%s) failed on attempt %d%s: %s", email.pk, email.kind, email.attempts,
                "; giving up" if failed else f"; retrying in {delay} s", type(error).__name__)


def _earliest_wake_up():
    """When this process should sweep again: the earliest retry, or the expiry of a claim held elsewhere (by a
    sender that may have died); None when nothing is waiting."""
    retry = (OutboundEmail.objects.filter(status=Status.QUEUED).order_by("next_attempt_at")
             .values_list("next_attempt_at", flat=True).first())
    claim = (OutboundEmail.objects.filter(status=Status.SENDING).order_by("claimed_until")
             .values_list("claimed_until", flat=True).first())
    return min((moment for moment in (retry, claim) if moment is not None), default=None)


class _Worker:
    """The process's sending thread: one sweep at a time on a one-thread executor (threads named outbox-*), a
    wake-up that coalesces while a sweep is waiting, and a timer for the next retry."""

    def __init__(self):
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._sweep_waiting = False
        self._timer: threading.Timer | None = None

    def wake(self) -> None:
        with self._lock:
            if self._sweep_waiting:
                return  # the sweep not yet started will see this email too
            self._sweep_waiting = True
        self._executor.submit(self._sweep)

    def _sweep(self) -> None:
        with self._lock:
            self._sweep_waiting = False
        close_old_connections()
        try:
            send_due()
            wake_at = _earliest_wake_up()
            delay = (None if wake_at is None
                     else max((wake_at - timezone.now()).total_seconds(), RETRY_TIMER_MIN_SECONDS))
        except Exception:
            log.exception("the outbox could not sweep (its emails stay queued); trying again in %s s",
                          WORKER_ERROR_RETRY_SECONDS)
            delay = WORKER_ERROR_RETRY_SECONDS
        finally:
            close_old_connections()
        if delay is not None:
            self._set_timer(delay)

    def _set_timer(self, delay: float) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(delay, self.wake)
            self._timer.name = "outbox-timer"
            self._timer.daemon = True
            self._timer.start()

    def cancel_timer(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def wait_until_idle(self, timeout: float) -> None:
        self._executor.submit(lambda: None).result(timeout=timeout)


_worker = _Worker()


def _new_worker_after_fork() -> None:
    """A forked child has none of its parent's threads: it gets its own worker."""
    global _worker
    _worker = _Worker()


os.register_at_fork(after_in_child=_new_worker_after_fork)


def wait_until_idle(timeout: float = 10.0) -> None:
    """Block until the worker has swept for everything queued so far (tests). A retry that waits for its timer is
    not waited for."""
    _worker.wait_until_idle(timeout)
