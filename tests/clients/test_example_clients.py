"""What the compatibility runs cannot show of the example clients: the README's commands
that run them, and giving up at their deadline.

The README's commands work as printed on a machine with nothing installed for them:
Python's standard library, Node.js, and sh with curl and jq.
Every example client stops when its deadline comes before the job's end: exit 3,
"gave up" on stderr, nothing on stdout, and the job itself left running.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from jobs.models import Job
from tests.clients.harness import find_job, payload, start_client
from tests.helpers import worker_thread

EXAMPLES = ["example-python", "example-javascript", "example-shell"]
ROOT = Path(django_settings.BASE_DIR)
# Where the README's commands send: the address `make run` serves on.
README_ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture
def slow_worker(settings: Any, live_server: Any) -> Iterator[None]:
    """A real worker at a pace no client deadline of these tests outlasts."""
    settings.DEMO_PACE = 5.0
    with worker_thread(worker_id="deadline-tests"):
        yield


@pytest.fixture
def worker(settings: Any, live_server: Any) -> Iterator[None]:
    """A real worker at a brisk pace: the job still answers pending polls before it ends."""
    settings.DEMO_PACE = 0.2
    with worker_thread(worker_id="readme-tests"):
        yield


def readme_client_commands() -> list[str]:
    """The README's shell commands that run an example client, continuation lines joined."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```sh\n(.*?)^```$", readme, flags=re.MULTILINE | re.DOTALL)
    commands = [
        command
        for block in blocks
        for command in block.replace("\\\n", " ").splitlines()
        if " clients/" in command
    ]
    return commands


@pytest.fixture
def fresh_machine(tmp_path: Path) -> dict[str, str]:
    """An environment whose python3 has only its standard library, as a new machine's has."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    # -S: no site-packages (ours hold requests), -I: nothing from the environment either.
    python3.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')
    python3.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path)}


def test_the_readme_runs_each_example_client_once() -> None:
    commands = readme_client_commands()
    runners = [command.split()[:2] for command in commands]
    assert runners == [
        ["python3", "clients/python/poll.py"],
        ["node", "clients/javascript/poll.mjs"],
        ["sh", "clients/shell/poll.sh"],
    ]
    assert all(README_ORIGIN in command for command in commands)


def test_a_fresh_python3_has_no_requests(fresh_machine: dict[str, str]) -> None:
    # What makes the commands' run below a fresh machine's, for the Python client.
    found = subprocess.run(
        ["python3", "-c", "import requests"], env=fresh_machine, capture_output=True, text=True
    )
    assert found.returncode == 1 and "No module named 'requests'" in found.stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", readme_client_commands(), ids=lambda c: c.split()[1])
def test_the_readme_command_runs_its_client_to_the_result(
    command: str, live_server: Any, worker: None, fresh_machine: dict[str, str]
) -> None:
    origin = live_server.url.replace("localhost", "127.0.0.1")
    ran = subprocess.run(
        ["sh", "-c", command.replace(README_ORIGIN, origin)],
        cwd=ROOT,
        env=fresh_machine,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED
    assert result["jobId"] == job.public_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("client", EXAMPLES)
def test_an_example_client_gives_up_at_its_deadline(
    client: str, live_server: Any, slow_worker: None
) -> None:
    origin = live_server.url.replace("localhost", "127.0.0.1")
    subject = f"deadline {client}"
    body = json.dumps(payload(scenario="success", subject=subject))
    with start_client(client, url=f"{origin}/api/emails/bulk", body=body, deadline=2) as process:
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 3, stderr
    assert stderr.startswith("gave up: the job is not done"), stderr
    assert "past the 2 s deadline" in stderr
    assert stdout == ""
    job = find_job(subject)
    assert job is not None and job.status in (Job.Status.QUEUED, Job.Status.RUNNING)
