"""The evaluation harness: scenario validation, the checks, the command on both backends, a broken policy."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluation.models import EvaluationRun
from evaluation.scenarios import ScenarioError, load_scenario, load_scenarios
from evaluation.trial import Observation, check
from tests.conftest import claude_settings
from tests.factories import StaffFactory
from tests.fakes.offline_model import offline_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_model_answers():
    """None: `offline_model` plays the small model too, scoring what the scenarios' customers say."""
    return None


def scenario_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def test_a_malformed_scenario_gets_an_error_naming_the_file_and_the_field(tmp_path):
    with pytest.raises(ScenarioError, match="broken.yaml: turns must be a non-empty list"):
        load_scenario(scenario_file(tmp_path, "customer: guest\nturns: []\nexpect: {status: bot}\n"))
    with pytest.raises(ScenarioError, match="broken.yaml: expect has unknown check.*wording"):
        load_scenario(scenario_file(tmp_path, "customer: guest\nturns: [hi]\nexpect: {wording: hello}\n"))
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(scenario_file(tmp_path, "customer: [guest\n"))


def test_the_suite_has_at_least_forty_scenarios_covering_the_source_scope():
    scenarios = load_scenarios()
    tags = {tag for s in scenarios for tag in s.tags}
    assert len(scenarios) >= 40
    assert {"order-status", "refunds", "faq", "tickets", "escalation", "abuse", "guardrails", "injection",
            "source", "french"} <= tags


def test_checks_are_made_on_tools_money_tickets_and_language_not_on_wording():
    scenario = load_scenarios(names=["refund-within-window"])[0]
    seen = Observation(
        tool_calls=[{"name": "process_refund", "input": {"order_id": "ORD-78432", "reason": "defective"}, "ok": True}],
        refunds=[{"order": "ORD-78432", "amount": "89.99", "reason": "defective", "status": "completed"}],
        assistant_texts=["Your refund of $89.99 has been initiated."])
    assert check(scenario, seen) == []
    seen.refunds.append(dict(seen.refunds[0]))
    seen.assistant_texts.append("Votre remboursement a été effectué, vous le recevrez bientôt.")
    seen.leaks = ["jane.cooper@example.com"]
    failures = check(scenario, seen)
    assert any("exactly one refund" in f for f in failures)
    assert any("not in en" in f for f in failures)
    assert any("another customer's data" in f for f in failures)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_whole_suite_passes_on_the_offline_backend_and_is_recorded(tmp_path):
    out = StringIO()
    call_command("evaluate", "--backend", "offline", "--report-dir", str(tmp_path), "--label", "ci", stdout=out)
    run = EvaluationRun.objects.get()
    assert run.scenarios_passed == run.scenarios_total >= 40 and run.pass_hat_k == 1.0 and run.label == "ci"
    assert "scenarios passed every trial" in out.getvalue()
    assert list(tmp_path.glob("*.json")) and list(tmp_path.glob("*.html"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_refund_window_broken_to_three_days_fails_the_refund_scenarios(tmp_path):
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("evaluate", "--backend", "offline", "--setting", "REFUND_WINDOW_DAYS=3", "--no-store",
                     "--report-dir", str(tmp_path), stdout=out)
    assert exit_.value.code == 1
    failed = {line.split()[1] for line in out.getvalue().splitlines() if line.startswith("✘ ")}
    assert failed == {"refund-within-window", "source-example-conversation", "refund-partial-amount",
                      "refund-asked-twice-pays-once", "refund-guest-verified-with-email",
                      "refund-changed-mind-french", "refund-over-the-cap-needs-approval"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_scenario_runs_through_the_claude_backend_against_the_fake_api(tmp_path, monkeypatch, fake_api_in_thread):
    fake_api_in_thread.responder = offline_model
    for name, value in claude_settings(fake_api_in_thread).items():
        monkeypatch.setenv(name, str(value))  # read by the evaluation's worker processes
    out = StringIO()
    call_command("evaluate", "--backend", "claude", "--scenario", "source-example-conversation",
                 "--scenario", "escalation-explicit-request-french", "--report-dir", str(tmp_path), stdout=out)
    assert "2/2 scenarios passed" in out.getvalue()
    assert any(r.body.get("stream") and r.status == 200 for r in fake_api_in_thread.requests)
    assert EvaluationRun.objects.get().backend == "claude"


def test_an_unknown_scenario_name_is_a_clear_error():
    with pytest.raises(CommandError, match="no scenario named nope"):
        call_command("evaluate", "--scenario", "nope")


def test_the_admin_lists_the_latest_runs_with_their_pass_rates(client):
    EvaluationRun.objects.create(backend="offline", scenarios_total=10, scenarios_passed=8, pass_hat_k=0.8)
    EvaluationRun.objects.create(backend="offline", scenarios_total=10, scenarios_passed=10, pass_hat_k=1.0,
                                 label="new FAQ", results=[{"name": "faq-shipping-en", "passed": True}])
    client.force_login(StaffFactory(is_superuser=True))
    page = client.get(reverse("admin:evaluation_evaluationrun_changelist")).content.decode()
    assert "new FAQ" in page and "100%" in page and "80%" in page and "▲ 20%" in page


def test_the_evaluation_runs_the_offline_assistant_without_pacing_whatever_the_setting(settings):
    from evaluation.runner import _make_backend

    settings.OFFLINE_WORDS_PER_SECOND = 30.0
    assert _make_backend("offline").pause == 0.0
