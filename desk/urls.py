from django.contrib import admin
from django.urls import path

from .views import console

urlpatterns = [
    path("console/<uuid:pk>/", admin.site.admin_view(console), name="agent-console"),
]
