"""Whether the demo can take one more job, and where in the queue it goes; and whether
a request may wait for its job.

Checked inside the transaction that creates the job (``jobs.lifecycle``), so two
requests cannot both take the last place:
- backpressure: beyond DEMO_MAX_PENDING_JOBS pending jobs in all, QueueFull (the
  API answers 503 with Retry-After rather than a 202 it could not honour soon);
- fairness: a client with DEMO_MAX_PENDING_PER_CLIENT pending jobs gets ClientBusy
  (429), and each job is queued behind the client's own earlier ones (a lower task
  priority), so one client's flood does not hold up another client's first job;
  the /64s of one IPv6 /48 have DEMO_MAX_PENDING_PER_NETWORK pending jobs in all
  (ClientBusy too), so a block of addresses cannot hold the queue;
- work: the seconds of work a client's pending jobs still plan, with the new job's,
  stay under DEMO_MAX_PENDING_WORK_PER_CLIENT (TooMuchWork, 429), so no block of
  clients fills the queue with long jobs; a client with nothing pending may always
  start one job, however long;
- storage: uploads waiting for their jobs stay under DEMO_MAX_STORED_UPLOAD_BYTES in
  all (StorageFull, 503) and DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT per client
  (UploadShareFull, 429; one upload always fits), so one client cannot fill the
  space every client shares;
- stored bytes: what a client's kept jobs store (what was asked, and for a bulk email
  each recipient's delivered message) stays under DEMO_MAX_STORED_BYTES_PER_CLIENT:
  a job that alone would store more is JobTooLarge (413), pending jobs that already
  store too much give StorageShareFull (429), and the client's oldest finished jobs
  are pruned early to make room (they answer 410 Gone);
- retention: a client keeps at most DEMO_MAX_JOBS_PER_CLIENT jobs; its oldest
  finished ones beyond that are pruned early and answer 410 Gone.

Waiting (Prefer: wait) holds a web thread, so place_to_wait hands out at most
DEMO_MAX_WAITS_PER_PROCESS places per process and DEMO_MAX_WAITS_PER_CLIENT per
client; without one a request answers at once.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet

from jobs import retention
from jobs.models import Job
from jobs.ratestore import rate_store

logger = logging.getLogger(__name__)

# The task library's priorities run from -100 to 100; higher runs first.
LOWEST_PRIORITY = -100
# The IPv6 block one holder gets (an ISP's customer, a tunnel broker's user): its /64s
# share the caps of a network.
NETWORK_PREFIX = 48
# How long a client's place to wait stays taken in the shared store: longer than any
# wait (wait_for_job stops by then), so a process that dies while waiting frees its
# place by itself this much later.
WAIT_PLACE_SECONDS = 15.0


class AdmissionError(Exception):
    """The job is not taken."""


class JobTooLarge(AdmissionError):
    """The job alone would store more than one client may keep: it never fits."""


class AdmissionRefused(AdmissionError):
    """The job cannot be taken now; retry_after says when to try again (whole seconds)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(AdmissionRefused):
    pass


class ClientBusy(AdmissionRefused):
    pass


class TooMuchWork(AdmissionRefused):
    pass


class StorageFull(AdmissionRefused):
    pass


class UploadShareFull(AdmissionRefused):
    pass


class StorageShareFull(AdmissionRefused):
    pass


def network_of(client: str) -> str:
    """The IPv6 /48 a client key (an address, or an IPv6 /64) belongs to; "" for IPv4."""
    if ":" not in client:
        return ""
    try:
        return str(ipaddress.IPv6Network(client, strict=False).supernet(new_prefix=NETWORK_PREFIX))
    except ValueError:
        return ""


def admit(*, job: Job) -> int:
    """Check the limits for one more job (not yet saved); return the priority of its task."""
    client = job.client
    stored = stored_bytes(job)
    if stored > settings.DEMO_MAX_STORED_BYTES_PER_CLIENT:
        raise JobTooLarge(
            f"This job would store about {stored} bytes (its messages as delivered, each "
            f"recipient's rendered body); one client may keep "
            f"{settings.DEMO_MAX_STORED_BYTES_PER_CLIENT}."
        )
    pending = Job.objects.filter(status__in=Job.PENDING)
    mine = _totals(client=client, network=job.network)
    if mine.queue >= settings.DEMO_MAX_PENDING_JOBS:
        raise QueueFull(
            f"{mine.queue} jobs are pending, the most this demo takes at once; try again later.",
            retry_after=_until_a_place_frees(pending),
        )
    own = pending.filter(client=client) if client else pending.none()
    if mine.jobs >= settings.DEMO_MAX_PENDING_PER_CLIENT:
        raise ClientBusy(
            f"You already have {mine.jobs} jobs pending, the most one client may have; "
            "wait for one to finish.",
            retry_after=_until_a_place_frees(own),
        )
    if job.network and mine.neighbours >= settings.DEMO_MAX_PENDING_PER_NETWORK:
        raise ClientBusy(
            f"The addresses of your IPv6 network {job.network} already have {mine.neighbours} "
            "jobs pending, the most one /48 may have; wait for one to finish.",
            retry_after=_until_a_place_frees(pending.filter(network=job.network)),
        )
    _check_work(own=own, planned=mine.work, new=job.planned_seconds())
    upload_bytes = upload_size(job)
    if upload_bytes:
        _check_uploads(own=own, held=mine.uploads, pending=pending, new=upload_bytes)
    if client:
        _make_room(client=client, own=own, held=mine.stored, kept=mine.kept, new=stored)
        if mine.kept_jobs >= settings.DEMO_MAX_JOBS_PER_CLIENT:
            retention.keep_newest(client=client, count=settings.DEMO_MAX_JOBS_PER_CLIENT - 1)
    return max(LOWEST_PRIORITY, -mine.jobs)


@dataclass(frozen=True)
class Totals:
    """What the pending jobs, and a client's jobs, add up to, as each planned when accepted."""

    queue: int  # pending jobs, everyone's
    neighbours: int  # pending jobs of the client's IPv6 /48 (0 for IPv4)
    jobs: int  # the client's pending jobs
    work: float  # seconds the client's pending ones still plan (Job.remaining_work of each)
    uploads: int  # bytes of the client's pending ones' uploads
    stored: int  # bytes the client's pending ones will store
    kept: int  # bytes all its kept (not pruned) jobs store, pending ones included
    kept_jobs: int  # its kept jobs, pending ones included


def _totals(*, client: str, network: str) -> Totals:
    """Added up by the database in one statement (pending jobs are never pruned).

    SQL, not the ORM: this runs on every job a client starts, in the transaction that
    holds the write lock, and building these queries took the ORM several times longer
    than the database took to run them.
    """
    if connection.vendor == "postgresql":
        steps, size = "(input->>'steps')::float", "(input->>'size')::bigint"
        stored = "(input->>'storedBytes')::bigint"
    else:
        steps, size = "json_extract(input, '$.steps')", "json_extract(input, '$.size')"
        stored = "json_extract(input, '$.storedBytes')"
    statuses = [status.value for status in Job.PENDING]
    pending = "status IN (%s, %s)"
    table = Job._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {table} WHERE {pending}),"
            f" (SELECT COUNT(*) FROM {table} WHERE {pending} AND network = %s),"
            f" SUM(CASE WHEN {pending} THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN {pending} THEN COALESCE({steps}, 1) * (100 - progress) END),"
            f" SUM(CASE WHEN {pending} AND kind = %s THEN {size} END),"
            f" SUM(CASE WHEN {pending} THEN {stored} END),"
            f" SUM({stored}), COUNT(*)"
            f" FROM {table} WHERE client = %s AND NOT pruned",
            [
                *statuses,
                *statuses,
                network,
                *statuses,
                *statuses,
                *statuses,
                Job.Kind.FILE_PROCESSING.value,
                *statuses,
                client,
            ],
        )
        queue, neighbours, jobs, work, uploads, stored_pending, kept, kept_jobs = cursor.fetchone()
    if not client:
        jobs = work = uploads = stored_pending = kept = kept_jobs = 0
    return Totals(
        queue=int(queue or 0),
        neighbours=int(neighbours or 0) if network else 0,
        jobs=int(jobs or 0),
        # Steps x (100 - progress) / 100, in paces.
        work=float(work or 0) * settings.DEMO_PACE / 100,
        uploads=int(uploads or 0),
        stored=int(stored_pending or 0),
        kept=int(kept or 0),
        kept_jobs=int(kept_jobs or 0),
    )


def stored_bytes(job: Job) -> int:
    """About how many bytes the job keeps while it is kept, as planned when accepted."""
    return int(job.input.get("storedBytes", 0))


def upload_size(job: Job) -> int:
    """The bytes of the job's upload, stored until the job finishes (0 for other kinds)."""
    if job.kind != Job.Kind.FILE_PROCESSING:
        return 0
    return int(job.input.get("size", 0))


def _check_work(*, own: QuerySet[Job], planned: float, new: float) -> None:
    limit = settings.DEMO_MAX_PENDING_WORK_PER_CLIENT
    # Past the first job: a job longer than the limit alone is still taken on its own.
    if planned > 0 and planned + new > limit:
        works = [job.remaining_work() for job in own]
        raise TooMuchWork(
            f"Your pending jobs still plan {math.ceil(planned)} s of work; with this one's "
            f"{math.ceil(new)} s that is more than the {limit} s one client may have queued.",
            retry_after=_until_drained(works, amount=planned + new - limit),
        )


def _check_uploads(*, own: QuerySet[Job], held: int, pending: QuerySet[Job], new: int) -> None:
    limit = settings.DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT
    # Past the first upload: one upload always fits.
    if held and held + new > limit:
        raise UploadShareFull(
            f"Your uploads waiting for their jobs hold {held} bytes; with this one's {new} "
            f"that is more than the {limit} one client may keep waiting.",
            retry_after=_until_a_place_frees(own.filter(kind=Job.Kind.FILE_PROCESSING)),
        )
    # At most DEMO_MAX_PENDING_JOBS rows, and only when a file is uploaded.
    waiting = pending.filter(kind=Job.Kind.FILE_PROCESSING).values_list("input", flat=True)
    if sum(int(job_input.get("size", 0)) for job_input in waiting) + new > (
        settings.DEMO_MAX_STORED_UPLOAD_BYTES
    ):
        raise StorageFull(
            "The uploads waiting for their jobs fill the space the demo keeps for them.",
            retry_after=_until_a_place_frees(pending),
        )


def _make_room(*, client: str, own: QuerySet[Job], held: int, kept: int, new: int) -> None:
    """Refuse if the client's pending jobs leave no room for new stored bytes; else prune
    its oldest finished jobs until they do."""
    limit = settings.DEMO_MAX_STORED_BYTES_PER_CLIENT
    if held + new > limit:
        raise StorageShareFull(
            f"Your pending jobs will store {held} bytes; with this one's {new} that is more "
            f"than the {limit} one client may keep.",
            retry_after=_until_a_place_frees(own),
        )
    if kept + new > limit:
        retention.keep_within(client=client, stored_bytes=limit - new)


def queue_depth() -> dict[str, int]:
    """What /healthz reports about the queue."""
    pending = Job.objects.filter(status__in=Job.PENDING).count()
    return {"pending": pending, "limit": settings.DEMO_MAX_PENDING_JOBS}


def _until_a_place_frees(pending: QuerySet[Job]) -> int:
    # Roughly when the soonest of these jobs finishes: the least work any still needs.
    works = [job.remaining_work() for job in pending]
    return max(1, min(60, math.ceil(min(works, default=1.0))))


def _until_drained(works: list[float], *, amount: float) -> int:
    """Seconds until these jobs have done `amount` seconds of their remaining work.

    Jobs do not wait for each other (a worker interleaves them), so each of them does
    one second of work a second until it is done.
    """
    elapsed = done = 0.0
    remaining = sorted(works)
    while remaining and done < amount:
        # Until the shortest finishes, every job still pending works in parallel.
        step = remaining[0] - elapsed
        running = len(remaining)
        if done + step * running >= amount:
            elapsed += (amount - done) / running
            break
        done += step * running
        elapsed = remaining.pop(0)
    return max(1, math.ceil(elapsed))


# -- Waiting ---------------------------------------------------------------------


@contextmanager
def place_to_wait(*, client: str) -> Iterator[bool]:
    """Take a place to wait for a job (Prefer: wait) for the block; yield whether one was free.

    Per process a semaphore, taken without blocking. Per client a place in the store
    the rate limits share (every process on every machine sees it): a rate of
    DEMO_MAX_WAITS_PER_CLIENT places per WAIT_PLACE_SECONDS, each given back when the
    wait ends, so the count is atomic in every store and a dead process's place
    lapses by itself. If the store fails, the request does not wait: answering at
    once is always safe.
    """
    with ExitStack() as places:
        local = _process_places(settings.DEMO_MAX_WAITS_PER_PROCESS)
        if not local.acquire(blocking=False):
            yield False
            return
        places.callback(local.release)
        if client:
            if not _take_client_place(client=client, cost=1):
                yield False
                return
            # A cost of -1 gives the place back.
            places.callback(_take_client_place, client=client, cost=-1)
        yield True


# One semaphore per setting value (tests change the setting), shared by the threads
# of this process.
_PROCESS_PLACES: dict[int, threading.Semaphore] = {}


def _process_places(count: int) -> threading.Semaphore:
    # dict.setdefault is atomic: two threads asking first still share one semaphore.
    return _PROCESS_PLACES.setdefault(count, threading.BoundedSemaphore(count))


def _take_client_place(*, client: str, cost: int) -> bool:
    limit = settings.DEMO_MAX_WAITS_PER_CLIENT
    if not limit:
        return False
    try:
        wait = rate_store().take(
            f"waits:{client}", cost=cost, limit=limit, period=limit * WAIT_PLACE_SECONDS
        )
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        logger.exception("The rate limit store failed; the request does not wait.")
        return False
    return wait == 0
