"""The step protocol every job follows.

A job is a sequence of short, named steps, and the demo pace is a schedule: step k
is due k paces after the job was accepted. Waiting for a step does not occupy a
worker. A worker runs one slice of a job at a time (``jobs.running``): it
replays the job's steps, passing over those already committed, runs every step that
is due, each in its own transaction on a freshly read job row, and at the first one
not yet due hands the job back to the queue with the step's due time (the Tasks
API's run_after). So one worker interleaves many waiting jobs, a worker killed
between steps loses nothing, and a job that waited in a busy queue catches up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import Job

T = TypeVar("T")

# Set by the worker on SIGTERM: the step in progress finishes, no new one starts.
stop_requested = threading.Event()

# Sent with job= and point= at each named point of a run: "attempt" as an attempt
# begins, then each step's name ("prepare", "render:0", "send:0", "report", "read:3")
# once it is due, just before it runs, and "finish" after the last one.
# Nothing in the site listens; tests
# inject faults (a crash, a DELETE, a SIGTERM) at these points.
reached = Signal()


class Later(Exception):
    """The job's next step is not due yet (or the worker is stopping): run it at `at`."""

    def __init__(self, at: datetime, *, reason: str) -> None:
        super().__init__(reason)
        self.at = at
        self.reason = reason


class JobCanceled(Exception):
    """The client asked for cancellation; the job stops before its next step."""


class LeaseLost(Exception):
    """Another attempt owns the job now (this worker was presumed dead)."""


class Dropped(Exception):
    """This worker lets go of the job as a worker killed there would (the lost-by-worker
    preset): nothing more commits, and the job's lease stays taken until it runs out;
    ``jobs.recovery`` then retries the job, as for any worker that died."""


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


def steps_done(job: Job) -> int:
    """How many of the job's planned steps are committed (by this attempt or earlier ones)."""
    return int(job.state.get("stepsDone", 0))


def steps_planned(job: Job) -> int:
    """How many steps the job was planned with when it was accepted (at least one)."""
    return max(1, int(job.input.get("steps", 1)))


def next_step_due(job: Job) -> datetime:
    """When the job's next step is due: a pace after the last one was, or after acceptance."""
    due = parse_datetime(job.state["nextStepAt"]) if "nextStepAt" in job.state else None
    return due or job.created_at + timedelta(seconds=settings.DEMO_PACE)


def _lost_before(*, job: Job, done: int) -> bool:
    """Whether the worker of a lost-by-worker job lets go of it before this step: its
    second (its first, for a job of one step), in the first attempt only."""
    first_lost = min(2, steps_planned(job))
    return job.preset == Job.Preset.LOST_BY_WORKER and job.attempts == 1 and done == first_lost


def step(
    *,
    job: Job,
    name: str,
    done: int,
    message: str,
    work: Callable[[Job], T] | None = None,
) -> T | None:
    """Do one step of job once it is due and commit it; return what work returned.

    `done` is how many of the job's planned steps are done after this one (it
    numbers the steps); a step an earlier slice committed returns None at once.
    work gets the freshly read row and may record what it did in its state.
    """
    if done <= steps_done(job):
        return None
    due = next_step_due(job)
    if stop_requested.is_set():
        raise Later(max(due, timezone.now()), reason="the worker is stopping")
    if due > timezone.now():
        raise Later(due, reason=f"step {name} is due later")
    if _lost_before(job=job, done=done):
        raise Dropped(
            f"Job {job.public_id} asked for {Job.Preset.LOST_BY_WORKER.value}: its first "
            f"attempt's worker lets go of it before step {name}."
        )
    reached.send(sender=Job, job=job, point=name)
    with transaction.atomic():
        # Locked: a DELETE (cancel_requested_at) or a monitor's count committed while
        # this step runs must not be overwritten by it (PostgreSQL reads without
        # waiting; SQLite's write lock serialises anyway).
        current = Job.objects.select_for_update().get(pk=job.pk)
        if not owns_job(job=job, current=current):
            raise LeaseLost(job.public_id)
        if current.cancel_requested_at is not None:
            raise JobCanceled(f"Job {job.public_id} was canceled before step {name}.")
        outcome = work(current) if work is not None else None
        # 100 is reserved for a finished job.
        current.progress = min(99, 100 * done // steps_planned(current))
        current.message = message
        current.state["stepsDone"] = done
        # On schedule: a step that ran late leaves the next one due sooner.
        current.state["nextStepAt"] = (due + timedelta(seconds=settings.DEMO_PACE)).isoformat()
        current.lease_expires_at = lease_deadline()
        current.save(
            update_fields=["progress", "message", "state", "lease_expires_at", "updated_at"]
        )
    job.state, job.progress, job.message = current.state, current.progress, current.message
    return outcome
