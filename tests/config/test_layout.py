"""The shape of the code: apps that point one way, no import circles, names that do not
collide. Read from the imports of every module of the project, not from a list kept by hand.

    playground -> api -> jobs        playground -> reference        every app -> config
    playground -> checker (a run checked as any API's flow)
    checker -> api -> jobs (the checker's endpoints and limits are the API's, counted in the
    job engine's rate store; a flow is replayed to the clients of the compatibility table)

A module's imports are every import statement in it, at the top or inside a function:
an import that waits until it is called is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ["config", "reference", "jobs", "api", "playground", "checker", "deploy", "benchmarks"]
# What each app may import of the project's other apps (config is everyone's).
MAY_IMPORT = {
    "jobs": {"config", "jobs"},
    "api": {"config", "jobs", "api"},
    "reference": {"config", "reference"},
    "playground": {"config", "jobs", "api", "reference", "checker", "playground"},
    "checker": {"config", "jobs", "api", "checker"},
}
APPS = set(MAY_IMPORT) | {"config"}
# config's wiring names the apps (routes, /healthz); the rest of config, which the apps
# use, imports none of them.
WIRING = {"config.urls", "config.views", "config.wsgi", "config.asgi", "config.settings"}


def project_modules() -> dict[str, Path]:
    """Every module of the project by its dotted name (migrations are history, not code)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = project_modules()


def imported_names(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def project_imports(name: str) -> set[str]:
    """The project's modules this one imports (from a.b import c names a.b.c if it is one)."""
    found = set()
    for imported in imported_names(MODULES[name]):
        if imported in MODULES:
            found.add(imported)
        elif imported.rpartition(".")[0] in MODULES:
            found.add(imported.rpartition(".")[0])
    found.discard(name)
    return found


GRAPH = {name: project_imports(name) for name in MODULES}


def app_of(name: str) -> str:
    return name.split(".", 1)[0]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if app_of(n) in MAY_IMPORT))
def test_an_app_imports_only_the_apps_it_points_to(name: str) -> None:
    allowed = MAY_IMPORT[app_of(name)]
    wrong = sorted(other for other in GRAPH[name] if app_of(other) not in allowed)
    assert wrong == [], f"{name} ({app_of(name)}) imports {wrong}"


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if app_of(n) == "config" and n not in WIRING)
)
def test_what_the_apps_use_of_config_imports_no_app(name: str) -> None:
    wrong = sorted(other for other in GRAPH[name] if app_of(other) != "config")
    assert wrong == [], f"{name} imports {wrong}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if app_of(n) == "jobs"))
def test_the_job_engine_knows_nothing_of_http(name: str) -> None:
    http = sorted(
        imported
        for imported in imported_names(MODULES[name])
        if imported == "django.http" or imported.startswith("django.http.")
    )
    assert http == [], f"{name} imports {http}"


def test_no_import_circle_anywhere() -> None:
    """Tarjan's strongly connected components: a component of more than one module is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for other in sorted(GRAPH[name]):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in on_stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert circles == []


def test_the_checks_see_the_whole_project() -> None:
    # Every app is read, and the graph is not empty: a rule over nothing passes anything.
    assert {app_of(name) for name in MODULES} >= APPS
    assert "jobs.models" in GRAPH["jobs.lifecycle"]
    assert "api.presets" in GRAPH["api.views"]


def test_no_module_shares_its_name_with_a_folder_beside_it() -> None:
    clashes = [
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if path.name != "__init__.py" and path.with_suffix("").is_dir()
    ]
    assert clashes == []


def test_no_two_modules_of_one_app_share_a_name() -> None:
    # api/limits.py (the 429s) and a console page's module of the same name, say, would
    # make "limits" mean two things.
    seen: dict[tuple[str, str], list[str]] = {}
    for name in MODULES:
        leaf = name.rsplit(".", 1)[-1]
        if leaf not in {"__init__", "views", "urls", "apps", "models"} and "." in name:
            seen.setdefault((app_of(name), leaf), []).append(name)
    assert [names for names in seen.values() if len(names) > 1] == []
