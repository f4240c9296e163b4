"""/metrics: the Prometheus text format, for a token (METRICS_TOKEN, `Authorization: Bearer …`) or a staff user."""

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily

from conversations.models import Conversation
from helpdesk import metrics as helpdesk_metrics
from tickets.models import Ticket


class QueueDepth:
    """Read at scrape time from the database (the record of truth), whichever process answers the scrape."""

    def collect(self):
        waiting = GaugeMetricFamily("helpdesk_queue_waiting_chats",
                                    "Live chats handed to a person that nobody has taken yet.")
        waiting.add_metric([], Conversation.objects.filter(status=Conversation.Status.WAITING).count())
        unassigned = GaugeMetricFamily("helpdesk_queue_unassigned_tickets", "Open tickets with no assignee.")
        unassigned.add_metric([], Ticket.objects.filter(
            status__in=(Ticket.Status.NEW, Ticket.Status.OPEN), assignee__isnull=True).count())
        return [waiting, unassigned]

    def describe(self):
        return []


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    return request.user.is_authenticated and request.user.is_staff


@never_cache
def metrics(request):
    if not allowed(request):
        return HttpResponse("Metrics need a token (Authorization: Bearer …) or a staff login.\n", status=403,
                            content_type="text/plain; charset=utf-8")
    return HttpResponse(helpdesk_metrics.exposition(QueueDepth()), content_type=CONTENT_TYPE_LATEST)
