from django.contrib import admin
from django.urls import path

from .views.availability import availability
from .views.console import console
from .views.customer import customer_page
from .views.queue import queue
from .views.ticket import ticket_page

urlpatterns = [
    path("desk/queue/", admin.site.admin_view(queue), name="desk-queue"),
    path("console/<uuid:pk>/", admin.site.admin_view(console), name="agent-console"),
    path("desk/tickets/<str:number>/", admin.site.admin_view(ticket_page), name="desk-ticket"),
    path("desk/customers/<int:pk>/", admin.site.admin_view(customer_page), name="desk-customer"),
    path("desk/availability/", admin.site.admin_view(availability), name="desk-availability"),
]
