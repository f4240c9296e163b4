"""What the assistant keeps of its own work: each tool call once, by its tool_use id."""

from django.db import models


class ToolCall(models.Model):
    """One tool call of the model, keyed by its tool_use id: a call whose id was already run returns the stored
    result instead of running again (a turn taken over by another process, a retried round)."""

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="tool_calls")
    tool_use_id = models.CharField(max_length=100)
    name = models.CharField(max_length=40)
    result = models.JSONField(null=True, blank=True, help_text="The stored ToolResult; null while it runs.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "tool_use_id"], name="tool_call_once_per_id"),
        ]

    def __str__(self):
        return f"{self.name} {self.tool_use_id}"
