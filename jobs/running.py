"""Running jobs: the task the worker runs, one slice of an attempt per task, and
queueing the next slice.

An attempt at a job is a chain of tasks. Each one (a slice) runs every step of the
job that is due (work/steps.py) and, at the first step that is not,
queues the next slice for that step's due time and ends. Waiting is the queue's,
not a worker's: one worker interleaves as many waiting jobs as there are.

A slice's task ends SUCCESSFUL when it did its share: the job succeeded, or the
next slice is queued. It ends FAILED (with the reason) when the job failed or was
canceled, or the slice was superseded, or the worker let go of the job (the
lost-by-worker preset); recovery.py closes the task of a slice whose
worker died, and retries the job of a lease that ran out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from config.site import iso_utc
from jobs.models import Job, upload_path
from jobs.work import bulk_email, file_digest, steps

logger = logging.getLogger(__name__)

WORK: dict[str, Callable[..., dict[str, Any]]] = {
    Job.Kind.BULK_EMAIL: bulk_email.run,
    Job.Kind.FILE_PROCESSING: file_digest.run,
}


class AttemptSuperseded(Exception):
    """This task's job was canceled, finished, or handed to another task meanwhile."""


@task(takes_context=True)
def run_job(context: TaskContext, job_id: str) -> str:
    """The task of one slice of a job: the steps that are due, then hand on.

    The job's own state is recorded on the Job; this task ends SUCCESSFUL when the
    job succeeded or its next slice is queued, FAILED (with the reason) otherwise.
    """
    return run_slice(
        job_id=job_id,
        task_result_id=context.task_result.id,
        # The next slice keeps the place in line admission gave the job.
        priority=context.task_result.task.priority,
    )


def enqueue_slice(*, job: Job, priority: int = 0, run_after: datetime | None = None) -> None:
    """Queue the task that runs the job's next slice, and point the job to it; the caller
    saves the job.

    The caller's transaction commits both or neither: a job always has its task.
    """
    slice_task = run_job.using(priority=priority, run_after=run_after)
    job.task_result_id = slice_task.enqueue(job_id=job.public_id).id


def run_slice(*, job_id: str, task_result_id: str, priority: int = 0) -> str:
    """Run the job's due steps as this task; say how the slice handed on.

    Returns when the job succeeded or its next slice is queued; every other end
    raises, so the task is recorded FAILED: the job failed or was canceled, or
    this task no longer runs it.
    """
    job = _begin_slice(job_id=job_id, task_result_id=task_result_id)
    try:
        result = WORK[job.kind](job=job)
    except steps.Later as later:
        return _continue_later(job=job, at=later.at, reason=later.reason, priority=priority)
    except steps.LeaseLost:
        logger.warning("Job %s was taken over by another attempt; stopping.", job_id)
        raise
    except steps.Dropped:
        # The job stays as this slice found it, its lease this worker's until it runs out.
        logger.warning("Job %s is let go of, as a worker killed now would.", job_id)
        raise
    except steps.JobCanceled:
        _finish(job=job, status=Job.Status.CANCELED)
        raise
    except steps.JobFailed as failure:
        _finish(job=job, status=Job.Status.FAILED, error=failure.error, result=failure.result)
        raise
    except Exception:
        logger.exception("Job %s failed unexpectedly", job_id)
        error = {
            "code": Job.ErrorCode.INTERNAL_ERROR.value,
            "detail": "The worker hit an unexpected error; the job was not completed.",
        }
        _finish(job=job, status=Job.Status.FAILED, error=error)
        raise
    steps.reached.send(sender=Job, job=job, point="finish")
    _finish(job=job, status=Job.Status.SUCCEEDED, result=result)
    return Job.Status.SUCCEEDED


def _begin_slice(*, job_id: str, task_result_id: str) -> Job:
    """Take the job for this task: a new attempt when it is queued, its next slice when not."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(public_id=job_id).first()
        # Canceled while queued, finished, or this task was presumed lost
        # (jobs.recovery) and the job handed to another one.
        if job is None or not job.is_pending or str(job.task_result_id) != str(task_result_id):
            raise AttemptSuperseded(f"Task {task_result_id} no longer runs job {job_id}.")
        if job.status == Job.Status.QUEUED:
            steps.reached.send(sender=Job, job=job, point="attempt")
            now = timezone.now()
            job.attempts += 1
            job.status = Job.Status.RUNNING
            job.started_at = job.started_at or now
            job.message = f"Started (attempt {job.attempts} of {settings.DEMO_MAX_ATTEMPTS})."
            job.estimated_completion_at = now + timedelta(seconds=job.remaining_work())
        job.lease_expires_at = steps.lease_deadline()
        job.save()
    return job


def _continue_later(*, job: Job, at: datetime, reason: str, priority: int) -> str:
    """Queue the job's next slice for `at`, in the transaction that checks it is still ours."""
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if not steps.owns_job(job=job, current=current):
            raise steps.LeaseLost(job.public_id)
        enqueue_slice(job=current, priority=priority, run_after=at)
        # The lease covers a slice a worker holds; a job waiting in the queue needs none.
        current.lease_expires_at = None
        current.save(update_fields=["task_result", "lease_expires_at", "updated_at"])
    return f"Continues at {iso_utc(at)} ({reason}), as task {current.task_result_id}."


def _finish(
    *,
    job: Job,
    status: str,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    """End the attempt's job in status; a canceled one keeps what it did before it stopped.

    No DELETE can come between the job's last step and this: once its work is done,
    a cancel is refused (lifecycle.cancel_job), so the job ends as its work did.
    """
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        # Only the attempt that holds the job may finish it.
        if not steps.owns_job(job=job, current=current):
            raise steps.LeaseLost(job.public_id)
        if status == Job.Status.CANCELED:
            cancel(job=current, now=timezone.now())
        else:
            current.finish(status=status, result=result, error=error, now=timezone.now())
        current.save()
    discard_upload(job=current)


# -- What canceling, recovery and running share ----------------------------------


def cancel(*, job: Job, now: datetime) -> None:
    """Put job (not yet saved) in the canceled state, with the report its work keeps."""
    report = bulk_email.canceled_report(job) if job.kind == Job.Kind.BULK_EMAIL else None
    job.cancel(now=now, report=report)


def put_back_in_queue(*, job: Job, message: str) -> None:
    """Queue a new attempt at job; the caller holds its row in a transaction."""
    job.status = Job.Status.QUEUED
    job.lease_expires_at = None
    job.message = message
    enqueue_slice(job=job)
    job.save()


def close_task(*, job: Job, error: BaseException, now: datetime) -> None:
    """Record the job's task as FAILED with error.

    A task a worker has claimed (RUNNING) is closed too: if that worker is alive it
    finds the job canceled (AttemptSuperseded); if it died, nothing else would.
    """
    if job.task_result_id is None:
        return
    open_statuses = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    DBTaskResult.objects.filter(pk=job.task_result_id, status__in=open_statuses).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
        traceback=str(error),
    )


def discard_upload(*, job: Job) -> None:
    # Uploaded bytes are kept only as long as the job needs them.
    if job.kind == Job.Kind.FILE_PROCESSING:
        upload_path(public_id=job.public_id).unlink(missing_ok=True)
