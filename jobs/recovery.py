"""Recovering the jobs of workers that died: a stopgap for what the task library lacks.

django-tasks-db has no lease: a worker killed with SIGKILL (or by the OOM killer,
or a power cut) leaves its task RUNNING forever, and the job it was running with
it (upstream issue "Unclean exits leave tasks in limbo"). Until the library
recovers such tasks itself, every worker calls recover_stalled_jobs from its
housekeeping (``manage.py db_worker``). The day upstream
does it, this module and that call go, in one commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs import running
from jobs.models import Job

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded on a task whose worker stopped renewing the lease of its job."""


def recover_stalled_jobs(*, now: datetime | None = None) -> list[Job]:
    """Retry (or, after DEMO_MAX_ATTEMPTS, fail) the jobs dead workers left behind.

    Running jobs whose lease ran out (a worker stopped in the middle of a slice),
    and jobs waiting for a task that is no longer going to start them (see
    _waiting_without_live_task).
    """
    now = now or timezone.now()
    recovered = []
    with transaction.atomic():
        stalled = Job.objects.select_for_update().filter(
            status=Job.Status.RUNNING, lease_expires_at__lt=now
        )
        for job in [*stalled, *_waiting_without_live_task(now=now)]:
            _abandon_task(job=job, now=now)
            if job.status == Job.Status.QUEUED:
                # The attempt its lost task would have made counts: retries stay bounded
                # even when a worker dies every time before the job starts.
                job.attempts += 1
            if job.cancel_requested_at is not None:
                running.cancel(job=job, now=now)
                job.save()
            elif job.attempts >= settings.DEMO_MAX_ATTEMPTS:
                error = {
                    "code": Job.ErrorCode.WORKER_LOST.value,
                    "detail": f"The job was attempted {job.attempts} times and each time its "
                    "worker stopped responding before it finished; giving up.",
                }
                job.finish(status=Job.Status.FAILED, error=error, now=now)
                job.save()
            else:
                running.put_back_in_queue(
                    job=job,
                    message=f"The worker stopped responding; retrying (attempt "
                    f"{job.attempts + 1} of {settings.DEMO_MAX_ATTEMPTS}).",
                )
            logger.warning("Recovered stalled job %s: now %s", job.public_id, job.status)
            recovered.append(job)
    for job in recovered:
        if not job.is_pending:
            running.discard_upload(job=job)
    return recovered


def _waiting_without_live_task(*, now: datetime) -> list[Job]:
    """Jobs waiting for their next slice (queued, or running between slices, so without
    a lease) whose task will never start it.

    A worker commits its claim on a task (RUNNING) before it takes the job. Killed in
    between, or failing to take the job (a database error), it leaves the job behind
    a task that is RUNNING forever, or FAILED. A claim older than a lease timeout
    that has not taken its job is dead.
    """
    queued = Job.objects.select_for_update().filter(
        status__in=Job.PENDING, lease_expires_at__isnull=True
    )
    claimed_before = now - timedelta(seconds=settings.DEMO_LEASE_TIMEOUT)
    return [
        job
        # of=("self",): lock the jobs only (PostgreSQL refuses to lock the nullable join).
        for job in queued.select_related("task_result").select_for_update(of=("self",))
        if _will_never_start(job.task_result, claimed_before=claimed_before)
    ]


def _will_never_start(task: DBTaskResult | None, *, claimed_before: datetime) -> bool:
    if task is None or task.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
        return True
    started = task.started_at
    return (
        task.status == TaskResultStatus.RUNNING and started is not None and started < claimed_before
    )


def _abandon_task(*, job: Job, now: datetime) -> None:
    # Close the dead worker's task: nothing else ever would.
    task = job.task_result
    if task is None or task.status != TaskResultStatus.RUNNING:
        return
    worker = task.worker_ids[-1] if task.worker_ids else "unknown"
    DBTaskResult.objects.running().filter(pk=task.pk).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"Worker {worker} stopped renewing the lease of {job.public_id}.",
    )
