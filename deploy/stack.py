"""The production stack on one host, in the foreground: nginx in front of WEB_PROCESSES daphne processes, under
supervisor, on PostgreSQL and Redis. `make production` runs it; so does deploy/helpdesk.service on a server.

    WEB_PROCESSES=4 PORT=8000 DATABASE_URL=postgres://… REDIS_URL=redis://… python deploy/stack.py

Settings come from the environment or the project's .env (as for `make run`), the production defaults below
filling in what is not set. It renders deploy/*.template into RUNTIME_DIR (default .production/), applies the
migrations, collects the static files (nginx serves them), then becomes supervisord: Ctrl-C or SIGTERM stops
nginx and drains every daphne process (operations.serving).
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


class StackError(Exception):
    """A setting the stack cannot run with: said in one line, no traceback."""


def read_dotenv(path: Path) -> dict:
    """KEY=value lines of .env (comments and blank lines skipped, quotes stripped): what settings.py reads."""
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def render(template: str, values: dict) -> str:
    """Fill `{{NAME}}` placeholders; a name without a value is an error (not an empty string in a config)."""
    def fill(match):
        name = match.group(1)
        if name not in values:
            raise StackError(f"template placeholder {name} has no value")
        return str(values[name])
    return re.sub(r"\{\{([A-Z_]+)\}\}", fill, template)


def find_nginx() -> str:
    """nginx on the PATH, or where Debian puts it (/usr/sbin is not on every user's PATH); "" if neither."""
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")


def settings_from(environ: dict) -> tuple[dict, dict]:
    """(what the templates need, the environment of every process) from the environment and .env."""
    env = {**read_dotenv(ROOT / ".env"), **environ}
    port = int(env.get("PORT", "8000"))
    processes = int(env.get("WEB_PROCESSES", "2"))
    if processes < 1:
        raise StackError("WEB_PROCESSES must be at least 1")
    runtime = Path(env.get("RUNTIME_DIR", ROOT / ".production")).resolve()
    tls_cert, tls_key = env.get("TLS_CERT", ""), env.get("TLS_KEY", "")
    if bool(tls_cert) != bool(tls_key):
        raise StackError("set both TLS_CERT and TLS_KEY (or neither, for plain HTTP)")
    https = bool(tls_cert)
    server_name = env.get("SERVER_NAME", "_")
    hosts = ["127.0.0.1", "localhost"] + ([server_name] if server_name != "_" else [])
    drain = float(env.get("SHUTDOWN_DRAIN_SECONDS", "20"))
    nginx = env.get("NGINX") or find_nginx()
    if not nginx:
        raise StackError("nginx is not installed (Debian: apt install nginx)")

    process_env = dict(env)
    process_env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk")
    process_env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not process_env["REDIS_URL"] and processes > 1:
        raise StackError("several processes need REDIS_URL (the channel layer between them)")
    process_env.setdefault("DEBUG", "false")
    process_env.setdefault("ALLOWED_HOSTS", ",".join(hosts))
    process_env.setdefault("HTTPS", "true" if https else "false")
    scheme = "https" if process_env["HTTPS"].lower() in ("1", "true", "yes", "on") else "http"
    public_host = server_name if server_name != "_" else "127.0.0.1"
    process_env.setdefault("PUBLIC_URL", f"{scheme}://{public_host}" + ("" if https else f":{port}"))
    process_env.setdefault("LOG_FORMAT", "json")
    process_env["SHUTDOWN_DRAIN_SECONDS"] = str(drain)
    process_env["PROMETHEUS_MULTIPROC_DIR"] = str(runtime / "metrics")
    process_env["PYTHONUNBUFFERED"] = "1"
    if not process_env.get("SECRET_KEY"):
        key_file = runtime / "secret_key"
        if not key_file.exists():
            runtime.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        process_env["SECRET_KEY"] = key_file.read_text().strip()
        print(f"SECRET_KEY is not set: using the one generated in {key_file}", file=sys.stderr)

    listen = f"{port} ssl" if https else str(port)
    values = {
        "ROOT": ROOT, "PYTHON": sys.executable, "NGINX": nginx, "RUNTIME_DIR": runtime, "LOG_DIR": runtime / "log",
        "WEB_PROCESSES": processes, "WEB_PORT": int(env.get("WEB_PORT", port + 1)), "LISTEN": listen,
        "SERVER_NAME": server_name, "STATIC_ROOT": ROOT / ".staticfiles", "STOP_WAIT_SECONDS": int(drain) + 15,
        "TLS_LISTEN": (f"        ssl_certificate {tls_cert};\n        ssl_certificate_key {tls_key};\n"
                       "        ssl_protocols TLSv1.2 TLSv1.3;") if https else "",
        # With TLS, plain HTTP on port 80 only redirects (binding it needs the privilege to).
        "TLS_REDIRECT": ("    server {\n        listen 80;\n        server_name " + server_name + ";\n"
                         "        return 301 https://$host$request_uri;\n    }") if https else "",
    }
    return values, process_env


def prepare(values: dict, process_env: dict) -> Path:
    """Render the configs, empty the metrics directory, migrate, collect static files. Returns supervisord.conf."""
    runtime = Path(values["RUNTIME_DIR"])
    for directory in (runtime, Path(values["LOG_DIR"])):
        directory.mkdir(parents=True, exist_ok=True)
    metrics = Path(process_env["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(metrics, ignore_errors=True)  # values of processes that ran before are not this run's
    metrics.mkdir()
    (runtime / "nginx.conf").write_text(render((DEPLOY / "nginx.conf.template").read_text(), values))
    supervisord_conf = runtime / "supervisord.conf"
    supervisord_conf.write_text(render((DEPLOY / "supervisord.conf.template").read_text(), values))
    test = subprocess.run([values["NGINX"], "-t", "-q", "-c", str(runtime / "nginx.conf")], capture_output=True,
                          text=True)
    if test.returncode:
        raise StackError(f"nginx refused its configuration: {test.stderr.strip()}")
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        # No connection pool for a one-off command: its error would hide the database's own ("does not exist").
        done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT,
                              env={**process_env, "DATABASE_POOL_SIZE": "0"}, stderr=subprocess.PIPE, text=True)
        if done.returncode:
            # The exception's last line says it ('database "helpdesk" does not exist'); the rest is in the log.
            (Path(values["LOG_DIR"]) / f"{command[0]}.log").write_text(done.stderr)
            reason = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "")
            raise StackError(f"manage.py {command[0]} failed: {reason.strip()} "
                             f"(DATABASE_URL={mask(process_env['DATABASE_URL'])}; details in "
                             f"{values['LOG_DIR']}/{command[0]}.log)")
    return supervisord_conf


def main() -> None:
    try:
        values, process_env = settings_from(dict(os.environ))
        supervisord_conf = prepare(values, process_env)
    except StackError as error:
        sys.exit(f"make production: {error}")
    scheme = "https" if values["TLS_LISTEN"] else "http"
    print(f"\n  Helpdesk (production stack): {scheme}://127.0.0.1:{values['LISTEN'].split()[0]}/\n"
          f"  {values['WEB_PROCESSES']} daphne processes behind nginx, on {mask(process_env['DATABASE_URL'])} and "
          f"{mask(process_env['REDIS_URL'])}\n"
          f"  Logs:     {values['LOG_DIR']}/\n"
          f"  Control:  {Path(sys.executable).parent}/supervisorctl -c {supervisord_conf} status\n", flush=True)
    supervisord = str(Path(sys.executable).parent / "supervisord")
    os.execve(supervisord, [supervisord, "-n", "-c", str(supervisord_conf)], process_env)


def mask(url: str) -> str:
    """A URL without its password, for the banner."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:…@", url)


if __name__ == "__main__":
    main()
