"""The console of one conversation (support agents only): the page; its socket is desk.consumers.AgentConsumer."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from conversations.models import Conversation

from ..permissions import is_support_agent
from ..selectors import console_context


def console(request, pk):
    if not is_support_agent(request.user):
        raise PermissionDenied("Only support agents can open the console.")
    conversation = get_object_or_404(Conversation.objects.select_related("customer", "assigned_agent"), pk=pk)
    context = {
        **admin.site.each_context(request),
        "title": _("Conversation %(id)s") % {"id": conversation.short_id},
        "conversation": conversation,
        **console_context(conversation),
    }
    return render(request, "admin/chat/console.html", context)
