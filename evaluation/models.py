from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationRun(models.Model):
    """One run of `manage.py evaluate`: simulated customers against the assistant, scored on the database."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    backend = models.CharField(max_length=20)
    model = models.CharField(max_length=60, blank=True)
    trials = models.PositiveSmallIntegerField(default=1)
    scenarios_total = models.PositiveIntegerField(default=0)
    scenarios_passed = models.PositiveIntegerField(default=0, help_text="Scenarios whose every trial passed.")
    pass_hat_k = models.FloatField(null=True, blank=True, help_text="Mean over scenarios of pass^k.")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    label = models.CharField(max_length=120, blank=True, help_text="What changed, e.g. a prompt or FAQ edit.")
    results = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"Evaluation {self.started_at:%Y-%m-%d %H:%M} ({self.backend})"

    @property
    def pass_rate(self) -> float | None:
        if not self.scenarios_total:
            return None
        return self.scenarios_passed / self.scenarios_total
