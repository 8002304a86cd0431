"""The step protocol every job follows.

A job is a sequence of short steps. Each step runs in its own transaction on a
freshly read job row, commits what it did together with a renewed lease, and so
is never half done: a worker killed between steps loses nothing, and a retry
resumes from what the committed steps recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from playground.models import Job, WorkerHeartbeat

# Set by the worker on SIGTERM: the step in progress finishes, no new one starts
# (every step is pause() then job_step(); pause() is where a step starts).
stop_requested = threading.Event()


class JobCanceled(Exception):
    """The client asked for cancellation; the job stops before its next step."""


class LeaseLost(Exception):
    """Another attempt owns the job now (this worker was presumed dead)."""


class WorkerStopping(Exception):
    """The worker is shutting down; the job goes back to the queue."""


class JobFailed(Exception):
    """The job ran and cannot succeed; error is what clients see.

    code is a slug of playground.problems.PROBLEM_TYPES, which holds its title.
    """

    def __init__(self, *, code: str, detail: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.error = {"code": code, "detail": detail}
        self.result = result


def pause() -> None:
    """The work time of the next step; raises WorkerStopping instead of starting one."""
    if stop_requested.is_set():
        raise WorkerStopping()
    # The demo pace: real work here takes milliseconds, a person needs seconds.
    time.sleep(settings.DEMO_PACE)


def lease_deadline() -> datetime:
    return timezone.now() + timedelta(seconds=settings.DEMO_LEASE_TIMEOUT)


def owns_job(*, job: Job, current: Job) -> bool:
    """Whether the attempt that read job still holds it, current being the row read now.

    Another attempt took over if the job was requeued (attempts moved on) or finished.
    """
    return current.status == Job.Status.RUNNING and current.attempts == job.attempts


@contextmanager
def job_step(*, job: Job, done: int, message: str) -> Iterator[Job]:
    """Commit one step of job; `done` is how many of its planned steps are done after it."""
    with transaction.atomic():
        current = Job.objects.get(pk=job.pk)
        if not owns_job(job=job, current=current):
            raise LeaseLost(job.public_id)
        if current.cancel_requested_at is not None:
            raise JobCanceled()
        yield current
        total = max(1, int(current.input.get("steps", 1)))
        # 100 is reserved for a finished job.
        current.progress = min(99, 100 * done // total)
        current.message = message
        current.lease_expires_at = lease_deadline()
        current.save()
        WorkerHeartbeat.objects.filter(worker_id=current.worker_id).update(seen_at=timezone.now())
