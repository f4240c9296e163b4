"""The customer page of the desk: one customer's orders, refunds, conversations and tickets (support agents only)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from orders.models import Customer

from ..customers import customer_page_context
from ..permissions import is_support_agent


def customer_page(request, pk):
    if not is_support_agent(request.user):
        raise PermissionDenied("Only support agents can open a customer's page.")
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    context = {**admin.site.each_context(request), "title": customer.name or customer.email,
               **customer_page_context(customer)}
    return render(request, "admin/desk/customer.html", context)
