"""The customer's support requests: their list, one request's thread and reply box, and the guest's signed link.

Thin views: who may see which ticket is decided by tickets.selectors (a logged-in customer's own tickets) and
tickets.links (the signed link from an email); every write goes through tickets.services. A request that is not
the visitor's answers exactly like one that does not exist.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods

from conversations.selectors import first_customer_text
from tickets import selectors, services
from tickets.exceptions import ExpiredTicketLink, InvalidTicketLink, InvalidTicketRating, InvalidTicketReply
from tickets.links import ticket_for_token
from tickets.models import Ticket

from .views import with_chat_session

# A ticket's status in the customer's words, and the badge it wears.
CUSTOMER_STATUS = {
    Ticket.Status.NEW: (pgettext_lazy("support request", "We're on it"), "working"),
    Ticket.Status.OPEN: (pgettext_lazy("support request", "We're on it"), "working"),
    Ticket.Status.PENDING: (pgettext_lazy("support request", "Waiting for your reply"), "waiting"),
    Ticket.Status.SOLVED: (pgettext_lazy("support request", "Solved"), "done"),
    Ticket.Status.CLOSED: (pgettext_lazy("support request", "Closed"), "done"),
}
ANSWERED = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


def customer_status(ticket: Ticket) -> dict:
    label, badge = CUSTOMER_STATUS.get(ticket.status, CUSTOMER_STATUS[Ticket.Status.OPEN])
    return {"label": label, "badge": badge}


def _customer_of(user):
    """The storefront customer behind a logged-in user, or None (a staff account has none)."""
    return getattr(user, "customer", None)


@require_http_methods(["GET"])
@login_required
@with_chat_session
def requests_list(request):
    customer = _customer_of(request.user)
    if customer is None:
        return render(request, "storefront/support_no_customer.html")
    rows = [{"ticket": ticket, "status": customer_status(ticket)}
            for ticket in selectors.tickets_of_customer(customer.email)]
    return render(request, "storefront/support_requests.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
@with_chat_session
def request_detail(request, number):
    customer = _customer_of(request.user)
    ticket = selectors.ticket_of_customer(number=number, email=customer.email) if customer else None
    if ticket is None:
        raise Http404
    return _thread_page(request, ticket, guest=False)


@require_http_methods(["GET", "POST"])
@with_chat_session
def ticket_link(request, token):
    try:
        ticket = ticket_for_token(token)
    except ExpiredTicketLink as expired:
        return _expired_link_page(request, expired.ticket)
    except InvalidTicketLink:
        return render(request, "storefront/support_link_invalid.html", status=404)
    _speak_the_tickets_language(request, ticket)
    return _thread_page(request, ticket, guest=True)


def _speak_the_tickets_language(request, ticket: Ticket | None) -> None:
    """A visitor who has not chosen a language (no language cookie) reads the page in the ticket's language: the
    one of the emails that brought them here."""
    if ticket is None or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    if ticket.language in dict(settings.LANGUAGES):
        translation.activate(ticket.language)
        request.LANGUAGE_CODE = ticket.language


def _expired_link_page(request, ticket: Ticket | None):
    """The link expired. "Email me a new link" sends one to the ticket's own address (services.email_fresh_link),
    and the answer is the same whether there was a ticket to send for, an email already sent, or nothing at all."""
    _speak_the_tickets_language(request, ticket)
    if request.method == "POST":
        if request.POST.get("action") == "resend" and ticket is not None:
            services.email_fresh_link(ticket=ticket)
        messages.info(request, _("If this request can still be reached, a new link is on its way to the email "
                                 "address it was opened with. It can take a few minutes to arrive."))
        return redirect(request.path)
    return render(request, "storefront/support_link_expired.html",
                  {"max_age_days": settings.TICKET_LINK_MAX_AGE_DAYS}, status=410)


def original_request(ticket: Ticket) -> str:
    """What the customer asked, in their words: the question a follow-up was filed about; for a live hand-off, the
    customer's first message in the chat. The description is the team's (a summary, the assistant's note, the
    transcript's address in the desk) and stays with the team, except for a ticket filed by hand without a chat."""
    if ticket.question:
        return ticket.question
    if ticket.conversation_id:
        return first_customer_text(ticket.conversation_id) or ticket.subject
    return ticket.description


def _reply_error(error: InvalidTicketReply) -> str:
    if error.code == "empty_reply":
        return _("Please write a message before sending.")
    if error.code == "reply_too_long":
        return _("Please keep your message under %(count)s characters.") % {
            "count": number_format(services.MAX_COMMENT_CHARS, force_grouping=True)}
    return error.message


def _rating_error(error: InvalidTicketRating) -> str:
    if error.code == "not_solved":
        return _("You can rate your request once it is solved.")
    return _("Please choose a rating from 1 to 5.")


def _thread_page(request, ticket: Ticket, *, guest: bool):
    """The request, its public thread, the reply box and, once it is solved, the rating (POST, then redirect)."""
    context = {"reply_body": "", "rating_comment": ""}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reply":
            body = request.POST.get("body", "")
            try:
                comment = services.reply_as_customer(ticket=ticket, body=body)
            except InvalidTicketReply as error:
                context.update(reply_error=_reply_error(error), reply_body=body)
                status = 400
            else:
                reopened = ticket.status in ANSWERED and comment.ticket.status not in ANSWERED
                messages.success(request, _("Thank you, your reply is sent. Your request is open again and our team "
                                            "will answer you by email.") if reopened else
                                 _("Thank you, your reply is sent. Our team will answer you by email."))
                return redirect(request.path)
        elif action == "rate":
            comment_text = request.POST.get("comment", "")
            try:
                score = int(request.POST.get("score", ""))
            except ValueError:
                score = None
            try:
                services.rate_ticket(ticket=ticket, score=score, comment=comment_text)
            except InvalidTicketRating as error:
                context.update(rating_error=_rating_error(error), rating_comment=comment_text)
                status = 400
            else:
                messages.success(request, _("Thank you for your rating."))
                return redirect(f"{request.path}#rate")
        else:
            return redirect(request.path)
        ticket.refresh_from_db()
    context.update(
        ticket=ticket,
        status=customer_status(ticket),
        original=original_request(ticket),
        thread=selectors.public_thread(ticket),
        answered=ticket.status in ANSWERED,
        guest=guest,
        max_reply_chars=services.MAX_COMMENT_CHARS,
    )
    return render(request, "storefront/support_request.html", context, status=status)
