"""The rate limits on the demo API (429 Too Many Requests, Retry-After), per client
(clients.py says who that is).

- Starting and canceling jobs: DEMO_JOBS_PER_MINUTE per client, and
  DEMO_JOBS_PER_MINUTE_PER_NETWORK per IPv6 /48 in all (a site's allocation: a
  block of /64s shares one allowance, so it cannot take everyone's share).
- Following jobs (a monitor, an operation, a result): DEMO_POLLS_PER_MINUTE per
  client, where a poll sooner than the Retry-After the client was last given for
  that job, on any of its URLs, costs DEMO_EARLY_POLL_COST polls: polling faster
  than asked counts against you, and a result not ready yet says when to come back
  as a monitor does.
The counts live in jobs.ratestore, shared by every process.
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

from api.clients import client_address, client_network
from api.problems import Rejected
from api.protocol import rejected_for
from jobs import lifecycle
from jobs.ratestore import rate_store

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
        limit = settings.DEMO_JOBS_PER_MINUTE
        _spend(
            f"jobs:{client}",
            cost=1,
            limit=limit,
            allowance=f"This client may send {limit} new jobs a minute",
        )
        # Only once the client's own allowance let it through: a client refused for
        # its own pace spends nothing of its neighbours'.
        network = client_network(client)
        if network is not None:
            limit = settings.DEMO_JOBS_PER_MINUTE_PER_NETWORK
            _spend(
                f"jobs-network:{network}",
                cost=1,
                limit=limit,
                allowance=f"The clients of {network} may send {limit} new jobs a minute in all",
            )
        return view(request, *args, **kwargs)

    return wrapper


def limit_polls(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = client_address(request)
        if request.method == "DELETE":
            # A cancel changes a job, as a start does: it is no poll.
            return limit_job_starts(view)(request, *args, **kwargs)
        # One note per client and job, whichever of the job's URLs is polled: a job's
        # monitors and its result are one thing to follow.
        note = f"next:{client}:{kwargs['job_id']}"
        due = _recall(note)
        early = due is not None and time.time() < due - EARLY_TOLERANCE
        cost = settings.DEMO_EARLY_POLL_COST if early else 1
        limit = settings.DEMO_POLLS_PER_MINUTE
        # A client refused after fewer polls than the limit must learn why: the early cost.
        _spend(
            f"polls:{client}",
            cost=cost,
            limit=limit,
            allowance=(
                f"This client may send {limit} polls a minute, and polls sooner than the "
                f"Retry-After the job's last answer gave count {settings.DEMO_EARLY_POLL_COST} "
                "each"
            ),
        )
        try:
            response = view(request, *args, **kwargs)
        except lifecycle.JobError as error:
            # Not ready yet (a result still pending, a busy monitor): the refusal says
            # when to come back, and coming back sooner is early as for a monitor.
            _note_next_poll(note, rejected_for(request, error).headers.get("Retry-After", ""))
            raise
        if response.status_code < 400:
            _note_next_poll(note, response.get("Retry-After", ""))
        return response

    return wrapper


def _note_next_poll(note: str, retry_after: str) -> None:
    """Remember when this client may poll this job again without it counting against it."""
    due = _due(retry_after)
    if due is not None:
        _remember(note, due, ttl=max(0.0, due - time.time()) + PERIOD)


def _due(retry_after: str) -> float | None:
    """When a Retry-After (delay-seconds or an HTTP-date) says to come back; None if neither."""
    if retry_after.isdigit():
        return time.time() + int(retry_after)
    moment = parse_http_date_safe(retry_after)
    return None if moment is None else float(moment)


def _spend(key: str, *, cost: int, limit: int, allowance: str) -> None:
    try:
        wait = rate_store().take(key, cost=cost, limit=limit, period=PERIOD)
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        logger.exception("The rate limit store failed; letting the request through.")
        return
    if wait > 0:
        raise Rejected(
            "rate-limited",
            f"{allowance}; try again in {math.ceil(wait)} s.",
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
