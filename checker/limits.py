"""How much checking one client, one target host and everyone may ask of the site.

A live check makes the site send requests on a stranger's behalf, and a kept check
runs client libraries on the worker: both are counted per client (an IPv4 address or
an IPv6 /64: api.clients, in the views) and live checks per target host, in the rate store the
API's limits use (jobs.ratestore), and refused with 429 and Retry-After past the
allowance. Past CHECKER_MAX_PENDING checks queued at once, the answer is 503 and
Retry-After: the worker is busy, not the client at fault.
"""

from __future__ import annotations

import logging
import math
import sqlite3

import redis
from django.conf import settings
from django.db import DatabaseError

from checker.models import Check
from jobs.ratestore import rate_store

logger = logging.getLogger(__name__)

HOUR = 3600.0
# How long a client told the worker is busy waits before asking again.
BUSY_RETRY_AFTER = 30


class Refusal(Exception):
    """A check the site will not take now: status 429 or 503, and when to come back."""

    def __init__(self, status: int, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def admit_live(*, client: str, host: str) -> None:
    """Count a live check against its client and its target host, or refuse it."""
    admit_pending()
    spend(
        f"checker:live:{client}",
        limit=settings.CHECKER_LIVE_PER_HOUR,
        allowance=f"{settings.CHECKER_LIVE_PER_HOUR} live checks an hour per client",
    )
    spend(
        f"checker:live-host:{host}",
        limit=settings.CHECKER_LIVE_PER_HOST_PER_HOUR,
        allowance=f"{host} has been checked {settings.CHECKER_LIVE_PER_HOST_PER_HOUR} "
        "times this hour, the most the site sends it",
    )


def admit_kept(*, client: str) -> None:
    """Count a report kept for a link (and replayed) against its client, or refuse it."""
    admit_pending()
    spend(
        f"checker:kept:{client}",
        limit=settings.CHECKER_KEPT_PER_HOUR,
        allowance=f"{settings.CHECKER_KEPT_PER_HOUR} kept reports an hour per client",
    )


def admit_pending() -> None:
    pending = Check.objects.exclude(status=Check.Status.DONE).count()
    if pending >= settings.CHECKER_MAX_PENDING:
        raise Refusal(
            503,
            f"{pending} checks are waiting for the worker, the most it takes at once; "
            f"try again in {BUSY_RETRY_AFTER} s.",
            BUSY_RETRY_AFTER,
        )


def spend(key: str, *, limit: int, allowance: str) -> None:
    try:
        wait = rate_store().take(key, cost=1, limit=limit, period=HOUR)
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        logger.exception("The rate limit store failed; letting the check through.")
        return
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise Refusal(429, f"{allowance}; try again in {seconds} s.", seconds)
