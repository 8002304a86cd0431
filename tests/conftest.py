"""Fixtures every test shares: the test database file, and room in the abuse limits.

Tests that start a real worker process (tests/jobs/test_worker.py) need a
test database both processes can open: a file, not an in-memory database. One
file per test process, so concurrent test runs in the same checkout do not
clobber each other. On PostgreSQL (`make test-postgres`) it is Django's own test
database, on the server DATABASE_URL names.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from xdist.scheduler import LoadScopeScheduling

# The tests marked slow, which `make test-fast` leaves out: each starts real servers or
# workers in processes of their own (gunicorn, nginx, supervisord, `make serve`, a
# db_worker), injects faults into them, or runs long (the Nu HTML Checker's Java, the
# fuzzer, the compatibility matrix). Whole modules mark themselves (pytestmark); here,
# single tests by their name, and every test that asks for a live worker or a gunicorn.
SLOW_TESTS = {
    "test_under_gunicorn_replays_never_wait_and_waits_keep_to_their_places",
    "test_the_preview_and_the_refusals_pass_the_nu_html_checker",
}
SLOW_FIXTURES = {"live_worker", "gunicorn_port"}
# What a test asks for to reach the test database (itself, or through a fixture of the
# project's: pytest-django's own fixtures all hold the blocker). A test that reaches it
# by none of them, and has no django_db mark, cannot: pytest-django blocks it. It is
# marked no_database, runs the same on any database, and `make test-postgres` leaves it out.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def reaches_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    if set(info.names_closure) & DATABASE_FIXTURES or "django_db_blocker" in info.argnames:
        return True
    return any(
        "django_db_blocker" in definition.argnames
        for name in info.names_closure
        for definition in info.name2fixturedefs.get(name, ())
        if not definition.func.__module__.startswith("pytest_django")
    )


# The modules whose tests share a costly module-wide fixture (a site of gunicorn and
# workers, the compatibility matrix, flows recorded on it): each runs whole in one
# process, so its site starts once. Every other module's tests are dealt out one by one,
# so that no long file decides when the run ends.
WHOLE = ("tests/clients/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.startswith(WHOLE) else nodeid

    return ModuleScheduling(config, log)


# Started first wherever it runs: it runs every client at once in one process, for
# minutes, and the other processes take the rest meanwhile.
FIRST = "tests/clients/test_compatibility.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] != FIRST)
    for item in items:
        name = getattr(item, "originalname", item.name)
        fixtures = set(getattr(item, "fixturenames", ()))
        if name in SLOW_TESTS or fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if not reaches_database(item):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """pytest-django's hook, run just before it creates the test databases.

    It updates the TEST dict in place: Django has already filled in that dict's
    other keys (MIRROR, MIGRATE, ...) and shares it with the connection. Asking for
    pytest-django's suffix first gives each parallel test process (tests/suite.py)
    a PostgreSQL database of its own, test_<name>_gw0 and so on.
    """
    database: dict[str, Any] = settings.DATABASES["default"]
    if database["ENGINE"] != "config.sqlite_queue":
        return  # PostgreSQL (make test-postgres): Django's test_<name>[_gwN] database
    name = Path(tempfile.gettempdir()) / f"http202-test-{os.getpid()}.sqlite3"
    database.setdefault("TEST", {})["NAME"] = name


@pytest.fixture(autouse=True)
def roomy_limits(settings: Any, tmp_path: Path) -> None:
    """Every test counts its own rate limits, in a file of its own, with room to spare.

    Tests send many requests from one address in a few seconds; the tests of the
    limits themselves (tests/api/test_limits.py) set them low again.
    """
    settings.DEMO_LIMITS_PATH = tmp_path / "limits.sqlite3"
    settings.DEMO_JOBS_PER_MINUTE = 100_000
    settings.DEMO_JOBS_PER_MINUTE_PER_NETWORK = 100_000
    settings.DEMO_POLLS_PER_MINUTE = 100_000
    settings.DEMO_MAX_PENDING_PER_CLIENT = 10_000
    settings.DEMO_MAX_PENDING_PER_NETWORK = 10_000
    settings.DEMO_MAX_PENDING_JOBS = 10_000
