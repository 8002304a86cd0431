"""The client-compatibility runs: every client against every convention, once per test module.

The site runs as in production, in processes of its own on the test database:
gunicorn, and db_workers at the harness's pace. The clients run as processes too,
many at once; each row's test then asserts its own run, so every row of the table
has a test of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.management import call_command

from api.compatibility_rows import rows_by_key
from checker.replay import NODE_MODULES
from tests.clients.harness import Run, measured_keys, run
from tests.clients.site import Site

# Clients running at once: processes that mostly wait on the server.
PARALLEL = 30
# Verdicts that take the longest to reach: their runs start first.
SLOW_VERDICTS = ("never-stopped", "gave-up")


# The site lives as long as the module that asks for it: its workers must not run the
# jobs of the tests that follow in the same test process, on the same database.
@pytest.fixture(scope="module")
def site(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    with django_db_blocker.unblock():
        started = Site(tmp_path_factory.mktemp("compatibility"))
        try:
            started.wait_until_healthy()
            yield started
        finally:
            started.stop()
            # What the runs left in the database is no other test's business.
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def observed(site: Site, django_db_blocker: Any) -> dict[tuple[str, str, str], Run]:
    if not (NODE_MODULES / "@azure" / "core-lro").is_dir():
        pytest.fail("the JavaScript clients are not installed: run `make test` (npm ci)")
    table = rows_by_key()
    keys = sorted(
        measured_keys(),
        key=lambda key: key not in table or table[key].verdict not in SLOW_VERDICTS,
    )
    with django_db_blocker.unblock(), ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        runs = list(
            pool.map(
                lambda key: run(
                    client=key[0],
                    convention=key[1],
                    scenario=key[2],
                    origin=site.origin,
                    access_log=site.access_log,
                ),
                keys,
            )
        )
    return {measured.key: measured for measured in runs}
