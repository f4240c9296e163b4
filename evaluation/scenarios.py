"""Scenario files (evals/scenarios/*.yaml): loading and validation with errors that name the file and field."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings


def scenario_dir() -> Path:
    return Path(settings.BASE_DIR) / "evals" / "scenarios"


EXPECT_KEYS = {"tools", "not_called", "refund", "ticket", "status", "language", "events", "mentions", "faq",
               "no_tools"}


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    customer: str  # an email of a demo customer (logged in) or "guest"
    language: str
    turns: list[str]
    expect: dict
    description: str = ""
    tags: list[str] = field(default_factory=list)
    known_issue: str = ""

    @property
    def logged_in(self) -> bool:
        return self.customer != "guest"


def _fail(path: Path, message: str):
    raise ScenarioError(f"{path.name}: {message}")


def load_scenario(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        _fail(path, f"not valid YAML ({error})")
    if not isinstance(data, dict):
        _fail(path, "a scenario is a mapping with customer, language, turns and expect")
    unknown = set(data) - {"name", "description", "customer", "language", "turns", "expect", "tags", "known_issue"}
    if unknown:
        _fail(path, f"unknown field(s): {', '.join(sorted(unknown))}")
    customer = data.get("customer")
    if not isinstance(customer, str) or not (customer == "guest" or "@" in customer):
        _fail(path, "customer must be a demo customer's email or 'guest'")
    language = data.get("language", "en")
    if language not in ("en", "fr"):
        _fail(path, "language must be en or fr")
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        _fail(path, "turns must be a non-empty list of messages")
    expect = data.get("expect")
    if not isinstance(expect, dict) or not expect:
        _fail(path, "expect must be a mapping of checks")
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        _fail(path, f"expect has unknown check(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(EXPECT_KEYS))})")
    for index, tool in enumerate(expect.get("tools", [])):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            _fail(path, f"expect.tools[{index}] needs a name")
    if "refund" in expect and not (expect["refund"] == "none" or isinstance(expect["refund"], dict)):
        _fail(path, "expect.refund is 'none' or a mapping with order and amount")
    if "ticket" in expect and not (expect["ticket"] == "none" or isinstance(expect["ticket"], dict)):
        _fail(path, "expect.ticket is 'none' or a mapping with kind and priority")
    return Scenario(
        name=data.get("name") or path.stem, path=str(path), customer=customer, language=language, turns=turns,
        expect=expect, description=data.get("description", ""), tags=list(data.get("tags", [])),
        known_issue=data.get("known_issue", ""),
    )


def load_scenarios(directory: Path | None = None, names: list[str] | None = None) -> list[Scenario]:
    scenarios = [load_scenario(path) for path in sorted((directory or scenario_dir()).glob("*.yaml"))]
    if names:
        wanted = set(names)
        missing = wanted - {s.name for s in scenarios}
        if missing:
            raise ScenarioError(f"no scenario named {', '.join(sorted(missing))}")
        scenarios = [s for s in scenarios if s.name in wanted]
    return scenarios
