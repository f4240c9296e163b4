from django.contrib import admin
from django.urls import path

from .views import availability, console

urlpatterns = [
    path("console/<uuid:pk>/", admin.site.admin_view(console), name="agent-console"),
    path("availability/", admin.site.admin_view(availability), name="desk-availability"),
]
