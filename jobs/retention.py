"""Retention: what the demo keeps, and for how long, once jobs are done.

A finished job answers for DEMO_JOB_RETENTION seconds; then its data goes and a
tombstone answers 410 Gone for as long again. Nobody needs to schedule it: every
worker's housekeeping calls prune_when_due, and one of them prunes every
DEMO_PRUNE_INTERVAL seconds. `manage.py prune_jobs` runs it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs import idempotency
from jobs.models import Job, MailboxMessage, WorkerHeartbeat
from jobs.ratestore import rate_store
from jobs.work import bulk_email

# The rate store's key that lets one worker of a deployment prune per interval.
PRUNE_TURN = "housekeeping:prune-jobs"


def prune_when_due(*, now: datetime | None = None) -> dict[str, int] | None:
    """Prune, unless another worker did less than DEMO_PRUNE_INTERVAL seconds ago.

    The workers share the rate store (as the web processes do for the limits), so
    one turn per interval is taken, whichever worker comes first.
    """
    if rate_store().take(PRUNE_TURN, cost=1, limit=1, period=settings.DEMO_PRUNE_INTERVAL):
        return None
    return prune_jobs(now=now)


def prune_jobs(*, now: datetime | None = None) -> dict[str, int]:
    """Drop the data of expired jobs, keeping a tombstone that answers 410 for a while."""
    now = now or timezone.now()
    retention = timedelta(seconds=settings.DEMO_JOB_RETENTION)
    expired = Job.objects.filter(pruned=False, expires_at__lte=now)
    keys, tombstoned, messages = _tombstone(expired, now=now)
    counts = {
        "keys": keys,
        "expired": tombstoned,
        "deleted": Job.objects.filter(pruned=True, expires_at__lte=now - retention).delete()[0],
        "messages": messages
        + MailboxMessage.objects.filter(delivered_at__lte=now - retention).delete()[0],
        "tasks": DBTaskResult.objects.finished()
        .filter(finished_at__lte=now - retention)
        .delete()[0],
        "heartbeats": WorkerHeartbeat.objects.filter(seen_at__lte=now - retention).delete()[0],
        "uploads": _delete_stray_uploads(now=now),
    }
    return counts


def keep_newest(*, client: str, count: int) -> int:
    """Prune a client's finished jobs beyond its newest `count` now: they answer 410 Gone."""
    jobs = Job.objects.filter(client=client, pruned=False)
    # On every job a client starts: one cheap count while it is within its share.
    if jobs.count() <= count:
        return 0
    older = jobs.exclude(status__in=Job.PENDING)
    if count > 0:
        created, pk = jobs.order_by("-created_at", "-pk").values_list("created_at", "pk")[count - 1]
        older = older.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    return _tombstone(older, now=timezone.now())[1]


def keep_within(*, client: str, stored_bytes: int) -> int:
    """Prune a client's oldest finished jobs until its kept jobs store at most stored_bytes
    (as each job planned when accepted, input["storedBytes"]): they answer 410 Gone.

    Pending jobs are never pruned; admission refuses a job they leave no room for.
    """
    jobs = Job.objects.filter(client=client, pruned=False)
    # Only the planned sizes are read, not the inputs themselves.
    rows = jobs.order_by("-created_at", "-pk").values_list("pk", "status", "input__storedBytes")
    kept = sum(int(size or 0) for _, status, size in rows if status in Job.PENDING)
    older: list[int] = []
    for pk, status, size in rows:
        if status in Job.PENDING:
            continue
        if older or kept + int(size or 0) > stored_bytes:
            older.append(pk)
        else:
            kept += int(size or 0)
    if not older:
        return 0
    return _tombstone(Job.objects.filter(pk__in=older), now=timezone.now())[1]


def _tombstone(jobs: QuerySet[Job], *, now: datetime) -> tuple[int, int, int]:
    """Drop the data of these jobs and their mail, keeping the row that answers 410;
    (keys, jobs, messages) counts."""
    keys = idempotency.forget_keys(jobs=jobs, now=now)
    emails = jobs.filter(kind=Job.Kind.BULK_EMAIL).values_list("public_id", flat=True)
    messages = bulk_email.forget_mail(job_ids=list(emails))
    tombstoned = jobs.update(pruned=True, input={}, state={}, result=None, error=None)
    return keys, tombstoned, messages


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
    written_before = (now - idempotency.IN_FLIGHT_TIMEOUT).timestamp()
    deleted = 0
    for path in directory.iterdir():
        if path.is_file() and path.name not in pending and path.stat().st_mtime < written_before:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
