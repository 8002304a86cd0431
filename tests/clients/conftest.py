"""The client-compatibility runs: every client against every convention, once per test module.

The site runs as in production, in processes of its own on the test database:
gunicorn, and db_workers at the harness's pace. The clients run as processes too,
many at once; each row's test then asserts its own run, so every row of the table
has a test of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from api.compatibility_rows import rows_by_key
from tests.clients.harness import LEASE_TIMEOUT, NODE_MODULES, PACE, Run, measured_keys, run
from tests.helpers import database_env, free_port, wait_for, worker_command

GUNICORN = Path(sys.executable).with_name("gunicorn")
# Clients running at once: processes that mostly wait on the server.
PARALLEL = 30
WORKERS = 2
# Verdicts that take the longest to reach: their runs start first.
SLOW_VERDICTS = ("never-stopped", "gave-up")


class Site:
    """gunicorn and db_workers on the test database, stopped (and their logs shown) at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        # gunicorn's log: one line per request answered, its path included.
        self.access_log = folder / "web.log"
        self.env = {
            **{key: value for key, value in os.environ.items() if key != "REDIS_URL"},
            **database_env(),
            "DEMO_PACE": str(PACE),
            # A lost-by-worker job's lease runs out within every client's deadline.
            "DEMO_LEASE_TIMEOUT": str(LEASE_TIMEOUT),
            "DEMO_LIMITS_PATH": str(folder / "limits.sqlite3"),
            "DEMO_UPLOAD_DIR": str(folder / "uploads"),
            # Room for every client at once: all of them come from 127.0.0.1.
            "DEMO_JOBS_PER_MINUTE": "100000",
            "DEMO_POLLS_PER_MINUTE": "100000",
            "DEMO_MAX_PENDING_PER_CLIENT": "10000",
            "DEMO_MAX_PENDING_PER_NETWORK": "10000",
            "DEMO_MAX_PENDING_JOBS": "10000",
            "DEMO_MAX_JOBS_PER_CLIENT": "100000",
            # Every client runs from 127.0.0.1, dozens at once: one address's shares of
            # the queue's work and storage would refuse them.
            "DEMO_JOBS_PER_MINUTE_PER_NETWORK": "100000",
            "DEMO_MAX_PENDING_WORK_PER_CLIENT": "10000000",
            "DEMO_MAX_STORED_BYTES_PER_CLIENT": "10000000000",
            "DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT": "10000000000",
            "DEMO_CONSOLE_REQUESTS_PER_MINUTE": "100000",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []
        # Served as in production (deploy/gunicorn.conf.py), with threads for every client.
        self.env |= {"HOST": "127.0.0.1", "PORT": str(self.port)}
        self.env |= {"WEB_CONCURRENCY": "2", "WEB_THREADS": "16"}
        config = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"
        self.start("web", [str(GUNICORN), "--config", str(config), "config.wsgi:application"])
        for n in range(WORKERS):
            self.start(f"worker-{n}", worker_command(f"compatibility-{n}"))

    def wait_until_healthy(self) -> None:
        wait_for(self.healthy, timeout=60, what="the site and its workers")

    def start(self, name: str, command: list[str]) -> None:
        with (self.folder / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                command,
                env=self.env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # gunicorn's workers are stopped with their master
            )
        self.started.append((name, process))

    def healthy(self) -> bool:
        return requests.get(f"{self.origin}/healthz", timeout=5).status_code == 200

    def stop(self) -> None:
        for name, process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
            log = (self.folder / f"{name}.log").read_text(errors="replace")
            print(f"--- {name} (exit {process.returncode}) ---\n{log[-3000:]}")


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
