"""Faults, with real processes: workers killed or stopped mid-job, the web server
restarted under a polling client, several workers at once.

Every test ends on the demo API's two promises: every job that got a 202 is
accounted for (assert_every_accepted_job_accounted_for), and no message is
delivered twice (assert_no_message_delivered_twice).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import Job, MailboxMessage, WorkerHeartbeat
from jobs.work import bulk_email
from tests.helpers import (
    database_env,
    free_port,
    holding_step,
    make_email_job,
    task_of,
    wait_for,
    worker_command,
)

# Worker (and web server) processes of their own read what the test wrote: it must
# really commit.
# Slow: real servers or workers in processes of their own (make test-fast leaves it out).
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Seconds per step, and the lease every process gets: more than 4 x the slowest
# pace below, and long enough that a busy machine does not pass for a dead worker.
PACE = 0.1
LEASE_TIMEOUT = 3.0
# A bulk email of 11 steps: one slow recipient takes 3 extra steps.
RECIPIENTS = ["a@example.test", "b@slow.example.test", "c@example.test"]
DELIVERED_ALL = {"recipients": 3, "delivered": 3, "bounced": 0}
UNFINISHED = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
# "<job_....3@http202.example.test>:address", as the local mail backend stores it.
MAILBOX_ID = re.compile(r"<(?P<job>job_\w+)\.(?P<index>\d+)@http202\.example\.test>:(?P<to>.+)")


def recipients_of(n: int) -> list[str]:
    """RECIPIENTS, made the n-th job's own (a0@example.test, ...)."""
    return [address.replace("@", f"{n}@") for address in RECIPIENTS]


# -- The invariants ----------------------------------------------------------------


def tasks_by_job() -> dict[str, list[DBTaskResult]]:
    found: dict[str, list[DBTaskResult]] = {}
    for task in DBTaskResult.objects.all():
        found.setdefault(task.args_kwargs["kwargs"]["job_id"], []).append(task)
    return found


def assert_every_accepted_job_accounted_for(accepted_ids: Iterable[str]) -> None:
    """Every job that got a 202 is terminal, or still legitimately pending: nothing lost.

    Legitimately pending: waiting for a task a worker will still start (ready, or
    claimed less than a lease ago), or held by a worker, its task running, under a
    lease that has not run out. Whatever its state, at most one slice of a job ever
    made it succeed, and only a succeeded job has one. Read in one transaction: one
    snapshot.
    """
    accepted_ids = list(accepted_ids)
    with transaction.atomic():
        now = timezone.now()
        jobs = Job.objects.filter(public_id__in=accepted_ids).select_related("task_result")
        found = {job.public_id: job for job in jobs}
        slices = tasks_by_job()
    lost = [job_id for job_id in accepted_ids if job_id not in found]
    assert not lost, f"accepted with a 202, then lost: {lost}"
    for job_id in accepted_ids:
        job, task = found[job_id], found[job_id].task_result
        assert task is not None, f"{job} has no task"
        succeeded = [t for t in slices.get(job_id, []) if t.return_value == Job.Status.SUCCEEDED]
        if job.status == Job.Status.SUCCEEDED:
            assert len(succeeded) <= 1, f"{job} succeeded {len(succeeded)} times"
        else:
            assert not succeeded, f"{job} has a slice that made it succeed: {succeeded}"
        if job.is_pending and job.lease_expires_at is None:
            claimed_since = now - timedelta(seconds=LEASE_TIMEOUT)
            will_start = task.status == TaskResultStatus.READY or (
                task.status == TaskResultStatus.RUNNING
                and task.started_at is not None
                and task.started_at > claimed_since
            )
            assert will_start, f"{job} waits for task {task.pk} ({task.status}): never to start"
        elif job.is_pending:
            assert job.status == Job.Status.RUNNING, f"{job} is queued under a lease"
            assert job.lease_expires_at is not None and job.lease_expires_at > now, job
            assert task.status == TaskResultStatus.RUNNING, f"{job} is held, its task {task.status}"
        else:
            assert job.finished_at is not None and job.lease_expires_at is None, job
            if job.status == Job.Status.SUCCEEDED:
                assert job.result is not None and job.progress == 100, job
            else:
                assert job.error is not None, job


def assert_no_message_delivered_twice(accepted_ids: Iterable[str]) -> None:
    """One mailbox message per job and recipient, each one its job recorded as delivered.

    Message ids are deterministic per job and index (bulk_email.message_id); a
    delivery the job's state does not record would be sent again by a retry.
    """
    accepted_ids = list(accepted_ids)
    with transaction.atomic():
        messages = list(MailboxMessage.objects.values_list("message_id", "recipient"))
        jobs = list(Job.objects.filter(public_id__in=accepted_ids))
    per_recipient: Counter[tuple[str, str]] = Counter()
    per_index: Counter[tuple[str, int]] = Counter()
    for message_id, recipient in messages:
        match = MAILBOX_ID.fullmatch(message_id)
        assert match, f"a message id no job would make: {message_id}"
        assert match["to"] == recipient, message_id
        per_recipient[match["job"], recipient] += 1
        per_index[match["job"], int(match["index"])] += 1
    twice = {key: n for key, n in [*per_recipient.items(), *per_index.items()] if n > 1}
    assert not twice, f"delivered more than once: {twice}"
    recorded = set()
    for job in jobs:
        for index, outcome in job.state.get("outcomes", {}).items():
            assert outcome["email"] == job.input["recipients"][int(index)]["email"], outcome
            assert outcome["messageId"] == bulk_email.message_id(job=job, index=int(index))
            if outcome["status"] == "delivered":
                recorded.add((job.public_id, outcome["email"]))
    assert set(per_recipient) == recorded, "the mailbox and the jobs' records disagree"


def wait_until_settled(accepted_ids: Iterable[str], *, timeout: float) -> list[Job]:
    """Wait until every job is terminal and no task is ready or running; return the jobs."""
    accepted_ids = list(accepted_ids)

    def settled() -> bool:
        pending = Job.objects.filter(public_id__in=accepted_ids, status__in=Job.PENDING)
        unfinished = DBTaskResult.objects.filter(status__in=UNFINISHED)
        return not pending.exists() and not unfinished.exists()

    wait_for(settled, timeout=timeout, what="every accepted job to finish")
    jobs = {job.public_id: job for job in Job.objects.filter(public_id__in=accepted_ids)}
    return [jobs[job_id] for job_id in accepted_ids]


# -- The processes -----------------------------------------------------------------


class Fleet:
    """The real processes a test starts, on the test database; all stopped at its end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self, name: str, command: list[str], *, pace: float, lease: float = LEASE_TIMEOUT
    ) -> subprocess.Popen[bytes]:
        env = {
            **{key: value for key, value in os.environ.items() if key != "REDIS_URL"},
            **database_env(),
            "DEMO_PACE": str(pace),
            "DEMO_LEASE_TIMEOUT": str(lease),
            "DEMO_UPLOAD_DIR": str(self.tmp_path / "uploads"),
            # The rate limits of this test's own, not those every process here shares.
            "DEMO_LIMITS_PATH": str(self.tmp_path / "limits.sqlite3"),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
        with (self.tmp_path / f"{name}.log").open("ab") as log:
            # A session of its own: gunicorn's workers are stopped with their master.
            process = subprocess.Popen(
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, process))
        return process

    def worker(
        self, worker_id: str, *, pace: float = PACE, lease: float = LEASE_TIMEOUT, **slow: Any
    ) -> subprocess.Popen[bytes]:
        return self.start(worker_id, worker_command(worker_id, **slow), pace=pace, lease=lease)

    def web(self, port: int, *, pace: float = PACE) -> subprocess.Popen[bytes]:
        command = [str(GUNICORN), "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2"]
        return self.start(f"web-{len(self.started)}", command, pace=pace)

    def stop_all(self) -> None:
        for name, process in self.started:
            if process.poll() is None:
                # Still running, so still the leader of the group it was started in.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # Shown only when the test failed.
            log = (self.tmp_path / f"{name}.log").read_text(errors="replace")
            print(f"--- {name} (exit {process.returncode}) ---\n{log[-3000:]}")


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    started = Fleet(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def wait_for_heartbeats(*worker_ids: str) -> None:
    def all_in() -> bool:
        return WorkerHeartbeat.objects.filter(worker_id__in=worker_ids).count() == len(worker_ids)

    wait_for(all_in, timeout=30, what=f"the heartbeats of {worker_ids}")


# -- 1. SIGKILL mid-job --------------------------------------------------------------


def test_a_worker_killed_mid_job_loses_none_of_the_queued_jobs(fleet: Fleet) -> None:
    accepted = [make_email_job(*recipients_of(n)).public_id for n in range(4)]
    # It interleaves all four; the first to send its second message holds it there.
    doomed = fleet.worker("doomed", slow_at="send:1")

    def held_after_a_delivery() -> Job | None:
        # Held at send:1 (its first message delivered), as the worker says when it
        # enters that step; not a job whose slice ends at once.
        log = (fleet.tmp_path / "doomed.log").read_text(errors="replace")
        held = re.search(r"Step send:1 of (job_\w+) takes", log)
        return Job.objects.get(public_id=held.group(1)) if held else None

    victim = wait_for(held_after_a_delivery, timeout=30, what="a job mid-way")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=5)
    victim.refresh_from_db()
    killed_task = task_of(victim)
    # Left behind: a running job whose lease nobody renews, its task RUNNING forever.
    assert victim.status == Job.Status.RUNNING and victim.progress < 100
    assert killed_task.status == TaskResultStatus.RUNNING
    assert killed_task.worker_ids == ["doomed"]

    fleet.worker("rescuer")
    finished = wait_until_settled(accepted, timeout=60)

    assert [job.status for job in finished] == [Job.Status.SUCCEEDED] * 4, [
        job.error for job in finished
    ]
    for job in finished:
        assert job.result["counts"] == DELIVERED_ALL
        assert job.attempts == (2 if job.public_id == victim.public_id else 1), job
    killed_task.refresh_from_db()
    assert killed_task.status == TaskResultStatus.FAILED
    assert killed_task.exception_class_path == "jobs.recovery.WorkerLost"
    assert MailboxMessage.objects.count() == 12
    assert_no_message_delivered_twice(accepted)
    assert_every_accepted_job_accounted_for(accepted)


# -- 2. SIGTERM mid-step -------------------------------------------------------------


def test_sigterm_mid_step_commits_the_step_and_hands_the_job_on(fleet: Fleet) -> None:
    job = make_email_job(*RECIPIENTS)
    accepted = [job.public_id]
    # Sending the first message lasts until the worker is told to stop: the signal
    # lands inside that step however long the machine takes to send it.
    # Its lease outlasts the step, so only the signal ends it.
    leaving = fleet.worker("leaving", slow_at="send:0", slow_for=120.0, lease=150.0)

    sending_first_message = holding_step(fleet.tmp_path / "leaving.log", job=job, point="send:0")
    wait_for(sending_first_message, timeout=30, what="the first message under way")
    held_task = task_of(job).pk
    committed_before = job.progress
    leaving.send_signal(signal.SIGTERM)
    assert leaving.wait(timeout=10) == 0

    job.refresh_from_db()
    # The step in progress finished, its outcome committed; the job waits in the
    # queue for the next worker, in the same attempt.
    assert job.progress > committed_before
    assert job.state["outcomes"]["0"]["status"] == "delivered"
    assert MailboxMessage.objects.filter(recipient="a@example.test").count() == 1
    assert job.status == Job.Status.RUNNING and job.attempts == 1
    assert job.lease_expires_at is None
    stopped = DBTaskResult.objects.get(pk=held_task)
    assert stopped.status == TaskResultStatus.SUCCESSFUL
    assert "the worker is stopping" in str(stopped.return_value)
    assert task_of(job).status == TaskResultStatus.READY
    # No worker runs now, and the job is still accounted for: waiting, its task ready.
    assert_every_accepted_job_accounted_for(accepted)
    assert_no_message_delivered_twice(accepted)

    fleet.worker("successor")
    [job] = wait_until_settled(accepted, timeout=30)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 1
    assert job.result["counts"] == DELIVERED_ALL
    assert MailboxMessage.objects.count() == 3
    assert_no_message_delivered_twice(accepted)
    assert_every_accepted_job_accounted_for(accepted)


# -- 3. The web server restarted under a polling client ------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: Any
    at: float


class Abandoned(Exception):
    """The test gave up on the client."""


class PollingClient:
    """A careful API client: POST, poll the Location no sooner than each Retry-After
    says, follow the final 303 to the result. A poll that gets no answer (refused,
    reset) is retried with a bounded exponential backoff: a restart is not an answer.
    """

    BACKOFF_FIRST = 0.1
    BACKOFF_MAX = 1.0
    TRIES = 30

    def __init__(self, port: int) -> None:
        self.port = port
        self.polls: list[Answer] = []
        self.connection_errors = 0
        self.abandon = threading.Event()

    def send(self, method: str, url: str, body: Any = None) -> Answer:
        parts = urlsplit(url)
        assert parts.netloc in ("", f"127.0.0.1:{self.port}"), url
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = json.dumps(body) if body is not None else None
            client.request(method, parts.path, body=data, headers=headers)
            response = client.getresponse()
            content = response.read()
        finally:
            client.close()
        parsed = json.loads(content) if content else None
        return Answer(response.status, response.headers, parsed, time.monotonic())

    def get(self, url: str) -> Answer:
        delay = self.BACKOFF_FIRST
        for tries in range(1, self.TRIES + 1):
            try:
                return self.send("GET", url)
            except (OSError, http.client.HTTPException):
                self.connection_errors += 1
                if tries == self.TRIES:
                    raise
            if self.abandon.wait(delay):
                raise Abandoned()
            delay = min(self.BACKOFF_MAX, delay * 2)
        raise AssertionError("unreachable")

    def run(self, payload: dict[str, Any]) -> tuple[Answer, Answer]:
        """Send the job and follow it to its result; return the 202 and the result."""
        # Not retried: without an Idempotency-Key a resent POST is a second job.
        accepted = self.send("POST", "/api/emails/bulk", payload)
        assert accepted.status == 202, accepted
        self.accepted = accepted
        monitor = accepted.headers["Location"]
        answer = accepted
        while answer.status != 303:
            assert answer.status in (200, 202), answer
            if self.abandon.wait(int(answer.headers["Retry-After"])):
                raise Abandoned()
            answer = self.get(monitor)
            self.polls.append(answer)
        return accepted, self.get(answer.headers["Location"])


def test_a_polling_client_rides_out_a_web_server_restart(fleet: Fleet) -> None:
    pace = 0.2
    # About 10 s of work (49 steps), so the client polls a few times either side.
    recipients = ["ada@example.test", *(f"r{n}@slow.example.test" for n in range(9))]
    port = free_port()
    fleet.worker("worker", pace=pace)
    web = fleet.web(port, pace=pace)
    healthz = PollingClient(port)
    wait_for(lambda: healthz.send("GET", "/healthz").status == 200, timeout=60, what="/healthz")

    client = PollingClient(port)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        payload = {"subject": "Hi", "body": "Hello {name}", "recipients": recipients}
        future: Future[tuple[Answer, Answer]] = pool.submit(client.run, payload)

        def polled_while_pending() -> bool:
            return future.done() or any(poll.status == 200 for poll in client.polls)

        wait_for(polled_while_pending, timeout=30, what="a poll of the pending job")
        assert not future.done(), future.result()
        # Mid-way: the web server stops (gracefully), and stays down until the client
        # has found it gone; then it comes back on the same port.
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
        wait_for(
            lambda: future.done() or client.connection_errors,
            timeout=30,
            what="the client to find the server gone",
        )
        assert not future.done(), future.result()
        # Whatever is answered from now on, the new server answered.
        restarted_at = time.monotonic()
        fleet.web(port, pace=pace)
        accepted, result = future.result(timeout=60)
    finally:
        client.abandon.set()
        pool.shutdown(wait=True)

    job_id = accepted.body["jobId"]
    monitor = accepted.headers["Location"]
    assert monitor == f"http://127.0.0.1:{port}/api/jobs/{job_id}"
    polls = client.polls
    before = [poll for poll in polls if poll.at < restarted_at]
    assert before and len(before) < len(polls), "no answer on both sides of the restart"
    assert client.connection_errors >= 1
    # The same answers it would have had without the restart: the same job, its
    # progress never going backwards, then the 303 to its result.
    assert {poll.body["jobId"] for poll in polls} == {job_id}
    pending = [poll for poll in polls if poll.status == 200]
    assert pending and all(poll.body["status"] in Job.PENDING for poll in pending)
    progress = [accepted.body["progress"], *(poll.body["progress"] for poll in pending)]
    assert progress == sorted(progress), f"progress went backwards: {progress}"
    assert [poll.status for poll in polls] == [200] * len(pending) + [303]
    assert polls[-1].headers["Location"] == f"{monitor}/result"
    assert polls[-1].body["status"] == Job.Status.SUCCEEDED
    assert result.status == 200 and result.body["jobId"] == job_id
    assert result.body["counts"] == {"recipients": 10, "delivered": 10, "bounced": 0}
    assert Job.objects.get(public_id=job_id).result["recipients"] == result.body["recipients"]
    assert MailboxMessage.objects.count() == 10
    wait_until_settled([job_id], timeout=10)
    assert_no_message_delivered_twice([job_id])
    assert_every_accepted_job_accounted_for([job_id])


# -- 4. Several workers at once --------------------------------------------------------


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_at_once_run_each_job_exactly_once(fleet: Fleet, workers: int) -> None:
    worker_ids = [f"worker-{n}" for n in range(workers)]
    for worker_id in worker_ids:
        fleet.worker(worker_id, pace=0.05)
    wait_for_heartbeats(*worker_ids)
    # Queued at once, with every worker already polling: they race for each task.
    with transaction.atomic():
        accepted = [make_email_job(*recipients_of(n)).public_id for n in range(8)]

    finished = wait_until_settled(accepted, timeout=60)

    slices = tasks_by_job()
    for job in finished:
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.attempts == 1, f"{job} ran {job.attempts} times"
        assert job.result["counts"] == DELIVERED_ALL
        tasks = slices[job.public_id]
        assert all(task.status == TaskResultStatus.SUCCESSFUL for task in tasks)
        # The job's slices, each claimed once, by one worker; the last one made it succeed.
        for task in tasks:
            assert len(task.worker_ids) == 1 and task.worker_ids[0] in worker_ids, task.worker_ids
        [last] = [task for task in tasks if task.return_value == Job.Status.SUCCEEDED]
        assert last.pk == job.task_result_id
    assert MailboxMessage.objects.count() == 8 * 3
    assert_no_message_delivered_twice(accepted)
    assert_every_accepted_job_accounted_for(accepted)


def test_three_workers_drain_300_jobs_each_run_exactly_once(fleet: Fleet) -> None:
    """What a site on many machines does: workers race for one queue (on PostgreSQL,
    with `SELECT ... FOR UPDATE SKIP LOCKED`); every job runs once, none is lost."""
    worker_ids = ["drain-0", "drain-1", "drain-2"]
    for worker_id in worker_ids:
        fleet.worker(worker_id, pace=0.02)
    wait_for_heartbeats(*worker_ids)
    with transaction.atomic():
        accepted = [make_email_job(f"r{n}@example.test").public_id for n in range(300)]

    finished = wait_until_settled(accepted, timeout=240)

    slices = tasks_by_job()
    ran_by: Counter[str] = Counter()
    for job in finished:
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.attempts == 1, f"{job} ran {job.attempts} times"
        tasks = slices[job.public_id]
        for task in tasks:
            assert task.status == TaskResultStatus.SUCCESSFUL, task
            assert len(task.worker_ids) == 1, f"task {task.pk} claimed by {task.worker_ids}"
            ran_by[task.worker_ids[0]] += 1
        assert [t.return_value for t in tasks].count(Job.Status.SUCCEEDED) == 1
    # The work was shared: each worker ran slices.
    assert set(ran_by) == set(worker_ids), ran_by
    assert MailboxMessage.objects.count() == 300
    assert_no_message_delivered_twice(accepted)
    assert_every_accepted_job_accounted_for(accepted)
