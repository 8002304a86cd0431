"""Per-client rate limits of the demo API, answered 429 Too Many Requests with Retry-After.

- Starting and canceling jobs: DEMO_JOBS_PER_MINUTE per client.
- Following jobs (a monitor, an operation, a result): DEMO_POLLS_PER_MINUTE per
  client, where a poll sooner than the Retry-After the client was last given for
  that URL costs DEMO_EARLY_POLL_COST polls: polling faster than asked counts
  against you.
A client is its address (config.site.client_address; the console's requests carry
the reader's). The counts live in playground.ratestore, shared by every process.
If the store itself fails, requests pass and the failure is logged: the limits
protect the API, they must never be what takes it down.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_http_date_safe

from config.site import client_address
from playground.api.problems import Rejected
from playground.ratestore import rate_store

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
PERIOD = 60.0
# Retry-After is whole seconds, rounded up: a client that waits exactly that long
# may arrive a little early by our clock.
EARLY_TOLERANCE = 0.5


def limit_job_starts(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = client_address(request)
        _spend(f"jobs:{client}", cost=1, limit=settings.DEMO_JOBS_PER_MINUTE, what="new jobs")
        return view(request, *args, **kwargs)

    return wrapper


def limit_polls(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = client_address(request)
        if request.method == "DELETE":
            # A cancel changes a job, as a start does: it is no poll.
            return limit_job_starts(view)(request, *args, **kwargs)
        note = f"next:{client}:{request.path}"
        due = _recall(note)
        early = due is not None and time.time() < due - EARLY_TOLERANCE
        cost = settings.DEMO_EARLY_POLL_COST if early else 1
        _spend(f"polls:{client}", cost=cost, limit=settings.DEMO_POLLS_PER_MINUTE, what="polls")
        response = view(request, *args, **kwargs)
        due = _due(response.get("Retry-After", ""))
        if response.status_code < 400 and due is not None:
            # When this client may poll this URL again without it counting against it.
            _remember(note, due, ttl=max(0.0, due - time.time()) + PERIOD)
        return response

    return wrapper


def _due(retry_after: str) -> float | None:
    """When a Retry-After (delay-seconds or an HTTP-date) says to come back; None if neither."""
    if retry_after.isdigit():
        return time.time() + int(retry_after)
    moment = parse_http_date_safe(retry_after)
    return None if moment is None else float(moment)


def _spend(key: str, *, cost: int, limit: int, what: str) -> None:
    try:
        wait = rate_store().take(key, cost=cost, limit=limit, period=PERIOD)
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        logger.exception("The rate limit store failed; letting the request through.")
        return
    if wait > 0:
        raise Rejected(
            "rate-limited",
            f"This client may send {limit} {what} a minute; try again in {math.ceil(wait)} s.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


def _recall(key: str) -> float | None:
    try:
        return rate_store().recall(key)
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        logger.exception("The rate limit store failed; letting the request through.")
        return None


def _remember(key: str, value: float, *, ttl: float) -> None:
    try:
        rate_store().remember(key, value, ttl=ttl)
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        logger.exception("The rate limit store failed; letting the request through.")
