from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Conversation, ConversationEvent, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ["seq", "role", "text", "sentiment_score", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ConversationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "actor", "actor_user", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["short_id", "customer", "verified_email", "status", "outcome", "language", "csat_score", "started_at",
                    "console"]
    list_filter = ["status", "outcome", "language", "backend", "csat_score"]
    search_fields = ["id", "verified_email", "customer__email", "customer__name"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "assigned_agent", "reopened_from"]
    list_select_related = ["customer"]
    readonly_fields = ["id", "started_at", "last_activity_at", "summary", "last_seq"]
    inlines = [EventInline, MessageInline]

    @admin.display(description="console")
    def console(self, conversation):
        return format_html('<a href="{}">Open console</a>', reverse("agent-console", args=[conversation.pk]))
