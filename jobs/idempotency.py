"""Idempotency-Key: a retried POST gets the job its first try created, never a second one.

The whole concept in one place: claiming a key, comparing the request's
fingerprint with the first one's, replaying the original job, refusing a
concurrent duplicate (KeyInFlight) or a key reused for another request
(KeyReused), and forgetting keys with their jobs. A key is its client's own (as
Stripe scopes keys to an account): the same key from another client is another
key, so nobody replays, or blocks, a request they did not send. The API answers
the replayed job with the original 202 and maps the two errors to 409 and 422.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jobs.models import IdempotencyKey, Job

# A key whose request never created its job (the process died) is taken over by a
# retry after this long instead of answering 409 forever.
IN_FLIGHT_TIMEOUT = timedelta(seconds=60)


class IdempotencyError(Exception):
    pass


class KeyInFlight(IdempotencyError):
    """The first request with this key is still being processed."""


class KeyReused(IdempotencyError):
    """The key was first used with a different request."""


def create_once(
    *, client: str, kind: str, key: str | None, fingerprint: str, create: Callable[[], Job]
) -> Job:
    """Create the job, or return the one an identical earlier request of this client
    with this key created."""
    if key is None:
        return create()
    mine = IdempotencyKey.objects.filter(client=client, kind=kind, key=key)
    earlier = _claim(client=client, kind=kind, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return earlier
    try:
        # The job and the key's link to it commit together.
        with transaction.atomic():
            job = create()
            linked = mine.filter(job=None).update(job=job)
            if not linked:
                # Taken over meanwhile (this request stalled past IN_FLIGHT_TIMEOUT)
                # and linked to the other request's job: this one must not exist.
                raise KeyInFlight(
                    "Another request with this Idempotency-Key took it over meanwhile."
                )
    except BaseException:
        # Not accepted after all: a retry with this key starts afresh.
        mine.filter(job__isnull=True).delete()
        raise
    return job


def _claim(*, client: str, kind: str, key: str, fingerprint: str) -> Job | None:
    """Return the job an identical earlier request created, or None once the key is ours."""
    with transaction.atomic():
        mine = IdempotencyKey.objects.filter(client=client, kind=kind, key=key)
        record = mine.select_related("job").first()
        if record is None:
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.create(
                        client=client, kind=kind, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                # A concurrent request claimed it between our look and our insert (on
                # PostgreSQL both may look; SQLite's write lock serialises them).
                raise KeyInFlight(
                    "The first request with this Idempotency-Key is still being processed."
                ) from None
            return None
        if record.fingerprint != fingerprint:
            raise KeyReused("This Idempotency-Key was first used with a different request.")
        if record.job is not None:
            return record.job
        if record.created_at > timezone.now() - IN_FLIGHT_TIMEOUT:
            raise KeyInFlight(
                "The first request with this Idempotency-Key is still being processed."
            )
        record.created_at = timezone.now()
        record.save(update_fields=["created_at"])
        return None


def forget_keys(*, jobs: QuerySet[Job], now: datetime) -> int:
    """Delete the keys of these (expiring) jobs, and claims whose request died long ago."""
    deleted = IdempotencyKey.objects.filter(job__in=jobs).delete()[0]
    abandoned = IdempotencyKey.objects.filter(job=None, created_at__lte=now - IN_FLIGHT_TIMEOUT)
    return deleted + abandoned.delete()[0]
