"""Real `manage.py db_worker` processes against the (file) test database."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from jobs.models import Job, MailboxMessage, WorkerHeartbeat
from tests.helpers import (
    database_env,
    holding_step,
    make_email_job,
    run_worker,
    task_of,
    wait_for,
    worker_command,
)

# Worker processes of their own read what the test wrote: it must really commit.
# Slow: real servers or workers in processes of their own (make test-fast leaves it out).
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECIPIENTS = ["a@example.test", "b@slow.example.test", "c@example.test"]


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        **database_env(),
        "DEMO_PACE": "0.2",
        "DEMO_UPLOAD_DIR": str(tmp_path / "uploads"),
    }

    def start(
        worker_id: str, *, lease: float = 1.5, release: Path | None = None, **slow: Any
    ) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{worker_id}.log").open("wb")
        command = worker_command(worker_id, **slow)
        # A lease longer than a hold keeps the job the holder's, not a stalled one's.
        leased = {**env, "DEMO_LEASE_TIMEOUT": str(lease)}
        if release:
            # The held step ends once the test writes this file (tests/jobs/slow_worker.py).
            leased["SLOW_STEP_RELEASE"] = str(release)
        process = subprocess.Popen(command, env=leased, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_job_survives_its_worker_being_killed(start_worker, tmp_path: Path) -> None:
    job = make_email_job(*RECIPIENTS)
    doomed = start_worker("doomed", slow_at="send:1")
    holding = holding_step(tmp_path / "doomed.log", job=job, point="send:1")
    wait_for(holding, timeout=30, what="the second message under way")
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
    assert stuck.exception_class_path == "jobs.recovery.WorkerLost"
    assert WorkerHeartbeat.objects.filter(worker_id="rescuer").exists()


def test_sigterm_finishes_the_step_and_hands_the_job_on(start_worker, tmp_path: Path) -> None:
    job = make_email_job(*RECIPIENTS)
    # The second message lasts until the worker is told to stop.
    worker = start_worker("leaving", slow_at="send:1", slow_for=120.0, lease=120)
    holding = holding_step(tmp_path / "leaving.log", job=job, point="send:1")
    wait_for(holding, timeout=30, what="the second message under way")
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


def held_at(job: Job, message: str) -> Callable[[], bool]:
    """Whether a worker holds the job's slice with this step's message committed last."""

    def check() -> bool:
        job.refresh_from_db()
        return (
            job.status == "running"
            and job.message == message
            and task_of(job).status == ("RUNNING")
        )

    return check


def test_a_cancel_between_the_last_message_and_the_finish_is_refused(
    start_worker, tmp_path: Path
) -> None:
    job = make_email_job(*RECIPIENTS)
    # Every message sent, the job not yet marked: the worker holds it there until
    # the test has been refused.
    release = tmp_path / "release"
    start_worker("holder", slow_at="report", slow_for=120.0, lease=150, release=release)
    wait_for(held_at(job, "Sent message 3 of 3."), timeout=30, what="every message sent")
    refused = Client().delete(f"/api/jobs/{job.public_id}")
    assert refused.status_code == 409
    assert "has done all its work" in refused.json()["detail"]
    release.touch()

    def finished() -> bool:
        job.refresh_from_db()
        return not job.is_pending

    wait_for(finished, timeout=60, what="the job to finish")
    assert job.status == "succeeded" and job.cancel_requested_at is None
    assert job.result["counts"] == {"recipients": 3, "delivered": 3, "bounced": 0}


def test_a_cancel_before_the_last_message_stops_it_and_logs_one_line(
    start_worker, tmp_path: Path
) -> None:
    job = make_email_job(*RECIPIENTS)
    # The last message is held until the cancel is requested.
    start_worker("holder", slow_at="send:2", slow_for=120.0, lease=150)
    wait_for(held_at(job, "Rendered message 3 of 3."), timeout=30, what="the last message due")
    assert Client().delete(f"/api/jobs/{job.public_id}").status_code == 202

    def finished() -> bool:
        job.refresh_from_db()
        return not job.is_pending

    wait_for(finished, timeout=60, what="the job to stop")
    assert job.status == "canceled"
    assert [r["status"] for r in job.result["recipients"]] == ["delivered", "delivered", "not-sent"]
    assert sorted(m.recipient for m in MailboxMessage.objects.all()) == RECIPIENTS[:2]
    log_file = tmp_path / "holder.log"
    # The task is closed (and logged) just after the job is marked.
    wait_for(lambda: "JobCanceled" in log_file.read_text(), timeout=30, what="the log line")
    log = log_file.read_text()
    assert "Traceback" not in log
    assert len([line for line in log.splitlines() if "JobCanceled" in line]) == 1, log
