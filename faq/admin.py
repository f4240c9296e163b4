from django.contrib import admin

from .admin_gaps import AnswersContentGaps  # also registers the content-gaps page
from .models import FaqEntry


@admin.register(FaqEntry)
class FaqEntryAdmin(AnswersContentGaps, admin.ModelAdmin):
    list_display = ["question", "category", "language", "published", "updated_at"]
    list_filter = ["category", "language", "published"]
    list_editable = ["published"]
    search_fields = ["question", "answer", "key"]
    fields = ["question", "answer", "category", "language", "key", "published"]
