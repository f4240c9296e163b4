"""The customer's support requests: their list, one request's thread and reply box, and the guest's signed link.

(Foundation: the pages are built in the customer-view change.)
"""

from django.http import Http404


def requests_list(request):
    raise Http404


def request_detail(request, number):
    raise Http404


def ticket_link(request, token):
    raise Http404
