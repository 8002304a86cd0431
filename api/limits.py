"""Who a client is, and its rate limits on the demo API (429 Too Many Requests, Retry-After).

A client is an IPv4 address, or an IPv6 /64: one host, or one home or office, gets a
/64, and may pick any of its 2**64 addresses for each request. A peer listed in
DJANGO_TRUSTED_PROXIES is a proxy, and speaks for the client in X-Forwarded-For:
walked from the right (the entry the nearest proxy appended), past the proxies'
own addresses, the first other entry is the client; what the client wrote further
left is never read. The console's requests carry the reader's key as their address.

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

import ipaddress
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

from api.problems import Rejected
from api.protocol import rejected_for
from jobs import lifecycle
from jobs.admission import network_of
from jobs.ratestore import rate_store

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
PERIOD = 60.0
# Retry-After is whole seconds, rounded up: a client that waits exactly that long
# may arrive a little early by our clock.
EARLY_TOLERANCE = 0.5
CLIENT_PREFIX = 64
# Proxies in a row, at most, that X-Forwarded-For is walked past: a chain longer than
# any real one is a header written to make the walk long.
MAX_PROXY_HOPS = 16
UNKNOWN_CLIENT = "unknown"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(request: HttpRequest) -> str:
    """Who is asking, for the abuse limits: an IPv4 address or an IPv6 /64 (2001:db8:1:2::/64).

    The peer, unless it is a trusted proxy; then the entry of X-Forwarded-For (every
    line of it) nearest to the right that is no trusted proxy's own address.
    """
    peer = _peer(request)
    if peer is None:
        return UNKNOWN_CLIENT
    client = peer
    if _trusted(peer):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # Servers join repeated header lines with ",": every line counts, the last
        # (the nearest proxy's) rightmost.
        for entry in reversed(forwarded.rsplit(",", MAX_PROXY_HOPS)[-MAX_PROXY_HOPS:]):
            hop = _address(entry.strip())
            if hop is None:
                # Not an address (a proxy that wrote "unknown"): the proxy that passed
                # it on is the nearest thing to the client there is.
                break
            client = hop
            if not _trusted(hop):
                break
    return client_key(client)


def client_key(address: Address) -> str:
    address = _unmapped(address)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, CLIENT_PREFIX), strict=False))
    return str(address)


def client_network(client: str) -> str | None:
    """The IPv6 /48 a client key belongs to; None for an IPv4 client (or an unknown one)."""
    return network_of(client) or None


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request's peer is one of DJANGO_TRUSTED_PROXIES."""
    peer = _peer(request)
    return peer is not None and _trusted(peer)


def _peer(request: HttpRequest) -> Address | None:
    # The server's REMOTE_ADDR; the console's requests carry a client key there (a /64
    # for IPv6), which reads back as the same key.
    remote = str(request.META.get("REMOTE_ADDR") or "")
    try:
        return _unmapped(ipaddress.ip_interface(remote.split("%", 1)[0]).ip)
    except ValueError:
        return None


def _address(text: str) -> Address | None:
    """An address as proxies write them in X-Forwarded-For: bare, or with a port."""
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return _unmapped(ipaddress.ip_address(text.split("%", 1)[0]))
    except ValueError:
        return None


def _unmapped(address: Address) -> Address:
    # A dual-stack server reports an IPv4 peer as ::ffff:a.b.c.d: the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


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
        _spend(
            f"polls:{client}",
            cost=cost,
            limit=limit,
            allowance=f"This client may send {limit} polls a minute",
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
