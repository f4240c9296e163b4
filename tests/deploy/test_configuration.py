"""deploy/: its production settings pass Django's deployment checks, and stack.py renders configurations nginx
accepts, or refuses settings it cannot run with in one clear line."""

import importlib.util
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def load_stack():
    spec = importlib.util.spec_from_file_location("deploy_stack", ROOT / "deploy" / "stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stack = load_stack()


def production_env() -> dict:
    values = stack.read_dotenv(ROOT / "deploy" / "production.env.example")
    values["SECRET_KEY"] = secrets.token_urlsafe(50)  # the example's placeholder is meant to be replaced
    return values


def test_the_production_settings_pass_the_deployment_checks(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **production_env(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}"}
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_example_leaves_no_secret_filled_in():
    values = stack.read_dotenv(ROOT / "deploy" / "production.env.example")
    for name in ("SECRET_KEY", "METRICS_TOKEN", "ANTHROPIC_API_KEY"):
        assert values[name].startswith("change-me")


def rendered(tmp_path, **overrides) -> tuple[dict, dict]:
    env = {"RUNTIME_DIR": str(tmp_path / "run"), "NGINX": NGINX, "SECRET_KEY": "x" * 50, **overrides}
    return stack.settings_from(env)


def test_the_rendered_nginx_configuration_is_accepted_by_nginx(tmp_path):
    require_service(Path(NGINX).exists(), "nginx is not installed (make deploy-deps)")
    values, _ = rendered(tmp_path, PORT="18080", WEB_PROCESSES="3")
    (tmp_path / "run" / "log").mkdir(parents=True)
    conf = tmp_path / "run" / "nginx.conf"
    conf.write_text(stack.render((ROOT / "deploy" / "nginx.conf.template").read_text(), values))
    done = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = conf.read_text()
    assert "listen 18080;" in text and "server 127.0.0.1:18081" in text and "{{" not in text


def test_the_supervisor_configuration_runs_the_asked_number_of_daphne_processes(tmp_path):
    values, _ = rendered(tmp_path, WEB_PROCESSES="3", SHUTDOWN_DRAIN_SECONDS="30")
    text = stack.render((ROOT / "deploy" / "supervisord.conf.template").read_text(), values)
    assert "numprocs=3" in text and "manage.py serve --fd 0 --proxy-headers" in text
    assert "stopwaitsecs=45" in text  # the drain bound and some room


def test_the_processes_get_production_defaults_without_overriding_what_is_set(tmp_path):
    _, env = rendered(tmp_path, PORT="9000", ALLOWED_HOSTS="help.example.com", REDIS_URL="redis://r:6379/2")
    assert env["DEBUG"] == "false" and env["HTTPS"] == "false" and env["LOG_FORMAT"] == "json"
    assert env["ALLOWED_HOSTS"] == "help.example.com" and env["REDIS_URL"] == "redis://r:6379/2"
    assert env["PUBLIC_URL"] == "http://127.0.0.1:9000"
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "run" / "metrics")


def test_tls_certificates_turn_https_on(tmp_path):
    values, env = rendered(tmp_path, TLS_CERT="/etc/ssl/cert.pem", TLS_KEY="/etc/ssl/key.pem", PORT="443",
                           SERVER_NAME="help.example.com")
    assert env["HTTPS"] == "true" and env["PUBLIC_URL"] == "https://help.example.com"
    assert values["LISTEN"] == "443 ssl" and "ssl_certificate /etc/ssl/cert.pem;" in values["TLS_LISTEN"]


def test_a_missing_secret_key_is_generated_once_and_kept(tmp_path):
    _, first = stack.settings_from({"RUNTIME_DIR": str(tmp_path / "run"), "NGINX": NGINX})
    _, again = stack.settings_from({"RUNTIME_DIR": str(tmp_path / "run"), "NGINX": NGINX})
    assert len(first["SECRET_KEY"]) >= 50 and first["SECRET_KEY"] == again["SECRET_KEY"]


@pytest.mark.parametrize("overrides, says", [
    ({"TLS_CERT": "/etc/ssl/cert.pem"}, "TLS_CERT and TLS_KEY"),
    ({"REDIS_URL": "", "WEB_PROCESSES": "2"}, "REDIS_URL"),
    ({"WEB_PROCESSES": "0"}, "WEB_PROCESSES"),
])
def test_settings_the_stack_cannot_run_with_are_refused_in_one_line(tmp_path, overrides, says):
    with pytest.raises(stack.StackError, match=says):
        rendered(tmp_path, **overrides)


def test_a_placeholder_without_a_value_is_an_error():
    with pytest.raises(stack.StackError, match="NOPE"):
        stack.render("listen {{NOPE}};", {})



def test_a_machine_without_nginx_is_told_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "find_nginx", lambda: "")
    with pytest.raises(stack.StackError, match="apt install nginx"):
        rendered(tmp_path, NGINX="")


def test_a_database_that_does_not_answer_is_said_in_one_line(tmp_path):
    require_service(Path(NGINX).exists(), "nginx is not installed (make deploy-deps)")
    values, env = rendered(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite3'}",
                           REDIS_URL="", WEB_PROCESSES="1")
    with pytest.raises(stack.StackError, match=r"manage.py migrate failed: .*unable to open database file"):
        stack.prepare(values, env)
    assert "Traceback" in (tmp_path / "run" / "log" / "migrate.log").read_text()
