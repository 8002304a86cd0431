"""The site as in production, in processes of its own on the test database: gunicorn, and
db_workers at a given pace (the compatibility runs' by default). The compatibility runs
and the checker's replay tests record and measure against it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from django.conf import settings

from tests.clients.harness import LEASE_TIMEOUT, PACE
from tests.helpers import database_env, free_port, wait_for, worker_command

GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 2


class Site:
    """gunicorn and db_workers on the test database, stopped (and their logs shown) at the end."""

    def __init__(self, folder: Path, *, pace: float = PACE) -> None:
        self.folder = folder
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        # gunicorn's log: one line per request answered, its path included.
        self.access_log = folder / "web.log"
        self.env = {
            **{key: value for key, value in os.environ.items() if key != "REDIS_URL"},
            **database_env(),
            "DEMO_PACE": str(pace),
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
