"""The compatibility table, measured: every client, every convention, every scenario, for real.

Each measured row of the table is asserted against a run of the real
client (a library, a hand-written loop, or one of the example clients /202/ shows)
on a live server with real workers (the runs: tests/clients/conftest.py). A client
library whose behaviour changes, or a server whose answers change, fails here
until its rows are measured again.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils.html import escape

from api.compatibility import (
    CLIENTS,
    CLIENTS_BY_ID,
    CONVENTION_IDS,
    VERDICTS,
)
from api.compatibility_rows import ROWS, rows_by_key
from checker.replay import COMMANDS, FURTHER_REQUESTS, NODE_MODULES
from tests.clients.harness import (
    claimed_conventions,
    measured_keys,
    run,
)

pytestmark = pytest.mark.slow

MEASURED = measured_keys()


# The runs need the test database, which pytest-django creates only for tests
# marked so; the runs themselves commit (the fixture empties it after them).
@pytest.mark.django_db
@pytest.mark.parametrize("key", MEASURED, ids="-".join)
def test_the_client_concludes_what_its_row_says(key: tuple[str, str, str], observed: Any) -> None:
    row = rows_by_key().get(key)
    measured = observed[key]
    said = row.verdict if row else "no row"
    assert row is not None and measured.verdict == row.verdict, (
        f"observed {measured.describe()}; the table says {said}"
    )


@pytest.mark.django_db
def test_a_lost_by_worker_job_was_lost_for_real(observed: Any) -> None:
    # A client that waited for the result met the retry: the job's second attempt.
    finished = [
        run
        for run in observed.values()
        if run.scenario == "lost-by-worker" and run.job_status == "succeeded"
    ]
    assert finished
    assert [run.describe() for run in finished if run.job_attempts != 2] == []


# A client that takes no answer for an end: POST, then GET Location again and again.
KEEPS_POLLING = """
import sys, time, requests
r = requests.post(sys.argv[1], data=sys.argv[2], headers={"Content-Type": "application/json"})
monitor = requests.compat.urljoin(sys.argv[1], r.headers["Location"])
while True:
    requests.get(monitor, allow_redirects=False)
    time.sleep(0.2)
"""


# Outside a test transaction: on SQLite, the read lock one holds would keep the site
# from writing the job.
@pytest.mark.django_db(transaction=True)
def test_a_client_still_asking_once_the_job_has_ended_never_stopped(
    site: Any, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        measured = run(
            client="naive-requests",
            convention="rfc9110",
            scenario="success",
            origin=site.origin,
            access_log=site.access_log,
            command=lambda url, body, deadline: [sys.executable, "-c", KEEPS_POLLING, url, body],
        )
    assert measured.verdict == "never-stopped", measured.describe()
    assert measured.job_status == "succeeded"
    assert measured.requests_after_end >= FURTHER_REQUESTS


def test_the_rows_and_the_runs_cover_each_other_exactly() -> None:
    keys = [row.key for row in ROWS]
    assert len(keys) == len(set(keys)), "a row is there twice"
    assert set(keys) == set(MEASURED)


def test_every_row_speaks_of_known_things_and_a_wrong_verdict_says_why() -> None:
    for row in ROWS:
        assert row.client in CLIENTS_BY_ID, row
        assert row.convention in CONVENTION_IDS, row
        assert row.verdict in VERDICTS, row
        assert row.is_right or row.why, f"{row.key}: a wrong verdict says why"


def test_every_client_has_a_command() -> None:
    assert set(COMMANDS) == set(CLIENTS_BY_ID)


@pytest.mark.parametrize("client", [c.id for c in CLIENTS if c.id.startswith("example-")])
def test_an_example_client_handles_every_convention_it_claims(client: str) -> None:
    claimed = claimed_conventions(client)
    assert claimed and set(claimed) <= set(CONVENTION_IDS)
    wrong = [row.key for row in ROWS if row.client == client and not row.is_right]
    assert wrong == []


def installed_version(registry: str, name: str) -> str:
    if registry == "pypi":
        return importlib.metadata.version(name)
    manifest = Path(NODE_MODULES, *name.split("/"), "package.json")
    return str(json.loads(manifest.read_text())["version"])


@pytest.mark.parametrize(
    ("registry", "name", "version"),
    sorted({package for client in CLIENTS for package in client.packages}),
)
def test_the_rows_were_measured_with_the_installed_libraries(
    registry: str, name: str, version: str
) -> None:
    assert installed_version(registry, name) == version, (
        f"{name} {installed_version(registry, name)} is installed; the rows were measured "
        f"with {version}: measure them again"
    )


def test_the_page_and_the_api_show_the_measured_rows_and_nothing_else(client: Any) -> None:
    body = client.get("/playground/clients/").content.decode()
    tables = body[body.index('class="compatibility"') : body.index("</main>")]
    assert tables.count('class="verdict verdict--right"') == sum(row.is_right for row in ROWS)
    assert tables.count('class="verdict verdict--wrong"') == sum(not row.is_right for row in ROWS)
    for row in ROWS:
        assert escape(row.why) in tables
    served = client.get("/api/conventions").json()["compatibility"]
    assert served == [row.to_json() for row in ROWS]
