"""The agent's availability toggle (available / away), posted from the queue's and the console's header."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets.availability import set_availability
from tickets.exceptions import InvalidAvailability

from ..permissions import is_support_agent


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
        target = reverse("desk-queue")
    return redirect(target)
