from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground import jobs
from playground.models import Job, MailboxMessage, WorkerHeartbeat
from playground.work import bulk_email, file_digest, steps
from tests.playground.helpers import make_email_job, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def crash_after_first_delivery(job: Job) -> None:
    """What a worker killed mid-job leaves behind: one step committed, a lease running out."""
    jobs._begin_attempt(job_id=job.public_id, worker_id="dead", task_result_id=job.task_result_id)
    job.refresh_from_db()
    DBTaskResult.objects.filter(id=job.task_result_id).update(status="RUNNING")
    recipient = job.input["recipients"][0]
    with steps.job_step(job=job, done=1, message="Sent message 1.") as current:
        body = bulk_email.render_body(template=job.input["body"], recipient=recipient)
        outcome = bulk_email.deliver(job=current, index=0, recipient=recipient, body=body)
        current.state["outcomes"] = {"0": outcome}
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_crashed_job_is_retried_without_delivering_twice() -> None:
    job = make_email_job("a@example.test", "b@example.test", "c@example.test")
    first_task = job.task_result_id
    crash_after_first_delivery(job)

    run_worker()  # recovers the stalled job, then runs the retry

    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert job.result["counts"]["delivered"] == 3
    for address in ["a@example.test", "b@example.test", "c@example.test"]:
        assert MailboxMessage.objects.filter(recipient=address).count() == 1
    stuck = DBTaskResult.objects.get(id=first_task)
    assert stuck.status == "FAILED"
    assert stuck.exception_class_path == "playground.jobs.WorkerLost"


def test_a_job_whose_workers_keep_dying_fails_clearly(settings) -> None:
    settings.DEMO_MAX_ATTEMPTS = 1
    job = make_email_job("a@example.test", "b@example.test")
    crash_after_first_delivery(job)
    recovered = jobs.recover_stalled_jobs()
    assert [j.public_id for j in recovered] == [job.public_id]
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error["code"] == "worker-lost"
    assert "attempted 1 times" in job.error["detail"]
    monitor = Client().get(f"/api/jobs/{job.public_id}").json()
    assert monitor["error"]["code"] == "worker-lost"


def test_a_live_lease_is_not_recovered() -> None:
    job = make_email_job("a@example.test")
    jobs._begin_attempt(job_id=job.public_id, worker_id="alive", task_result_id=job.task_result_id)
    assert jobs.recover_stalled_jobs() == []
    job.refresh_from_db()
    assert job.status == "running"


def test_sigterm_lets_the_step_finish_and_requeues_the_job(monkeypatch) -> None:
    job = make_email_job("a@example.test", "b@example.test", "c@example.test")
    paces = []
    real_pause = bulk_email.pause

    def pause_then_stop() -> None:
        real_pause()
        paces.append(1)
        # Paces: prepare, render a, send a, render b, send b: the signal comes during "send b".
        if len(paces) == 5:
            steps.stop_requested.set()  # what the worker's SIGTERM handler does

    monkeypatch.setattr(bulk_email, "pause", pause_then_stop)
    outcome = jobs.run_job(job_id=job.public_id, worker_id="w1", task_result_id=job.task_result_id)
    assert outcome == "requeued"
    job.refresh_from_db()
    # The second step was under way when the signal came: it finished and committed.
    assert job.status == "queued"
    assert set(job.state["outcomes"]) == {"0", "1"}
    assert DBTaskResult.objects.filter(id=job.task_result_id, status="READY").exists()

    steps.stop_requested.clear()
    run_worker()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert MailboxMessage.objects.count() == 3


def test_a_stale_attempt_cannot_finish_a_job_it_lost() -> None:
    job = make_email_job("a@example.test")
    jobs._begin_attempt(job_id=job.public_id, worker_id="old", task_result_id=job.task_result_id)
    job.refresh_from_db()
    stale = Job.objects.get(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(attempts=2)  # another attempt took over
    with pytest.raises(steps.LeaseLost), steps.job_step(job=stale, done=1, message="late"):
        pass
    jobs._finish(job=stale, status="succeeded", result={})
    job.refresh_from_db()
    assert job.status == "running"


def test_word_and_line_counts_span_chunks(settings) -> None:
    content = b"alpha beta gamma\n" * 40 + b"last words"
    settings.DEMO_UPLOAD_DIR.mkdir(parents=True)
    (settings.DEMO_UPLOAD_DIR / "job_file1").write_bytes(content)
    job = jobs.enqueue_file_processing(
        stored_as="job_file1",
        filename="a.txt",
        content_type="text/plain",
        size=len(content),
        idempotency_key=None,
    )
    run_worker()
    job.refresh_from_db()
    assert job.result["words"] == len(content.split())
    assert job.result["lines"] == 41
    assert job.result["sha256"] == hashlib.sha256(content).hexdigest()
    assert file_digest.planned_steps(size=len(content)) == file_digest.READ_STEPS


def test_file_job_fails_when_its_upload_is_gone() -> None:
    job = jobs.enqueue_file_processing(
        stored_as="job_missing",
        filename="a.txt",
        content_type="text/plain",
        size=3,
        idempotency_key=None,
    )
    run_worker()
    job.refresh_from_db()
    assert job.status == "failed" and job.error["code"] == "upload-missing"


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
    jobs.upload_path(public_id=job_id).write_bytes(content)
    return jobs.enqueue_file_processing(
        stored_as=job_id,
        filename="a.txt",
        content_type="text/plain",
        size=len(content),
        idempotency_key=None,
    )


def claim_then_die(job: Job) -> None:
    """What a worker killed between claiming a task and starting its job leaves behind."""
    DBTaskResult.objects.filter(id=job.task_result_id).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=["dead"]
    )


def test_a_job_whose_worker_died_before_starting_it_is_retried(settings) -> None:
    job = make_email_job("a@example.test")
    lost_task = job.task_result_id
    claim_then_die(job)
    # A fresh claim is a worker about to start the job: leave it alone.
    assert jobs.recover_stalled_jobs() == []

    later = timezone.now() + timedelta(seconds=settings.DEMO_LEASE_TIMEOUT + 1)
    assert [j.public_id for j in jobs.recover_stalled_jobs(now=later)] == [job.public_id]
    job.refresh_from_db()
    assert job.status == "queued" and job.task_result_id != lost_task
    assert DBTaskResult.objects.get(id=lost_task).status == "FAILED"
    # Had the claim been alive after all, it may no longer start the job.
    assert jobs.run_job(job_id=job.public_id, worker_id="dead", task_result_id=lost_task) == (
        "skipped"
    )

    run_worker()
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2


def test_a_job_whose_start_failed_is_retried(monkeypatch) -> None:
    job = make_email_job("a@example.test")

    def locked(**kwargs) -> None:
        raise OperationalError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(jobs, "_begin_attempt", locked)
        run_worker()
    job.refresh_from_db()
    assert job.status == "queued"
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "FAILED"

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
        jobs.recover_stalled_jobs(now=later)
    job.refresh_from_db()
    assert job.status == "failed" and job.attempts == 2
    assert job.error["code"] == "worker-lost"


def test_uploads_are_deleted_whatever_the_outcome(settings, monkeypatch) -> None:
    succeeded = make_file_job(settings)
    canceled = make_file_job(settings)
    jobs.cancel_job(job=canceled)
    assert not jobs.upload_path(public_id=canceled.public_id).exists()
    run_worker()
    succeeded.refresh_from_db()
    assert succeeded.status == "succeeded"
    assert not jobs.upload_path(public_id=succeeded.public_id).exists()

    failed = make_file_job(settings)

    def fail(**kwargs) -> None:
        raise steps.JobFailed(code="internal-error", detail="Broken.")

    monkeypatch.setitem(jobs.WORK, Job.Kind.FILE_PROCESSING, fail)
    run_worker()
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert not jobs.upload_path(public_id=failed.public_id).exists()


def test_prune_removes_old_mail_tasks_and_uploads(settings) -> None:
    job = make_email_job("a@example.test")
    file_job = make_file_job(settings)
    run_worker()
    pending = make_file_job(settings)
    # Killed between finishing the job and deleting its upload; killed between
    # storing an upload and committing its job: both files are left behind.
    leftover = jobs.upload_path(public_id=file_job.public_id)
    leftover.write_bytes(b"left behind")
    orphan = jobs.upload_path(public_id="job_never_accepted")
    orphan.write_bytes(b"left behind")
    long_ago = timezone.now() - timedelta(seconds=2 * settings.DEMO_JOB_RETENTION + 5)
    Job.objects.exclude(pk=pending.pk).update(expires_at=long_ago)
    MailboxMessage.objects.update(delivered_at=long_ago)
    DBTaskResult.objects.update(finished_at=long_ago)
    for path in [leftover, orphan, jobs.upload_path(public_id=pending.public_id)]:
        os.utime(path, (long_ago.timestamp(), long_ago.timestamp()))
    counts = jobs.prune_jobs()
    assert counts["expired"] == 2 and counts["messages"] == 1 and counts["tasks"] == 2
    assert counts["uploads"] == 2
    assert not leftover.exists() and not orphan.exists()
    # A pending job still needs its upload.
    assert jobs.upload_path(public_id=pending.public_id).exists()
    assert not Job.objects.filter(pk=job.pk, pruned=False).exists()
