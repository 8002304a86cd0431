"""The shape of the code: small modules, names that do not collide, layers that point down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ["config", "reference", "playground", "benchmarks"]
MAX_LINES = 400
# The job layer: what jobs are and how they run, knowing nothing of HTTP.
JOB_LAYER = [
    "playground/models.py",
    "playground/jobs.py",
    "playground/idempotency.py",
    "playground/recovery.py",
    "playground/retention.py",
    "playground/heartbeat.py",
    "playground/tasks.py",
    "playground/mail.py",
    "playground/work",
]


def application_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def job_layer_modules() -> list[Path]:
    found: list[Path] = []
    for entry in JOB_LAYER:
        path = ROOT / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


@pytest.mark.parametrize(
    "path", application_modules(), ids=lambda path: str(path.relative_to(ROOT))
)
def test_no_application_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def test_no_module_shares_its_name_with_a_folder_beside_it() -> None:
    clashes = [
        str(path.relative_to(ROOT))
        for path in application_modules()
        if path.name != "__init__.py" and path.with_suffix("").is_dir()
    ]
    assert clashes == []


@pytest.mark.parametrize("path", job_layer_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_job_layer_knows_nothing_of_http(path: Path) -> None:
    imports = imported_modules(path)
    upward = sorted(
        name
        for name in imports
        if name.startswith(("playground.api", "django.http", "playground.views"))
    )
    assert upward == [], f"{path.relative_to(ROOT)} imports {upward}"


def test_playground_does_not_reach_into_the_reference_apps_internals() -> None:
    # What both apps need lives in config/site.py; playground reads the reference's
    # content through its catalog only.
    for path in (ROOT / "playground").rglob("*.py"):
        reaching = sorted(
            name
            for name in imported_modules(path)
            if name.startswith("reference.")
            and not name.startswith("reference.catalog")
            and not name.startswith("reference.schema")
        )
        assert reaching == [], f"{path.relative_to(ROOT)} imports {reaching}"
