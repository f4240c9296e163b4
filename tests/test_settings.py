"""Production settings: refuse to start without secrets, and `check --deploy` has nothing to report."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_with_debug_off_the_app_refuses_to_start_without_a_secret_key_and_allowed_hosts():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "set SECRET_KEY and ALLOWED_HOSTS" in result.stderr


def test_check_deploy_reports_nothing_in_production_settings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "DEBUG",
        DEBUG="false", SECRET_KEY="x" * 64 + "-production-secret-for-the-test", ALLOWED_HOSTS="help.example.com",
        EMAIL_URL="smtp://mailer:secret@smtp.example.com:587/?tls=True",  # consolemail:// would drop every email
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
