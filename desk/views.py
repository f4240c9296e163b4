"""The agent console: one conversation, live, in the admin's look (staff with the ticket permission only); and the
agent's availability toggle."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from conversations.models import Conversation
from tickets.availability import set_availability
from tickets.exceptions import InvalidAvailability

from .permissions import is_support_agent
from .selectors import console_context


def console(request, pk):
    if not is_support_agent(request.user):
        raise PermissionDenied("Only support agents can open the console.")
    conversation = get_object_or_404(Conversation.objects.select_related("customer", "assigned_agent"), pk=pk)
    context = {
        **admin.site.each_context(request),
        "title": f"Conversation {conversation.short_id}",
        "conversation": conversation,
        **console_context(conversation),
    }
    return render(request, "admin/chat/console.html", context)


@require_POST
def availability(request):
    """An agent says whether they take live chats now (POST status=available|away), then goes back where they
    were (`next`, a page of this site) or to the queue."""
    if not is_support_agent(request.user):
        raise PermissionDenied("Only support agents have an availability.")
    try:
        set_availability(request.user, request.POST.get("status", ""))
    except InvalidAvailability:
        messages.error(request, _("Choose Available or Away."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("admin:tickets_ticket_changelist")
    return redirect(target)
