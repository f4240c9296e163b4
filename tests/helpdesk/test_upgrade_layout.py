"""`manage.py upgrade_layout`: a database made by 0.4 (one `chat` app) keeps its data in the split apps.

The fixture is a demo database made by 0.4 itself (migrate + seed_demo at the last commit before the split), so the
test converts what an existing user really has, with the real management commands, in a separate process.
"""

import gzip
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OLD_DATABASE = Path(__file__).parent / "data" / "db-before-app-split.sqlite3.gz"

pytestmark = pytest.mark.slow


def manage(database: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    environment.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=environment, capture_output=True,
                          text=True, timeout=120)


def count(database: Path, sql: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchone()[0]


OLD_TABLES = ("conversation", "message", "conversationevent", "toolcall")


@pytest.fixture(scope="module")
def old_database(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("old") / "db.sqlite3"
    with gzip.open(OLD_DATABASE) as packed, open(database, "wb") as unpacked:
        shutil.copyfileobj(packed, unpacked)
    return database


@pytest.fixture(scope="module")
def conversion(old_database):
    """The old database's row counts, then `make migrate`'s two steps on it."""
    before = {table: count(old_database, f"select count(*) from chat_{table}") for table in OLD_TABLES}
    return before, manage(old_database, "upgrade_layout"), manage(old_database, "migrate", "--noinput")


def test_a_database_of_the_old_layout_keeps_every_row_in_the_new_apps(old_database, conversion):
    before, converted, migrated = conversion

    assert before["conversation"] and before["message"]
    assert converted.returncode == 0, converted.stderr
    assert "Converted the database" in converted.stdout
    assert migrated.returncode == 0, migrated.stderr
    assert count(old_database, "select count(*) from conversations_conversation") == before["conversation"]
    assert count(old_database, "select count(*) from conversations_message") == before["message"]
    assert count(old_database, "select count(*) from conversations_conversationevent") == before["conversationevent"]
    assert count(old_database, "select count(*) from assistant_toolcall") == before["toolcall"]
    assert count(old_database, "select count(*) from sqlite_master where type = 'table' and name like 'chat%'") == 0


def test_a_converted_database_works_with_the_code_and_has_no_migration_left(old_database, conversion):
    plan = manage(old_database, "showmigrations", "--plan")
    checked = manage(old_database, "shell", "--no-imports", "-c", (
        "from django.contrib.auth.models import User\n"
        "from conversations.models import Conversation\n"
        "from tickets.models import Ticket\n"
        "handoff = Ticket.objects.filter(conversation__isnull=False).select_related('conversation').first()\n"
        "assert handoff.conversation.messages.exists()\n"
        "assert User.objects.get(username='maya').has_perm('conversations.view_support_kpis')\n"
        "print('ok', Conversation.objects.count())"))

    assert plan.returncode == 0 and "[ ]" not in plan.stdout
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().startswith("ok")


def test_converting_twice_or_a_new_database_changes_nothing(old_database, conversion, tmp_path):
    again = manage(old_database, "upgrade_layout")
    fresh = tmp_path / "fresh.sqlite3"
    manage(fresh, "migrate", "--noinput")
    on_fresh = manage(fresh, "upgrade_layout")

    assert again.returncode == 0 and "Converted" not in again.stdout
    assert on_fresh.returncode == 0 and "Converted" not in on_fresh.stdout
    assert count(fresh, "select count(*) from django_migrations where app = 'chat'") == 0
