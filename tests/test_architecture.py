"""The house rules are checked, not wished: `lint-imports` passes on the tree and fails on a deliberate breach.

Each breach is written into a copy of the apps, in a separate process, so the real tree is never touched.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
APPS = ["helpdesk", "orders", "faq", "tickets", "conversations", "assistant", "chat", "desk", "analytics",
        "evaluation", "operations", "storefront"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = [pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")]


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True, timeout=120)


@pytest.fixture
def copy_of_the_apps(tmp_path) -> Path:
    for app in APPS:
        shutil.copytree(REPO / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static",
                                                                                   "templates", "locale"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_the_tree_keeps_every_contract(copy_of_the_apps):
    result = lint_imports(copy_of_the_apps)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(copy_of_the_apps):
    add_line(copy_of_the_apps / "tickets" / "services.py", "from desk import takeover  # noqa")

    result = lint_imports(copy_of_the_apps)

    assert result.returncode != 0
    assert "tickets.services -> desk.takeover" in result.stdout


def test_the_customer_chat_importing_the_desk_breaks_their_independence(copy_of_the_apps):
    add_line(copy_of_the_apps / "chat" / "consumers.py", "from desk.permissions import is_support_agent  # noqa")

    result = lint_imports(copy_of_the_apps)

    assert result.returncode != 0
    assert "chat.consumers -> desk.permissions" in result.stdout


def test_a_function_level_import_that_closes_a_cycle_is_caught(copy_of_the_apps):
    add_line(copy_of_the_apps / "assistant" / "prompts.py",
             "def _late():\n    from assistant import guardrails  # noqa\n    return guardrails")

    result = lint_imports(copy_of_the_apps)

    assert result.returncode != 0
    assert "No import cycles" in result.stdout and "BROKEN" in result.stdout


def test_the_llm_seam_importing_a_domain_module_is_refused(copy_of_the_apps):
    add_line(copy_of_the_apps / "assistant" / "llm" / "offline.py", "from orders import policy  # noqa")

    result = lint_imports(copy_of_the_apps)

    assert result.returncode != 0
    assert "assistant.llm.offline -> orders.policy" in result.stdout
