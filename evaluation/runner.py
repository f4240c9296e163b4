"""Running scenarios K times each, in parallel, each trial on a fresh copy of the demo store.

Isolation: the demo store is built once into a template SQLite file (real migrations + DemoStore); each worker
process copies the template over its own database file before every trial. Evaluation therefore never touches
the real database (a team can run it beside production data), refunds made in one trial cannot leak into
another, and trials run in parallel without locking each other. Only the summary (EvaluationRun) is written to
the real database, by the parent process.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from math import comb
from multiprocessing import get_context
from pathlib import Path

from django.conf import settings

from evaluation.scenarios import Scenario

_worker: dict = {}


def build_template(directory: Path) -> Path:
    """Migrate a new SQLite file and load the demo store into it (in a child process: clean settings)."""
    path = directory / "template.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "FAST_PASSWORD_HASHING": "1"}
    env.pop("REDIS_URL", None)
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--conversations", "0"]):
        subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *command], env=env, check=True,
                       capture_output=True, text=True)
    return path


def parse_overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        if not name.isupper() or not _:
            raise ValueError(f"--setting takes NAME=VALUE with an upper-case setting name, not {pair!r}")
        overrides[name] = value
    return overrides


def _coerce(name: str, raw: str):
    current = getattr(settings, name, None)
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if current is not None and type(current).__name__ == "Decimal":
        from decimal import Decimal

        return Decimal(raw)
    return raw


def _init_worker(template: str, workdir: str, backend_name: str, overrides: dict) -> None:
    database = Path(workdir) / f"worker-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import logging

    import django

    django.setup()
    # Settings are read from the environment set above; if anything had configured Django before, this worker
    # would point at the real database: refuse rather than evaluate there.
    from django.db import connections

    if connections["default"].vendor != "sqlite" or connections["default"].settings_dict["NAME"] != str(database):
        raise RuntimeError("an evaluation worker must use its own copy of the demo store")
    logging.disable(logging.WARNING)
    for name, raw in overrides.items():
        setattr(settings, name, _coerce(name, raw))
    _worker.update(template=template, database=database, backend=_make_backend(backend_name))


def _make_backend(name: str):
    if name == "claude":
        from assistant.llm.claude import ClaudeBackend

        return ClaudeBackend()
    from assistant.llm.offline import OfflineBackend

    return OfflineBackend()


def _run_one(scenario: Scenario, trial: int) -> dict:
    from django.db import connections

    from evaluation.trial import run_trial

    connections.close_all()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_worker['database']}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(_worker["template"], _worker["database"])
    result = run_trial(scenario, _worker["backend"], trial)
    connections.close_all()
    return result.as_dict()


@dataclass
class ScenarioOutcome:
    scenario: Scenario
    trials: list[dict] = field(default_factory=list)

    @property
    def successes(self) -> int:
        return sum(t["passed"] for t in self.trials)

    def pass_hat(self, k: int) -> float:
        """tau-bench's estimator of the chance that k tries all succeed: C(c, k) / C(n, k)."""
        n = len(self.trials)
        return comb(self.successes, k) / comb(n, k) if n >= k else 0.0

    @property
    def passed(self) -> bool:
        return self.successes == len(self.trials)


def run(scenarios: list[Scenario], *, backend: str, trials: int, concurrency: int, overrides: dict,
        progress=None) -> list[ScenarioOutcome]:
    outcomes = {s.name: ScenarioOutcome(s) for s in scenarios}
    with tempfile.TemporaryDirectory(prefix="helpdesk-eval-") as workdir:
        template = build_template(Path(workdir))
        jobs = [(s, t) for s in scenarios for t in range(1, trials + 1)]
        with ProcessPoolExecutor(max_workers=concurrency, mp_context=get_context("spawn"),
                                 initializer=_init_worker,
                                 initargs=(str(template), workdir, backend, overrides)) as pool:
            futures = [pool.submit(_run_one, scenario, trial) for scenario, trial in jobs]
            for done, future in enumerate(as_completed(futures), 1):
                result = future.result()
                outcomes[result["scenario"]].trials.append(result)
                if progress:
                    progress(done, len(jobs))
    for outcome in outcomes.values():
        outcome.trials.sort(key=lambda t: t["trial"])
    return list(outcomes.values())
