"""Evaluation runs in the admin: read only."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from .models import EvaluationRun


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    """The latest evaluation runs, so a team sees whether a prompt, policy or FAQ change helped or hurt."""

    list_display = ["started_at", "backend", "label", "scenarios", "pass_rate_display", "change", "pass_hat_k",
                    "trials", "tokens", "duration_seconds"]
    list_filter = ["backend"]
    search_fields = ["label"]
    readonly_fields = ["started_at", "finished_at", "backend", "model", "trials", "scenarios_total",
                       "scenarios_passed", "pass_hat_k", "input_tokens", "output_tokens", "duration_seconds",
                       "label", "scenario_results"]
    exclude = ["results"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="scenarios passed")
    def scenarios(self, run):
        return f"{run.scenarios_passed}/{run.scenarios_total}"

    @admin.display(description="pass rate")
    def pass_rate_display(self, run):
        return f"{run.pass_rate:.0%}" if run.pass_rate is not None else "—"

    @admin.display(description="vs previous")
    def change(self, run):
        previous = (EvaluationRun.objects.filter(backend=run.backend, started_at__lt=run.started_at)
                    .order_by("-started_at").first())
        if previous is None or previous.pass_rate is None or run.pass_rate is None:
            return "—"
        delta = run.pass_rate - previous.pass_rate
        if abs(delta) < 1e-9:
            return "="
        return f"{'▲' if delta > 0 else '▼'} {abs(delta):.0%}"

    @admin.display(description="tokens")
    def tokens(self, run):
        return run.input_tokens + run.output_tokens

    @admin.display(description="results by scenario")
    def scenario_results(self, run):
        rows = sorted(run.results, key=lambda r: (r.get("passed", False), r.get("name", "")))
        return format_html_join(
            "", "<p><strong>{}</strong> {}{}</p>",
            ((("✔ " if r.get("passed") else "✘ ") + r.get("name", ""),
              f"pass^k {r.get('pass_hat_k', 0):.2f}",
              format_html("<br>— {}", "; ".join(r.get("failures", []))) if r.get("failures") else "")
             for r in rows),
        )
