from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground import jobs
from playground.models import Job, MailboxMessage, WorkerHeartbeat
from playground.work import bulk_email, file_digest, steps
from tests.playground.conftest import make_email_job, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def crash_after_first_delivery(job: Job) -> None:
    """What a worker killed mid-job leaves behind: one step committed, a lease running out."""
    jobs._begin_attempt(job_id=job.public_id, worker_id="dead", task_result_id=job.task_result_id)
    job.refresh_from_db()
    DBTaskResult.objects.filter(id=job.task_result_id).update(status="RUNNING")
    recipient = job.input["recipients"][0]
    with steps.job_step(job=job, done=1, message="Sent message 1.") as current:
        outcome = bulk_email.deliver(job=current, index=0, recipient=recipient)
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
    jobs._begin_attempt(job_id=job.public_id, worker_id="alive", task_result_id="x")
    assert jobs.recover_stalled_jobs() == []
    job.refresh_from_db()
    assert job.status == "running"


def test_sigterm_lets_the_step_finish_and_requeues_the_job(monkeypatch) -> None:
    job = make_email_job("a@example.test", "b@example.test", "c@example.test")
    paces = []
    real_pause = bulk_email.pause

    def pause_then_stop(**kwargs) -> None:
        real_pause(**kwargs)
        paces.append(1)
        # Paces: prepare, render a, send a, render b, send b: the signal comes during "send b".
        if len(paces) == 5:
            steps.stop_requested.set()  # what the worker's SIGTERM handler does

    monkeypatch.setattr(bulk_email, "pause", pause_then_stop)
    assert jobs.run_job(job_id=job.public_id, worker_id="w1", task_result_id="t1") == "requeued"
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
    jobs._begin_attempt(job_id=job.public_id, worker_id="old", task_result_id="x")
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


def test_prune_removes_old_mail_tasks_and_uploads(settings) -> None:
    job = make_email_job("a@example.test")
    run_worker()
    long_ago = timezone.now() - timedelta(seconds=2 * settings.DEMO_JOB_RETENTION + 5)
    Job.objects.update(expires_at=long_ago)
    MailboxMessage.objects.update(delivered_at=long_ago)
    DBTaskResult.objects.update(finished_at=long_ago)
    counts = jobs.prune_jobs()
    assert counts["expired"] == 1 and counts["messages"] == 1 and counts["tasks"] == 1
    assert not Job.objects.filter(pk=job.pk, pruned=False).exists()
