"""Websocket routes."""

from django.urls import path

from chat.consumers import CustomerConsumer
from desk.consumers import AgentConsumer, QueueConsumer

websocket_urlpatterns = [
    path("ws/chat/", CustomerConsumer.as_asgi()),
    path("ws/agent/queue/", QueueConsumer.as_asgi()),
    path("ws/agent/<uuid:conversation_id>/", AgentConsumer.as_asgi()),
]
