"""The evaluation's table (terminal), JSON and HTML reports, and the EvaluationRun row."""

import json
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.html import escape

from evaluation.models import EvaluationRun
from evaluation.runner import ScenarioOutcome


def summarize(outcomes: list[ScenarioOutcome], trials: int) -> dict:
    counted = [o for o in outcomes if not o.scenario.known_issue]
    return {
        "scenarios": len(counted),
        "passed": sum(o.passed for o in counted),
        "known_issues": [o.scenario.name for o in outcomes if o.scenario.known_issue],
        "pass_hat_k": round(sum(o.pass_hat(trials) for o in counted) / len(counted), 4) if counted else None,
        "input_tokens": sum(t["input_tokens"] for o in outcomes for t in o.trials),
        "output_tokens": sum(t["output_tokens"] for o in outcomes for t in o.trials),
    }


def table(outcomes: list[ScenarioOutcome], trials: int) -> str:
    width = max([len(o.scenario.name) for o in outcomes] + [8])
    lines = [f"{'scenario':<{width}}  {'trials':<{max(trials * 2, 6)}}  pass^{trials}  {'tokens':>8}  {'time':>6}"]
    for o in outcomes:
        marks = " ".join("✔" if t["passed"] else "✘" for t in o.trials)
        tokens = sum(t["input_tokens"] + t["output_tokens"] for t in o.trials)
        seconds = sum(t["seconds"] for t in o.trials)
        note = "  (known issue)" if o.scenario.known_issue else ""
        lines.append(f"{o.scenario.name:<{width}}  {marks:<{max(trials * 2, 6)}}  {o.pass_hat(trials):>6.2f}  "
                     f"{tokens:>8}  {seconds:>5.1f}s{note}")
    return "\n".join(lines)


def failures_text(outcomes: list[ScenarioOutcome]) -> str:
    lines = []
    for o in outcomes:
        for t in o.trials:
            if not t["passed"]:
                lines.append(f"✘ {o.scenario.name} (trial {t['trial']}):")
                lines += [f"    - {f}" for f in t["failures"]]
    return "\n".join(lines)


def as_json(outcomes, summary, meta) -> dict:
    return {**meta, "summary": summary, "scenarios": [
        {"name": o.scenario.name, "file": Path(o.scenario.path).name, "tags": o.scenario.tags,
         "known_issue": o.scenario.known_issue, "passed": o.passed, "pass_hat_k": o.pass_hat(meta["trials"]),
         "trials": o.trials} for o in outcomes]}


def html(report: dict) -> str:
    rows = []
    for s in sorted(report["scenarios"], key=lambda s: (s["passed"], s["name"])):
        marks = " ".join("✔" if t["passed"] else "✘" for t in s["trials"])
        details = "".join(
            f"<li>{escape(f)}</li>" for t in s["trials"] for f in t["failures"])
        transcript = "".join(f"<div class='{escape(role)}'><b>{escape(role)}</b>: {escape(text)}</div>"
                             for role, text in (s["trials"][0]["transcript"] if s["trials"] else []))
        rows.append(f"<tr class='{'ok' if s['passed'] else 'ko'}'><td>{escape(s['name'])}</td><td>{marks}</td>"
                    f"<td>{s['pass_hat_k']:.2f}</td><td>{escape(s['known_issue'])}<ul>{details}</ul>"
                    f"<details><summary>transcript</summary>{transcript}</details></td></tr>")
    summary = report["summary"]
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Evaluation {escape(report['started'])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}}tr.ko td:first-child{{color:#a5281b;font-weight:700}}
.customer{{color:#1f4e8c}}.assistant{{color:#333}}details div{{margin:2px 0}}</style></head><body>
<h1>Evaluation — {escape(report['backend'])}, {report['trials']} trial(s)</h1>
<p>{summary['passed']} of {summary['scenarios']} scenarios passed every trial; mean pass^{report['trials']}
{summary['pass_hat_k']}; {summary['input_tokens']} input and {summary['output_tokens']} output tokens;
{report['seconds']} s. Label: {escape(report.get('label') or '—')}.</p>
<table><tr><th>scenario</th><th>trials</th><th>pass^k</th><th>failures</th></tr>{''.join(rows)}</table></body></html>"""


def write_reports(outcomes, summary, meta, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    report = as_json(outcomes, summary, meta)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = directory / f"evaluation-{stamp}.json"
    html_path = directory / f"evaluation-{stamp}.html"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    html_path.write_text(html(report), encoding="utf-8")
    return json_path, html_path


def store_run(outcomes, summary, meta) -> EvaluationRun:
    return EvaluationRun.objects.create(
        finished_at=timezone.now(), backend=meta["backend"], model=meta.get("model", ""), trials=meta["trials"],
        scenarios_total=summary["scenarios"], scenarios_passed=summary["passed"], pass_hat_k=summary["pass_hat_k"],
        input_tokens=summary["input_tokens"], output_tokens=summary["output_tokens"],
        duration_seconds=meta["seconds"], label=meta.get("label", ""),
        results=[{"name": o.scenario.name, "passed": o.passed, "pass_hat_k": o.pass_hat(meta["trials"]),
                  "known_issue": o.scenario.known_issue,
                  "failures": [f for t in o.trials for f in t["failures"]][:10]} for o in outcomes],
    )
