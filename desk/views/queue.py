"""The queue (support agents only): the desk page a team works from, with its views (mine, unassigned, all open).

`?fragment=1` renders only its live part (the availability panel, the tabs with their counts, the rows, the waiting
count), which static/js/queue.js fetches again whenever the queue socket says something changed: the rows and the
counts always come from the same response. The reads are desk.queue's."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..permissions import is_support_agent
from ..queue import queue_page


def queue(request):
    if not is_support_agent(request.user):
        raise PermissionDenied("Only support agents can open the queue.")
    page = queue_page(user=request.user, view=request.GET.get("view", ""), now=timezone.now())
    context = {"queue": page, "page_url": f"{reverse('desk-queue')}?view={page.view.key}"}
    if request.GET.get("fragment") == "1":
        return render(request, "admin/desk/queue_live.html", context)
    return render(request, "admin/desk/queue.html", {**admin.site.each_context(request),
                                                     "title": _("Support queue"), **context})
