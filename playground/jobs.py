"""Jobs of the demo API: accept, run, cancel, recover, expire and prune them.

Plain functions; the HTTP layer (playground/api/views.py) and the worker
(playground/management/commands/db_worker.py) call them. The steps of each job
kind live in playground/work/.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from playground import tasks
from playground.models import IdempotencyKey, Job, MailboxMessage, WorkerHeartbeat
from playground.problems import PROBLEM_TYPES
from playground.work import bulk_email, file_digest, steps

logger = logging.getLogger(__name__)

WORK: dict[str, Callable[..., dict[str, Any]]] = {
    Job.Kind.BULK_EMAIL: bulk_email.run,
    Job.Kind.FILE_PROCESSING: file_digest.run,
}
# A job's error is stored as its problem type's slug and a detail; the title comes
# from PROBLEM_TYPES when it is shown (playground.problems.job_error).
CANCELED_ERROR = {
    "code": "canceled",
    "detail": "A client asked for cancellation (DELETE on the status monitor).",
}
# An Idempotency-Key whose request never created its job (the process died) is
# taken over by a retry after this long instead of answering 409 forever.
IN_FLIGHT_TIMEOUT = timedelta(seconds=60)


class JobFinished(Exception):
    """The job already reached a final state (cancellation is too late)."""


class IdempotencyKeyInFlight(Exception):
    """The first request with this key is still being processed."""


class IdempotencyKeyReused(Exception):
    """The key was first used with a different request."""


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


# -- Accepting -------------------------------------------------------------------


def claim_idempotency_key(*, kind: str, key: str, fingerprint: str) -> Job | None:
    """Return the job an identical earlier request created, or None once the key is ours."""
    with transaction.atomic():
        record = IdempotencyKey.objects.select_related("job").filter(kind=kind, key=key).first()
        if record is None:
            IdempotencyKey.objects.create(kind=kind, key=key, fingerprint=fingerprint)
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(key)
        if record.job is not None:
            return record.job
        if record.created_at > timezone.now() - IN_FLIGHT_TIMEOUT:
            raise IdempotencyKeyInFlight(key)
        record.created_at = timezone.now()
        record.save(update_fields=["created_at"])
        return None


def release_idempotency_key(*, kind: str, key: str) -> None:
    """Forget a claimed key whose request was not accepted after all."""
    IdempotencyKey.objects.filter(kind=kind, key=key, job__isnull=True).delete()


def seconds_ahead_in_queue() -> float:
    """Rough time before a new job gets a worker: the remaining work of pending jobs."""
    pending = Job.objects.filter(status__in=Job.PENDING)
    return sum((remaining_work(job=job) for job in pending), 0.0)


def planned_seconds(*, job: Job) -> float:
    return float(job.input.get("steps", 1)) * settings.DEMO_PACE


def remaining_work(*, job: Job) -> float:
    """Seconds of work the job still needs: its planned time not yet covered by progress."""
    return planned_seconds(job=job) * (100 - job.progress) / 100


def _create_job(
    *, kind: str, job_input: dict[str, Any], idempotency_key: str | None, public_id: str | None
) -> Job:
    now = timezone.now()
    # The job and its task row are in the same database and the same transaction:
    # once this commits (before the 202 is sent) the job cannot be lost.
    with transaction.atomic():
        job = Job(kind=kind, input=job_input, estimated_completion_at=now)
        if public_id:
            job.public_id = public_id
        wait = seconds_ahead_in_queue() + planned_seconds(job=job)
        job.estimated_completion_at = now + timedelta(seconds=wait)
        job.save()
        job.task_result_id = str(tasks.run_job.enqueue(job_id=job.public_id).id)
        job.save(update_fields=["task_result_id"])
        if idempotency_key:
            IdempotencyKey.objects.filter(kind=kind, key=idempotency_key, job=None).update(job=job)
    return job


def enqueue_bulk_email(
    *, subject: str, body: str, recipients: list[Recipient], idempotency_key: str | None = None
) -> Job:
    rows = [{"email": r.email, "name": r.name} for r in recipients]
    job_input = {
        "subject": subject,
        "body": body,
        "recipients": rows,
        "steps": bulk_email.planned_steps(recipients=rows),
    }
    return _create_job(
        kind=Job.Kind.BULK_EMAIL,
        job_input=job_input,
        idempotency_key=idempotency_key,
        public_id=None,
    )


def upload_path(*, public_id: str) -> Path:
    return Path(settings.DEMO_UPLOAD_DIR) / public_id


def enqueue_file_processing(
    *, stored_as: str, filename: str, content_type: str, size: int, idempotency_key: str | None
) -> Job:
    """Queue the digest of an upload already written to upload_path(public_id=stored_as)."""
    job_input = {
        "filename": filename,
        "contentType": content_type,
        "size": size,
        "path": str(upload_path(public_id=stored_as)),
        "steps": file_digest.planned_steps(size=size),
    }
    return _create_job(
        kind=Job.Kind.FILE_PROCESSING,
        job_input=job_input,
        idempotency_key=idempotency_key,
        public_id=stored_as,
    )


def wait_for_job(*, job: Job, timeout: float, poll: float = 0.1) -> Job:
    """Poll until the job is finished or timeout seconds passed (Prefer: wait)."""
    deadline = time.monotonic() + timeout
    while job.is_pending and time.monotonic() < deadline:
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        job.refresh_from_db()
    return job


# -- Reading ---------------------------------------------------------------------


def find_job(*, public_id: str) -> Job | None:
    return Job.objects.filter(public_id=public_id).first()


def is_expired(*, job: Job, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return job.pruned or (job.expires_at is not None and job.expires_at <= now)


def iso(moment: datetime | None) -> str | None:
    """A moment as the API and /healthz write it: UTC, milliseconds, a Z suffix."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def remaining_seconds(*, job: Job, now: datetime | None = None) -> float:
    now = now or timezone.now()
    return max(0.0, (job.estimated_completion_at - now).total_seconds())


MAX_RETRY_AFTER = 5


def retry_after(*, job: Job) -> int:
    # Whole seconds, at least one: half the expected remaining time, so a client
    # polling on it sees progress along the way, and never more than a few seconds.
    return max(1, min(MAX_RETRY_AFTER, math.ceil(remaining_seconds(job=job) / 2)))


# -- Cancelling ------------------------------------------------------------------


def cancel_job(*, job: Job) -> Job:
    """Cancel a queued job at once; ask a running one to stop at its next step.

    Serialised with _finish on the job's row: either the job finishes first and this
    raises JobFinished, or the request is recorded first and the job ends canceled.
    """
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if not current.is_pending:
            raise JobFinished(current.public_id)
        now = timezone.now()
        current.cancel_requested_at = current.cancel_requested_at or now
        if current.status == Job.Status.QUEUED:
            _mark_finished(job=current, status=Job.Status.CANCELED, error=CANCELED_ERROR, now=now)
        else:
            current.message = "Cancellation requested; the job stops at its next step."
        current.save()
    if not current.is_pending:
        discard_upload(job=current)
    return current


# -- Running (called by the task in playground/tasks.py) -------------------------


def run_job(*, job_id: str, worker_id: str, task_result_id: str) -> str:
    job = _begin_attempt(job_id=job_id, worker_id=worker_id, task_result_id=task_result_id)
    if job is None:
        return "skipped"
    try:
        result = WORK[job.kind](job=job)
    except steps.LeaseLost:
        logger.warning("Job %s was taken over by another attempt; stopping.", job_id)
        return "lease-lost"
    except steps.WorkerStopping:
        _requeue(job=job, message="The worker restarted; the job resumes where it stopped.")
        return "requeued"
    except steps.JobCanceled:
        _finish(job=job, status=Job.Status.CANCELED, error=CANCELED_ERROR)
    except steps.JobFailed as failure:
        _finish(job=job, status=Job.Status.FAILED, error=failure.error, result=failure.result)
    except Exception:
        logger.exception("Job %s failed unexpectedly", job_id)
        error = {
            "code": "internal-error",
            "detail": "The worker hit an unexpected error; the job was not completed.",
        }
        _finish(job=job, status=Job.Status.FAILED, error=error)
    else:
        _finish(job=job, status=Job.Status.SUCCEEDED, result=result)
    return job.status


def _begin_attempt(*, job_id: str, worker_id: str, task_result_id: str) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(public_id=job_id).first()
        # Canceled while queued, already owned by another attempt, or this task was
        # presumed lost (see recover_stalled_jobs) and the job queued again.
        if (
            job is None
            or job.status != Job.Status.QUEUED
            or job.task_result_id != str(task_result_id)
        ):
            return None
        now = timezone.now()
        job.attempts += 1
        job.status = Job.Status.RUNNING
        job.started_at = job.started_at or now
        job.worker_id = worker_id
        job.task_result_id = task_result_id
        job.lease_expires_at = steps.lease_deadline()
        job.message = f"Started (attempt {job.attempts} of {settings.DEMO_MAX_ATTEMPTS})."
        job.estimated_completion_at = now + timedelta(seconds=remaining_work(job=job))
        job.save()
    return job


def _mark_finished(
    *,
    job: Job,
    status: str,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    job.status = status
    job.result = result
    job.error = error
    job.finished_at = now
    job.estimated_completion_at = now
    job.expires_at = now + timedelta(seconds=settings.DEMO_JOB_RETENTION)
    job.lease_expires_at = None
    if status == Job.Status.SUCCEEDED:
        job.progress = 100
    job.message = {
        Job.Status.SUCCEEDED: "Done.",
        Job.Status.FAILED: f"Failed: {_error_title(error)}.",
        Job.Status.CANCELED: "Canceled.",
    }[Job.Status(status)]


def _error_title(error: dict[str, Any] | None) -> str:
    return PROBLEM_TYPES[error["code"]].title if error else "unknown error"


def _finish(
    *,
    job: Job,
    status: str,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        # Only the attempt that holds the job may finish it.
        if not steps.owns_job(job=job, current=current):
            return
        if current.cancel_requested_at is not None:
            # The DELETE came after the last step but before this: it was answered
            # 202, so the job ends canceled and whatever it produced is discarded.
            status, result, error = Job.Status.CANCELED, None, CANCELED_ERROR
        now = timezone.now()
        _mark_finished(job=current, status=status, result=result, error=error, now=now)
        current.save()
    job.status = current.status
    discard_upload(job=current)


def _requeue(*, job: Job, message: str) -> None:
    with transaction.atomic():
        current = Job.objects.get(pk=job.pk)
        if not steps.owns_job(job=job, current=current):
            return
        _put_back_in_queue(job=current, message=message)


def _put_back_in_queue(*, job: Job, message: str) -> None:
    job.status = Job.Status.QUEUED
    job.worker_id = ""
    job.lease_expires_at = None
    job.message = message
    job.task_result_id = str(tasks.run_job.enqueue(job_id=job.public_id).id)
    job.save()


def discard_upload(*, job: Job) -> None:
    # Uploaded bytes are kept only as long as the job needs them.
    if job.kind == Job.Kind.FILE_PROCESSING:
        upload_path(public_id=job.public_id).unlink(missing_ok=True)


# -- Worker liveness and crash recovery (called from the worker loop) ------------


def record_heartbeat(*, worker_id: str) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"pid": os.getpid(), "seen_at": now}
    )


def worker_health(*, now: datetime | None = None) -> dict[str, Any]:
    """What /healthz reports about the workers: ok when one was seen recently."""
    now = now or timezone.now()
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    stale_after = timedelta(seconds=settings.DEMO_WORKER_STALE_AFTER)
    if latest is None:
        return {"status": "error", "detail": "No worker has ever started."}
    age = (now - latest.seen_at).total_seconds()
    fresh = latest.seen_at > now - stale_after
    return {
        "status": "ok" if fresh else "error",
        "lastSeenAt": iso(latest.seen_at),
        "secondsSinceSeen": round(age, 1),
        **({} if fresh else {"detail": "No worker has been seen recently."}),
    }


def recover_stalled_jobs(*, now: datetime | None = None) -> list[Job]:
    """Retry (or, after DEMO_MAX_ATTEMPTS, fail) the jobs dead workers left behind.

    Running jobs whose lease ran out, and queued jobs whose task is no longer
    going to start them (see _queued_without_live_task).
    """
    now = now or timezone.now()
    recovered = []
    with transaction.atomic():
        stalled = Job.objects.select_for_update().filter(
            status=Job.Status.RUNNING, lease_expires_at__lt=now
        )
        for job in [*stalled, *_queued_without_live_task(now=now)]:
            _abandon_task_result(job=job, now=now)
            if job.status == Job.Status.QUEUED:
                # The attempt its lost task would have made counts: retries stay bounded
                # even when a worker dies every time before the job starts.
                job.attempts += 1
            if job.cancel_requested_at is not None:
                _mark_finished(job=job, status=Job.Status.CANCELED, error=CANCELED_ERROR, now=now)
                job.save()
            elif job.attempts >= settings.DEMO_MAX_ATTEMPTS:
                error = {
                    "code": "worker-lost",
                    "detail": f"The job was attempted {job.attempts} times and each time its "
                    "worker stopped responding before it finished; giving up.",
                }
                _mark_finished(job=job, status=Job.Status.FAILED, error=error, now=now)
                job.save()
            else:
                _put_back_in_queue(
                    job=job,
                    message=f"The worker stopped responding; retrying (attempt "
                    f"{job.attempts + 1} of {settings.DEMO_MAX_ATTEMPTS}).",
                )
            logger.warning("Recovered stalled job %s: now %s", job.public_id, job.status)
            recovered.append(job)
    for job in recovered:
        if not job.is_pending:
            discard_upload(job=job)
    return recovered


def _queued_without_live_task(*, now: datetime) -> list[Job]:
    """Queued jobs whose task will never start them.

    A worker commits its claim on a task (RUNNING) before run_job marks the job
    running. Killed in between, or failing to start the job (a database error), it
    leaves the job queued behind a task that is RUNNING forever, or FAILED.
    A claim older than a lease timeout that has not started its job is dead.
    """
    queued = list(Job.objects.select_for_update().filter(status=Job.Status.QUEUED))
    task_ids = {job.pk: _as_uuid(job.task_result_id) for job in queued}
    tasks = DBTaskResult.objects.in_bulk(
        [task_id for task_id in task_ids.values() if task_id is not None]
    )
    claimed_before = now - timedelta(seconds=settings.DEMO_LEASE_TIMEOUT)
    return [
        job
        for job in queued
        if _will_never_start(tasks.get(task_ids[job.pk]), claimed_before=claimed_before)
    ]


def _will_never_start(task: DBTaskResult | None, *, claimed_before: datetime) -> bool:
    if task is None or task.status in ("SUCCESSFUL", "FAILED"):
        return True
    started = task.started_at
    return task.status == "RUNNING" and started is not None and started < claimed_before


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _abandon_task_result(*, job: Job, now: datetime) -> None:
    # The library has no lease of its own: a killed worker's task stays RUNNING
    # forever unless someone closes it.
    task_id = _as_uuid(job.task_result_id)
    if task_id is None:
        return
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=now,
        exception_class_path="playground.jobs.WorkerLost",
        traceback=f"Worker {job.worker_id} stopped renewing the lease of {job.public_id}.",
    )


# -- Retention -------------------------------------------------------------------


def prune_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """Drop the data of expired jobs, keeping a tombstone that answers 410 for a while."""
    now = now or timezone.now()
    retention = timedelta(seconds=settings.DEMO_JOB_RETENTION)
    expired = Job.objects.filter(pruned=False, expires_at__lte=now)
    IdempotencyKey.objects.filter(job__in=expired).delete()
    counts = {
        "expired": expired.update(pruned=True, input={}, state={}, result=None, error=None),
        "deleted": Job.objects.filter(pruned=True, expires_at__lte=now - retention).delete()[0],
        "messages": MailboxMessage.objects.filter(delivered_at__lte=now - retention).delete()[0],
        "tasks": DBTaskResult.objects.filter(
            Q(status__in=["SUCCESSFUL", "FAILED"]), finished_at__lte=now - retention
        ).delete()[0],
        "heartbeats": WorkerHeartbeat.objects.filter(seen_at__lte=now - retention).delete()[0],
        "uploads": _delete_stray_uploads(now=now),
    }
    IdempotencyKey.objects.filter(job=None, created_at__lte=now - IN_FLIGHT_TIMEOUT).delete()
    return counts


def _delete_stray_uploads(*, now: datetime) -> int:
    """Delete the stored uploads no pending job needs.

    A job deletes its upload when it finishes; a process killed just before that, or
    between storing an upload and committing its job, leaves the file behind.
    """
    directory = Path(settings.DEMO_UPLOAD_DIR)
    if not directory.is_dir():
        return 0
    pending = set(Job.objects.filter(status__in=Job.PENDING).values_list("public_id", flat=True))
    # An upload still arriving has no job yet, but it was written to just now.
    written_before = (now - IN_FLIGHT_TIMEOUT).timestamp()
    deleted = 0
    for path in directory.iterdir():
        if path.is_file() and path.name not in pending and path.stat().st_mtime < written_before:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
