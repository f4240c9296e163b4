from django.contrib import admin
from django.urls import path

from .views.availability import availability
from .views.console import console
from .views.customer import customer_page
from .views.queue import queue
from .views.replies import canned_for_conversation, canned_for_ticket, suggest_for_conversation, suggest_for_ticket
from .views.ticket import ticket_page

urlpatterns = [
    path("desk/queue/", admin.site.admin_view(queue), name="desk-queue"),
    path("console/<uuid:pk>/", admin.site.admin_view(console), name="agent-console"),
    path("desk/tickets/<str:number>/", admin.site.admin_view(ticket_page), name="desk-ticket"),
    path("desk/customers/<int:pk>/", admin.site.admin_view(customer_page), name="desk-customer"),
    # The composers' tools (JSON; support agents only, 403 for anyone else, so no admin_view login redirect).
    path("desk/conversations/<uuid:pk>/canned-replies/", canned_for_conversation, name="desk-canned-conversation"),
    path("desk/tickets/<str:number>/canned-replies/", canned_for_ticket, name="desk-canned-ticket"),
    path("desk/conversations/<uuid:pk>/suggest-reply/", suggest_for_conversation, name="desk-suggest-conversation"),
    path("desk/tickets/<str:number>/suggest-reply/", suggest_for_ticket, name="desk-suggest-ticket"),
    path("desk/availability/", admin.site.admin_view(availability), name="desk-availability"),
]
