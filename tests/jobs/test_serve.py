"""`make run`'s command, for real: the web server and the worker, started and stopped together."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
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


def serve_env(tmp_path: Path) -> dict[str, str]:
    return {
        # `make run`'s own SQLite file, whatever database the tests use.
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "DATABASE_PATH": str(tmp_path / "site.sqlite3"),
        "DEMO_PACE": "0.05",
        "DEMO_UPLOAD_DIR": str(tmp_path / "uploads"),
    }


def test_serve_runs_the_site_with_its_worker_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    database = Path(env["DATABASE_PATH"])
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120)
    port = free_port()
    output = tmp_path / "serve.out"
    with output.open("w") as stdout:
        serve = subprocess.Popen(
            [*MANAGE, "serve", "--port", str(port)],
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        # Where to start reading, once the server answers, with the address it answers on.
        origin = f"http://127.0.0.1:{port}"
        start = wait_for(
            lambda: (text := output.read_text()).endswith(f"{origin}/playground/\n") and text,
            timeout=60,
            what="serve's start lines",
        )
        assert start.splitlines()[-3:] == [
            f"Serving {origin}/ with a worker. Ctrl-C stops both.",
            f"Start reading at {origin}/202/ (the reference for 202 Accepted),",
            f"then send a request and watch its job at {origin}/playground/",
        ]
        assert call(port, "GET", "/202/").status == 200
        assert call(port, "GET", "/playground/").status == 200
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


def test_serve_on_a_busy_port_says_so_first_and_names_another(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    port = free_port()
    with socket.socket() as held:
        held.bind(("127.0.0.1", port))
        held.listen()
        serve = subprocess.run(
            [*MANAGE, "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert serve.returncode == 1
    # Nothing before it: no worker started, no server banner, no "Serving".
    assert serve.stdout == ""
    said = re.fullmatch(rf"Port {port} is in use: try make run PORT=(\d+)\n", serve.stderr)
    assert said is not None, serve.stderr
    assert int(said[1]) > port
    assert not processes_using(Path(env["DATABASE_PATH"]))
