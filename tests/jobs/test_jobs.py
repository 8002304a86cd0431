from __future__ import annotations

import hashlib
import logging
import os
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs import lifecycle, recovery, retention, running
from jobs.models import Job, MailboxMessage, WorkerHeartbeat
from jobs.work import bulk_email, file_digest, steps
from tests.helpers import (
    Killed,
    fault_at,
    make_email_job,
    raise_,
    run_worker,
    task_of,
    wait_for,
)

# The worker these tests run commits each task and closes its connection between
# tasks, as a real worker does: that needs real transactions, not a test's one.
pytestmark = pytest.mark.django_db(transaction=True)


def kill_worker_at(job: Job, point: str, *, worker_id: str = "dead") -> None:
    """A worker claims the job's task and is killed on the spot when the job reaches point."""
    job.refresh_from_db()
    task_of(job).claim(worker_id)
    with fault_at(point, raise_(Killed())), pytest.raises(Killed):
        running.run_slice(job_id=job.public_id, task_result_id=str(job.task_result_id))
    job.refresh_from_db()


def crash_after_first_delivery(job: Job) -> None:
    """What a worker killed mid-job leaves behind: one delivery committed, a lease running."""
    kill_worker_at(job, "render:1")
    assert set(job.state["outcomes"]) == {"0"}
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_crashed_job_is_retried_without_delivering_twice() -> None:
    job = make_email_job("a@example.test", "b@example.test", "c@example.test")
    first_task = task_of(job).pk
    crash_after_first_delivery(job)

    run_worker()  # recovers the stalled job, then runs the retry

    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert job.result["counts"]["delivered"] == 3
    for address in ["a@example.test", "b@example.test", "c@example.test"]:
        assert MailboxMessage.objects.filter(recipient=address).count() == 1
    stuck = DBTaskResult.objects.get(id=first_task)
    assert stuck.status == TaskResultStatus.FAILED
    assert stuck.exception_class_path == "jobs.recovery.WorkerLost"
    # The retry's task ended as its attempt did: the job succeeded.
    assert task_of(job).status == TaskResultStatus.SUCCESSFUL


def test_a_job_whose_workers_keep_dying_fails_clearly(settings) -> None:
    settings.DEMO_MAX_ATTEMPTS = 1
    job = make_email_job("a@example.test", "b@example.test")
    crash_after_first_delivery(job)
    recovered = recovery.recover_stalled_jobs()
    assert [j.public_id for j in recovered] == [job.public_id]
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error["code"] == "worker-lost"
    assert "attempted 1 times" in job.error["detail"]
    monitor = Client().get(f"/api/jobs/{job.public_id}").json()
    assert monitor["error"]["code"] == "worker-lost"


def test_a_live_lease_is_not_recovered() -> None:
    job = make_email_job("a@example.test")
    kill_worker_at(job, "send:0", worker_id="alive")
    assert recovery.recover_stalled_jobs() == []
    job.refresh_from_db()
    assert job.status == "running"


def test_sigterm_lets_the_step_finish_and_hands_the_job_on() -> None:
    job = make_email_job("a@example.test", "b@example.test", "c@example.test")
    first_task = task_of(job).pk

    def sigterm(job: Job) -> None:
        steps.stop_requested.set()  # what the worker's SIGTERM handler does

    # The signal comes while the second message is being sent.
    with fault_at("send:1", sigterm):
        handed_on = running.run_slice(job_id=job.public_id, task_result_id=str(first_task))
    assert "the worker is stopping" in handed_on
    job.refresh_from_db()
    # The step under way when the signal came finished and committed; no other
    # started, and the job waits in the queue for any worker, in the same attempt.
    assert job.status == "running" and job.attempts == 1 and job.lease_expires_at is None
    assert set(job.state["outcomes"]) == {"0", "1"}
    assert job.task_result_id != first_task
    assert task_of(job).status == TaskResultStatus.READY

    steps.stop_requested.clear()
    run_worker()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 1
    assert MailboxMessage.objects.count() == 3


@pytest.mark.parametrize("point", ["prepare", "report"])
def test_a_stale_attempt_cannot_go_on_or_finish_a_job_it_lost(point: str) -> None:
    job = make_email_job("a@example.test")

    def taken_over(job: Job) -> None:
        # Presumed dead, this attempt's job went to another one meanwhile.
        Job.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)

    with fault_at(point, taken_over), pytest.raises(steps.LeaseLost):
        running.run_slice(job_id=job.public_id, task_result_id=str(job.task_result_id))
    job.refresh_from_db()
    assert job.status == "running" and job.result is None


def test_word_and_line_counts_span_chunks(settings) -> None:
    content = b"alpha beta gamma\n" * 40 + b"last words"
    settings.DEMO_UPLOAD_DIR.mkdir(parents=True)
    (settings.DEMO_UPLOAD_DIR / "job_file1").write_bytes(content)
    job = lifecycle.accept_file_processing(
        stored_as="job_file1",
        filename="a.txt",
        content_type="text/plain",
        size=len(content),
        fingerprint="test",
    ).job
    run_worker()
    job.refresh_from_db()
    assert job.result["words"] == len(content.split())
    assert job.result["lines"] == 41
    assert job.result["sha256"] == hashlib.sha256(content).hexdigest()
    assert file_digest.planned_steps(size=len(content)) == file_digest.READ_STEPS


def test_file_job_fails_when_its_upload_is_gone(settings) -> None:
    job = make_file_job(settings)
    lifecycle.upload_path(public_id=job.public_id).unlink()
    run_worker()
    job.refresh_from_db()
    assert job.status == "failed" and job.error["code"] == "upload-missing"
    # Its task follows the job: the attempt failed.
    task = task_of(job)
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "jobs.work.steps.JobFailed"


def test_healthz_reports_the_worker_heartbeat(settings) -> None:
    client = Client()
    missing = client.get("/healthz")
    assert missing.status_code == 503
    assert missing["Retry-After"]
    assert missing.json()["checks"]["worker"]["status"] == "error"

    run_worker()  # writes its heartbeat on start
    healthy = client.get("/healthz")
    assert healthy.status_code == 200, healthy.json()
    assert healthy.json()["checks"]["worker"]["status"] == "ok"

    WorkerHeartbeat.objects.update(
        seen_at=timezone.now() - timedelta(seconds=settings.DEMO_WORKER_STALE_AFTER + 1)
    )
    stale = client.get("/healthz")
    assert stale.status_code == 503
    assert stale.json()["checks"]["worker"]["detail"] == "No worker has been seen recently."


def make_file_job(settings, content: bytes = b"some words\n") -> Job:
    """A file job with its upload stored, as POST /api/files/process leaves it."""
    job_id = f"job_file{Job.objects.count()}"
    settings.DEMO_UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    lifecycle.upload_path(public_id=job_id).write_bytes(content)
    return lifecycle.accept_file_processing(
        stored_as=job_id,
        filename="a.txt",
        content_type="text/plain",
        size=len(content),
        fingerprint="test",
    ).job


def claim_then_die(job: Job) -> None:
    """What a worker killed between claiming a task and starting its job leaves behind."""
    job.refresh_from_db()
    task_of(job).claim("dead")


def test_a_job_whose_worker_died_before_starting_it_is_retried(settings) -> None:
    job = make_email_job("a@example.test")
    lost_task = task_of(job).pk
    claim_then_die(job)
    # A fresh claim is a worker about to start the job: leave it alone.
    assert recovery.recover_stalled_jobs() == []

    later = timezone.now() + timedelta(seconds=settings.DEMO_LEASE_TIMEOUT + 1)
    assert [j.public_id for j in recovery.recover_stalled_jobs(now=later)] == [job.public_id]
    job.refresh_from_db()
    assert job.status == "queued" and job.task_result_id != lost_task
    assert DBTaskResult.objects.get(id=lost_task).status == TaskResultStatus.FAILED
    # Had the claim been alive after all, it may no longer start the job.
    with pytest.raises(running.AttemptSuperseded):
        running.run_slice(job_id=job.public_id, task_result_id=str(lost_task))

    run_worker()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2


def test_a_job_whose_start_failed_is_retried() -> None:
    job = make_email_job("a@example.test")

    with fault_at("attempt", raise_(OperationalError("database is locked"))):
        run_worker()
    job.refresh_from_db()
    assert job.status == "queued"
    assert task_of(job).status == TaskResultStatus.FAILED

    run_worker()  # its housekeeping finds the job behind a failed task
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_a_job_whose_workers_keep_dying_before_starting_it_fails(settings) -> None:
    settings.DEMO_MAX_ATTEMPTS = 2
    job = make_email_job("a@example.test")
    later = timezone.now() + timedelta(seconds=settings.DEMO_LEASE_TIMEOUT + 1)
    for _ in range(2):
        job.refresh_from_db()
        claim_then_die(job)
        recovery.recover_stalled_jobs(now=later)
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 2
    assert job.error["code"] == "worker-lost"


def test_uploads_are_deleted_whatever_the_outcome(settings) -> None:
    succeeded = make_file_job(settings)
    canceled = make_file_job(settings)
    lifecycle.cancel_job(public_id=canceled.public_id)
    assert not lifecycle.upload_path(public_id=canceled.public_id).exists()
    run_worker()
    succeeded.refresh_from_db()
    assert succeeded.status == "succeeded"
    assert not lifecycle.upload_path(public_id=succeeded.public_id).exists()

    failed = make_file_job(settings)
    broken = steps.JobFailed(code=Job.ErrorCode.INTERNAL_ERROR, detail="Broken.")
    with fault_at("read:1", raise_(broken)):
        run_worker()
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert not lifecycle.upload_path(public_id=failed.public_id).exists()


def test_prune_removes_old_mail_tasks_and_uploads(settings) -> None:
    job = make_email_job("a@example.test")
    file_job = make_file_job(settings)
    run_worker()
    pending = make_file_job(settings)
    # Killed between finishing the job and deleting its upload; killed between
    # storing an upload and committing its job: both files are left behind.
    leftover = lifecycle.upload_path(public_id=file_job.public_id)
    leftover.write_bytes(b"left behind")
    orphan = lifecycle.upload_path(public_id="job_never_accepted")
    orphan.write_bytes(b"left behind")
    long_ago = timezone.now() - timedelta(seconds=2 * settings.DEMO_JOB_RETENTION + 5)
    Job.objects.exclude(pk=pending.pk).update(expires_at=long_ago)
    MailboxMessage.objects.update(delivered_at=long_ago)
    DBTaskResult.objects.update(finished_at=long_ago)
    for path in [leftover, orphan, lifecycle.upload_path(public_id=pending.public_id)]:
        os.utime(path, (long_ago.timestamp(), long_ago.timestamp()))
    counts = retention.prune_jobs()
    assert (
        counts["expired"] == 2
        and counts["keys"] == 0
        and counts["messages"] == 1
        and counts["tasks"] == 2
    )
    assert counts["uploads"] == 2
    assert not leftover.exists() and not orphan.exists()
    # A pending job still needs its upload.
    assert lifecycle.upload_path(public_id=pending.public_id).exists()
    assert not Job.objects.filter(pk=job.pk, pruned=False).exists()


def test_canceling_a_job_whose_claim_died_closes_its_task() -> None:
    # A worker claimed the task and died before starting the job; then the DELETE came.
    job = make_email_job("a@example.test")
    task_of(job).claim("dead")
    lifecycle.cancel_job(public_id=job.public_id)
    job.refresh_from_db()
    assert job.status == "canceled"
    # Nothing else would ever close it: the task follows the job.
    assert task_of(job).status == TaskResultStatus.FAILED
    assert recovery.recover_stalled_jobs() == []


def test_a_step_keeps_a_cancel_that_came_while_it_ran(monkeypatch) -> None:
    """A step writes back only what it changed: a DELETE committed while its work ran
    (PostgreSQL lets it through; the row lock then orders them) is not undone."""
    job = make_email_job("a@example.test", "b@example.test")
    deliver = bulk_email.deliver

    def deliver_while_canceled(**kwargs: Any) -> dict[str, Any]:
        Job.objects.filter(pk=kwargs["job"].pk).update(cancel_requested_at=timezone.now())
        return deliver(**kwargs)

    monkeypatch.setattr(bulk_email, "deliver", deliver_while_canceled)
    run_worker()
    job.refresh_from_db()
    assert job.status == "canceled", job.message
    assert MailboxMessage.objects.count() == 1  # the step under way finished; no other ran


def test_a_cancel_logs_one_line_without_a_traceback(caplog) -> None:
    job = make_email_job("a@example.test", "b@example.test")
    caplog.set_level(logging.INFO)

    def cancel(running_job: Job) -> None:
        lifecycle.cancel_job(public_id=running_job.public_id)

    with fault_at("render:1", cancel):
        run_worker()
    job.refresh_from_db()
    assert job.status == "canceled"
    about_it = [r for r in caplog.records if r.exc_info or "JobCanceled" in r.getMessage()]
    assert len(about_it) == 1, [r.getMessage() for r in about_it]
    assert about_it[0].exc_info is None and about_it[0].levelno == logging.INFO
    assert job.public_id in about_it[0].getMessage()


def test_an_unexpected_error_keeps_its_traceback(caplog) -> None:
    job = make_email_job("a@example.test")
    with fault_at("send:0", raise_(RuntimeError("the mail relay broke"))):
        run_worker()
    job.refresh_from_db()
    assert job.status == "failed"
    assert any(
        r.exc_info and isinstance(r.exc_info[1], RuntimeError) and r.name == "django_tasks"
        for r in caplog.records
    )


def test_jobs_trimmed_by_the_per_client_cap_lose_their_mail(settings) -> None:
    settings.DEMO_MAX_JOBS_PER_CLIENT = 2
    older = [
        lifecycle.accept_bulk_email(
            subject="Hi",
            body="Hello {name}",
            recipients=[lifecycle.Recipient(email=f"{n}@example.test", name=n) for n in "ab"],
            fingerprint="test",
            client="192.0.2.7",
        ).job
        for _ in range(2)
    ]
    run_worker()
    assert MailboxMessage.objects.count() == 4
    lifecycle.accept_bulk_email(
        subject="Hi",
        body="Hello {name}",
        recipients=[lifecycle.Recipient(email="c@example.test", name="c")],
        fingerprint="test",
        client="192.0.2.7",
    )
    older[0].refresh_from_db()
    older[1].refresh_from_db()
    assert older[0].pruned and not older[1].pruned
    kept = sorted(m.message_id for m in MailboxMessage.objects.all())
    assert len(kept) == 2 and all(m.startswith(f"<{older[1].public_id}.") for m in kept)


def test_a_worker_prunes_by_itself_taking_turns_with_the_others(settings, live_worker) -> None:
    settings.DEMO_PRUNE_INTERVAL = 3600
    job = make_email_job("a@example.test")

    def finished() -> bool:
        job.refresh_from_db()
        return not job.is_pending

    wait_for(finished, timeout=30, what="the job to finish")
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Nobody runs prune_jobs: the live worker's housekeeping does, on its turn.

    def pruned() -> bool:
        job.refresh_from_db()
        return job.pruned

    wait_for(pruned, timeout=30, what="the worker to prune the expired job")
    assert not MailboxMessage.objects.exists()
    # The turn is taken for this interval: another worker does not prune again.
    assert retention.prune_when_due() is None


def test_a_job_canceled_after_its_worker_died_says_what_it_delivered() -> None:
    job = make_email_job("a@example.test", "b@example.test")
    crash_after_first_delivery(job)
    lifecycle.cancel_job(public_id=job.public_id)

    assert recovery.recover_stalled_jobs() == [job]
    job.refresh_from_db()
    assert job.status == "canceled"
    assert job.result["counts"] == {"recipients": 2, "delivered": 1, "bounced": 0, "notSent": 1}
    assert [r["status"] for r in job.result["recipients"]] == ["delivered", "not-sent"]
    assert "1 of 2 messages had been sent" in job.error["detail"]
