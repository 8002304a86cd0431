"""What the compatibility runs cannot show of the example clients: giving up at their deadline.

Every example client stops when its deadline comes before the job's end: exit 3,
"gave up" on stderr, nothing on stdout, and the job itself left running.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import close_old_connections

from jobs.models import Job
from tests.clients.harness import find_job, payload, start_client
from tests.helpers import make_worker

EXAMPLES = ["example-python", "example-javascript", "example-shell"]


@pytest.fixture
def slow_worker(settings: Any, live_server: Any) -> Iterator[None]:
    """A real worker at a pace no client deadline of these tests outlasts."""
    settings.DEMO_PACE = 5.0
    runner = make_worker(worker_id="deadline-tests", batch=False, interval=0.05)

    def work() -> None:
        try:
            runner.run()
        finally:
            close_old_connections()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield
    runner.running = False
    thread.join(timeout=10)


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
