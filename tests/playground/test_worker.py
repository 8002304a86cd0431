"""Real `manage.py db_worker` processes against the (file) test database."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from playground.models import Job, MailboxMessage, WorkerHeartbeat
from tests.playground.helpers import (
    database_env,
    make_email_job,
    run_worker,
    task_of,
    wait_for,
    worker_command,
)

# Worker processes of their own read what the test wrote: it must really commit.
pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = ["a@example.test", "b@slow.example.test", "c@example.test"]


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        **database_env(),
        "DEMO_PACE": "0.2",
        "DEMO_LEASE_TIMEOUT": "1.5",
        "DEMO_UPLOAD_DIR": str(tmp_path / "uploads"),
    }

    def start(worker_id: str, **slow: Any) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{worker_id}.log").open("wb")
        command = worker_command(worker_id, **slow)
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def sending_the_second_message(job: Job) -> Callable[[], bool]:
    """Whether a worker holds the job at send:1 (its slice claimed, the message rendered)."""

    def check() -> bool:
        job.refresh_from_db()
        return (
            job.status == "running"
            and job.message == "Rendered message 2 of 3."
            and task_of(job).status == "RUNNING"
        )

    return check


def test_a_job_survives_its_worker_being_killed(start_worker) -> None:
    job = make_email_job(*RECIPIENTS)
    doomed = start_worker("doomed", slow_at="send:1")
    wait_for(sending_the_second_message(job), timeout=20, what="the second message under way")
    held_task = task_of(job).pk

    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=5)
    job.refresh_from_db()
    # Left behind: a running job whose lease nobody renews, and a RUNNING task.
    assert job.status == "running" and job.progress < 100
    assert set(job.state["outcomes"]) == {"0"}
    assert DBTaskResult.objects.get(id=held_task).status == "RUNNING"

    start_worker("rescuer")

    def finished() -> bool:
        job.refresh_from_db()
        return not job.is_pending

    wait_for(finished, timeout=30, what="the retried job to finish")
    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert job.result["counts"] == {"recipients": 3, "delivered": 3, "bounced": 0}
    for address in RECIPIENTS:
        assert MailboxMessage.objects.filter(recipient=address).count() == 1
    stuck = DBTaskResult.objects.get(id=held_task)
    assert stuck.status == "FAILED"
    assert stuck.exception_class_path == "playground.recovery.WorkerLost"
    assert WorkerHeartbeat.objects.filter(worker_id="rescuer").exists()


def test_sigterm_finishes_the_step_and_hands_the_job_on(start_worker) -> None:
    job = make_email_job(*RECIPIENTS)
    worker = start_worker("leaving", slow_at="send:1", slow_for=1.0)
    wait_for(sending_the_second_message(job), timeout=20, what="the second message under way")
    held_task = task_of(job).pk

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    job.refresh_from_db()
    # The step under way finished; the job waits in the queue for the next worker,
    # in the same attempt.
    assert job.status == "running" and job.lease_expires_at is None and job.attempts == 1
    assert set(job.state["outcomes"]) == {"0", "1"}
    assert MailboxMessage.objects.count() == 2
    stopped = DBTaskResult.objects.get(id=held_task)
    assert stopped.status == "SUCCESSFUL" and "the worker is stopping" in str(stopped.return_value)
    assert task_of(job).status == "READY"

    run_worker()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 1
    assert MailboxMessage.objects.count() == 3
