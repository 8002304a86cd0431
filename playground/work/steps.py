"""The step protocol every job follows.

A job is a sequence of short, named steps. Each step waits the demo pace, then
runs in its own transaction on a freshly read job row and commits what it did
together with a renewed lease, so it is never half done: a worker killed between
steps loses nothing, and a retry resumes from what the committed steps recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from playground.models import Job

T = TypeVar("T")

# Set by the worker on SIGTERM: the step in progress finishes, no new one starts.
stop_requested = threading.Event()

# Sent with job= and point= at each named point of a run: "attempt" as an attempt
# begins, then each step's name ("prepare", "render:0", "send:0", "report", "read:3")
# once its pace is waited, just before it runs, and "finish" after the last one.
# Nothing in the site listens; tests
# inject faults (a crash, a DELETE, a SIGTERM) at these points.
reached = Signal()


class JobCanceled(Exception):
    """The client asked for cancellation; the job stops before its next step."""


class LeaseLost(Exception):
    """Another attempt owns the job now (this worker was presumed dead)."""


class WorkerStopping(Exception):
    """The worker is shutting down; the job goes back to the queue."""


class JobFailed(Exception):
    """The job ran and cannot succeed; code and detail are what clients see."""

    def __init__(
        self, *, code: Job.ErrorCode, detail: str, result: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.error = {"code": str(code), "detail": detail}
        self.result = result


def lease_deadline() -> datetime:
    return timezone.now() + timedelta(seconds=settings.DEMO_LEASE_TIMEOUT)


def owns_job(*, job: Job, current: Job) -> bool:
    """Whether the attempt that read job still holds it, current being the row read now.

    Another attempt took over if the job was requeued (attempts moved on) or finished.
    """
    return current.status == Job.Status.RUNNING and current.attempts == job.attempts


def step(
    *,
    job: Job,
    name: str,
    done: int,
    message: str,
    work: Callable[[Job], T] | None = None,
) -> T | None:
    """Wait the demo pace, then do one step of job and commit it; return what work returned.

    `done` is how many of the job's planned steps are done after this one; work gets
    the freshly read row and may record what it did in its state.
    """
    if stop_requested.is_set():
        raise WorkerStopping()
    # The demo pace: real work here takes milliseconds, a person needs seconds.
    time.sleep(settings.DEMO_PACE)
    reached.send(sender=Job, job=job, point=name)
    with transaction.atomic():
        current = Job.objects.get(pk=job.pk)
        if not owns_job(job=job, current=current):
            raise LeaseLost(job.public_id)
        if current.cancel_requested_at is not None:
            raise JobCanceled()
        outcome = work(current) if work is not None else None
        total = max(1, int(current.input.get("steps", 1)))
        # 100 is reserved for a finished job.
        current.progress = min(99, 100 * done // total)
        current.message = message
        current.lease_expires_at = lease_deadline()
        current.save()
    return outcome
