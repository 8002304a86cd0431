"""Whether the demo can take one more job, and where in the queue it goes.

Checked inside the transaction that creates the job (playground/jobs.py), so two
requests cannot both take the last place:
- backpressure: beyond DEMO_MAX_PENDING_JOBS pending jobs in all, QueueFull (the
  API answers 503 with Retry-After rather than a 202 it could not honour soon);
- fairness: a client with DEMO_MAX_PENDING_PER_CLIENT pending jobs gets ClientBusy
  (429), and each job is queued behind the client's own earlier ones (a lower task
  priority), so one client's flood does not hold up another client's first job;
- storage: uploads waiting for their jobs stay under DEMO_MAX_STORED_UPLOAD_BYTES;
- retention: a client keeps at most DEMO_MAX_JOBS_PER_CLIENT jobs; its oldest
  finished ones beyond that are pruned early and answer 410 Gone.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.db.models import QuerySet

from playground import retention
from playground.models import Job

# The task library's priorities run from -100 to 100; higher runs first.
LOWEST_PRIORITY = -100


class AdmissionRefused(Exception):
    """The job cannot be taken now; retry_after says when to try again (whole seconds)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(AdmissionRefused):
    pass


class ClientBusy(AdmissionRefused):
    pass


class StorageFull(AdmissionRefused):
    pass


def admit(*, client: str, upload_bytes: int = 0) -> int:
    """Check the limits for one more job of client; return the priority of its task."""
    pending = Job.objects.filter(status__in=Job.PENDING)
    depth = pending.count()
    if depth >= settings.DEMO_MAX_PENDING_JOBS:
        raise QueueFull(
            f"{depth} jobs are pending, the most this demo takes at once; try again later.",
            retry_after=_until_a_place_frees(pending),
        )
    own = pending.filter(client=client) if client else pending.none()
    mine = own.count()
    if mine >= settings.DEMO_MAX_PENDING_PER_CLIENT:
        raise ClientBusy(
            f"You already have {mine} jobs pending, the most one client may have; "
            "wait for one to finish.",
            retry_after=_until_a_place_frees(own),
        )
    if upload_bytes:
        # At most DEMO_MAX_PENDING_JOBS rows: adding them up here is cheap.
        waiting = pending.filter(kind=Job.Kind.FILE_PROCESSING).values_list("input", flat=True)
        stored = sum(int(job_input.get("size", 0)) for job_input in waiting)
        if stored + upload_bytes > settings.DEMO_MAX_STORED_UPLOAD_BYTES:
            raise StorageFull(
                "The uploads waiting for their jobs fill the space the demo keeps for them.",
                retry_after=_until_a_place_frees(pending),
            )
    if client:
        retention.keep_newest(client=client, count=settings.DEMO_MAX_JOBS_PER_CLIENT - 1)
    return max(LOWEST_PRIORITY, -mine)


def queue_depth() -> dict[str, int]:
    """What /healthz reports about the queue."""
    pending = Job.objects.filter(status__in=Job.PENDING).count()
    return {"pending": pending, "limit": settings.DEMO_MAX_PENDING_JOBS}


def _until_a_place_frees(pending: QuerySet[Job]) -> int:
    # Roughly when the soonest of these jobs finishes: the least work any still needs.
    works = [job.remaining_work() for job in pending]
    return max(1, min(60, math.ceil(min(works, default=1.0))))
