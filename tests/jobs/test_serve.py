"""`make run`'s command, for real: the web server and the worker, started and stopped together."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.helpers import free_port, processes_using, wait_for

# Slow: real servers or workers in processes of their own (make test-fast leaves it out).
pytestmark = pytest.mark.slow

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def call(port: int, method: str, path: str, body: Any = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(
        method, path, body=json.dumps(body) if body is not None else None, headers=headers
    )
    response = connection.getresponse()
    response.read()  # the body is read so the connection can close cleanly
    return response


def test_serve_runs_the_site_with_its_worker_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    database = tmp_path / "site.sqlite3"
    env = {
        # `make run`'s own SQLite file, whatever database the tests use.
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "DATABASE_PATH": str(database),
        "DEMO_PACE": "0.05",
        "DEMO_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120)
    port = free_port()
    serve = subprocess.Popen(
        [*MANAGE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # /healthz answers 200 only once the worker's heartbeat is in.
        wait_for(lambda: call(port, "GET", "/healthz").status == 200, timeout=60, what="/healthz")
        accepted = call(
            port,
            "POST",
            "/api/emails/bulk",
            {"subject": "Hi", "body": "Hello {name}", "recipients": ["ada@example.test"]},
        )
        assert accepted.status == 202
        monitor = accepted.headers["Location"]
        assert monitor.startswith(f"http://127.0.0.1:{port}/api/jobs/job_")
        path = monitor.removeprefix(f"http://127.0.0.1:{port}")
        done = wait_for(
            lambda: (answer := call(port, "GET", path)).status == 303 and answer,
            timeout=30,
            what="the job to finish",
        )
        assert done.headers["Location"] == f"{monitor}/result"
        assert call(port, "GET", f"{path}/result").status == 200
        assert len(processes_using(database)) >= 3  # serve, the web server, the worker
    finally:
        # What Ctrl-C in `make run` does.
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)
    assert serve.returncode == 0
    wait_for(lambda: not processes_using(database), timeout=20, what="every process to stop")
