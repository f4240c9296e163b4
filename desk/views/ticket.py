"""A ticket's page in the desk (support agents only): its customer, SLA, thread, chat transcript; reply, note, move,
take, solve, decide its refund."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.exceptions import HelpdeskError
from tickets import services as tickets

from .. import takeover
from ..forms import DeclineRefundForm, ThreadEntryForm
from ..permissions import is_support_agent
from ..refunds import decide_refund
from ..selectors import action_allowed, ticket_by_number, ticket_page_context


class Refused(Exception):
    """A post the page cannot carry out: shown on the page, with what was typed kept."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def ticket_page(request, number):
    """One ticket: its customer, SLA, thread, chat transcript; reply, note, move, take, solve, decide its refund.

    Every post calls a service and redirects back (post/redirect/get); a refusal is shown on the page, with the
    forms still holding what the agent typed."""
    if not is_support_agent(request.user):
        raise PermissionDenied("Only support agents can open a ticket's page.")
    ticket = ticket_by_number(number)
    if ticket is None:
        raise Http404("No ticket with this number.")
    composer, decline_form, error, status = ThreadEntryForm(), DeclineRefundForm(), "", 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("reply", "note"):
                composer = ThreadEntryForm(request.POST)
                done = _post_to_thread(request, ticket, action, composer)
            elif action in ("approve", "decline"):
                decline_form = DeclineRefundForm(request.POST) if action == "decline" else decline_form
                done = _decide(request, ticket, action, decline_form)
            else:
                done = _move(request, ticket, action, request.POST.get("status", ""))
        except (Refused, HelpdeskError) as refusal:
            error, status = refusal.message, 400
        else:
            messages.success(request, done)
            return redirect("desk-ticket", number=ticket.number)
        ticket = ticket_by_number(number)
    context = {
        **admin.site.each_context(request),
        "title": f"{ticket.number} {ticket.subject}",
        "composer": composer,
        "decline_form": decline_form,
        "error": error,
        **ticket_page_context(ticket, request.user, timezone.now()),
    }
    return render(request, "admin/desk/ticket.html", context, status=status)


def _post_to_thread(request, ticket, action: str, form: ThreadEntryForm) -> str:
    if not form.is_valid():
        raise Refused(" ".join(form.errors.get("body", [])) or _("Please check the message."))
    body = form.cleaned_data["body"]
    if action == "reply":
        tickets.reply_to_customer(ticket=ticket, agent=request.user, body=body)
        return _("Reply sent to the customer.")
    tickets.add_internal_note(ticket=ticket, agent=request.user, body=body)
    return _("Internal note added.")


def _decide(request, ticket, action: str, form: DeclineRefundForm) -> str:
    if ticket.refund is None:
        raise Refused(_("This ticket has no refund to decide."))
    if action == "approve":
        decide_refund(refund=ticket.refund, user=request.user, approve=True)
        return _("Refund approved: the money moves now, and the customer is told.")
    if not form.is_valid():
        raise Refused(" ".join(form.errors.get("reason", [])) or _("Please check the reason."))
    decide_refund(refund=ticket.refund, user=request.user, approve=False, note=form.cleaned_data["reason"])
    return _("Refund declined, and the customer is told why.")


def _move(request, ticket, action: str, status: str) -> str:
    if not action_allowed(ticket, action, status):
        raise Refused(_("That is no longer possible for this ticket: the page shows what it allows now."))
    if action == "take":
        takeover.assign_from_queue(ticket_id=ticket.pk, user=request.user)
        return _("The ticket is yours.")
    if action == "solve":
        takeover.solve_from_queue(ticket_id=ticket.pk, user=request.user)
        return _("Ticket solved.")
    moved = tickets.move_ticket(ticket=ticket, status=status, user=request.user)
    return _("Ticket moved to %(status)s.") % {"status": moved.get_status_display()}
