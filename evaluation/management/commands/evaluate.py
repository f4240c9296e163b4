"""`manage.py evaluate`: simulated customers against the assistant, pass^k per scenario (see evals/README.md)."""

import os
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluation import reports, runner
from evaluation.scenarios import ScenarioError, load_scenarios


class Command(BaseCommand):
    help = "Run the evaluation scenarios against the assistant; exit 1 if one fails."

    def add_arguments(self, parser):
        parser.add_argument("--backend", choices=["offline", "claude"], default="offline")
        parser.add_argument("--trials", type=int, default=1, help="Runs per scenario (pass^k uses k = trials).")
        parser.add_argument("--scenario", action="append", dest="scenarios", help="Only this scenario (repeatable).")
        parser.add_argument("--concurrency", type=int, default=min(4, os.cpu_count() or 2))
        parser.add_argument("--label", default="", help="What changed, shown in the admin's list of runs.")
        parser.add_argument("--report-dir", default=str(Path(settings.BASE_DIR) / "evals" / "reports"))
        parser.add_argument("--setting", action="append", dest="overrides", default=[],
                            help="NAME=VALUE: override a setting in the trials ('what if', e.g. REFUND_WINDOW_DAYS=3).")
        parser.add_argument("--no-store", action="store_true", help="Do not record the run in the database.")

    def handle(self, *args, backend, trials, scenarios, concurrency, label, report_dir, overrides, no_store, **options):
        if trials < 1 or concurrency < 1:
            raise CommandError("--trials and --concurrency must be at least 1.")
        if backend == "claude" and not os.environ.get("ANTHROPIC_API_KEY"):
            raise CommandError("--backend claude needs ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a fake API).")
        try:
            selected = load_scenarios(names=scenarios)
            overrides = runner.parse_overrides(overrides)
        except (ScenarioError, ValueError) as error:
            raise CommandError(str(error)) from error
        started = time.monotonic()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        outcomes = runner.run(selected, backend=backend, trials=trials, concurrency=concurrency,
                              overrides=overrides, progress=self.progress)
        sys.stderr.write("\n")
        seconds = round(time.monotonic() - started, 1)
        summary = reports.summarize(outcomes, trials)
        model = os.environ.get("ANTHROPIC_MODEL", "claude-sonnet-5-5") if backend == "claude" else "offline-assistant"
        meta = {"backend": backend, "model": model, "trials": trials, "label": label, "started": stamp,
                "seconds": seconds, "settings": overrides}
        self.stdout.write(reports.table(outcomes, trials))
        failures = reports.failures_text(outcomes)
        if failures:
            self.stdout.write("\n" + failures)
        json_path, html_path = reports.write_reports(outcomes, summary, meta, Path(report_dir))
        if not no_store:
            reports.store_run(outcomes, summary, meta)
        self.stdout.write(
            f"\n{summary['passed']}/{summary['scenarios']} scenarios passed every trial; mean pass^{trials} "
            f"{summary['pass_hat_k']}; {seconds} s. Reports: {json_path} {html_path}")
        if summary["known_issues"]:
            self.stdout.write(f"Known issues (not counted): {', '.join(summary['known_issues'])}")
        if summary["passed"] < summary["scenarios"]:
            raise SystemExit(1)

    def progress(self, done: int, total: int) -> None:
        filled = int(30 * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} trials")
        sys.stderr.flush()
