"""Checks kept on the site, and the worker's task that advances one, a step at a time.

A live check is a job like the ones the site teaches: accepted with 202, then run by
the worker. Each step is one task: it sends one request (the submit, a poll, the
result) and queues the next step for when Retry-After says, so waiting between polls
holds a row in the queue, not a worker. The last step replays the recorded flow to
real client libraries (checker.replay). A recorded flow kept for a link has only that
last step.

Every step belongs to one generation of the check: the task of an older generation
does nothing, so a step that a monitor re-queued after its worker died (resume) runs
once even if the lost task comes back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from checker import har, limits, live, replay
from checker.exchanges import Exchange, Request
from checker.guard import Refused, Resolver, check_url, resolve_within, system_resolver
from checker.models import Check
from checker.report import redact

logger = logging.getLogger(__name__)

# A step overdue this long was lost with its worker (the longest step, the replay to
# every client, takes well under it): the next look at the check queues it again.
STALLED_AFTER = timedelta(minutes=5)
# Seconds a web request waits for DNS when it checks a live check's host.
DNS_SECONDS = 3.0


def kept_until() -> Any:
    return timezone.now() + timedelta(days=settings.CHECKER_KEEP_DAYS)


def accept_live(submit: Request, *, dropped: list[str], client: str) -> Check:
    """A live check accepted, or refused (guard.Refused: its target; limits.Refusal:
    too many). The host is checked here, so a refusal is said at once; the worker
    checks every address again when it connects."""
    target = check_url(
        submit.url,
        allow_local=settings.CHECKER_ALLOW_LOCAL,
        resolve=resolve_within(DNS_SECONDS),
    )
    limits.admit_live(client=client, host=target.host)
    return start_live(submit, dropped=dropped)


def keep_recorded_for(exchanges: list[Exchange], *, client: str) -> Check:
    """A recorded flow kept for a link, or refused (limits.Refusal: too many)."""
    limits.admit_kept(client=client)
    return keep_recorded(exchanges)


def start_live(submit: Request, *, dropped: list[str]) -> Check:
    """A live check of this submit, accepted: its first step is queued. dropped names the
    credentials the user gave that the site left out (kept to say so in the report)."""
    purge_expired()
    check = Check.objects.create(
        kind=Check.Kind.LIVE,
        submit={
            "method": submit.method,
            "url": submit.url,
            "headers": [list(pair) for pair in submit.headers],
            "body": submit.body,
            "dropped": dropped,
        },
        expires_at=kept_until(),
        next_at=timezone.now(),
    )
    queue(check)
    return check


def keep_recorded(exchanges: list[Exchange]) -> Check:
    """A recorded flow kept for a link: redacted, stored, its replay queued."""
    flow = har.write([redact(e) for e in exchanges], started=timezone.now())
    purge_expired()
    check = Check.objects.create(
        kind=Check.Kind.RECORDED,
        flow=flow,
        expires_at=kept_until(),
        next_at=timezone.now(),
    )
    queue(check)
    return check


def queue(check: Check) -> None:
    """Queue the check's next step, for its generation, once the transaction commits."""
    check_id, generation, due = check.id, check.generation, check.next_at
    transaction.on_commit(lambda: advance_check.using(run_after=due).enqueue(check_id, generation))


def resume(check: Check) -> bool:
    """Queue the next step again if the one queued was lost with its worker."""
    if check.is_done or check.next_at is None:
        return False
    if check.next_at > timezone.now() - STALLED_AFTER:
        return False
    now = timezone.now()
    taken = Check.objects.filter(id=check.id, generation=check.generation).update(
        generation=check.generation + 1, next_at=now
    )
    if taken:
        check.generation += 1
        check.next_at = now
        logger.warning("Check %s: its step was lost with its worker; queued again.", check.id)
        queue(check)
    return bool(taken)


def find(check_id: str) -> Check | None:
    """The check with this id, unless it expired (its link no longer leads anywhere)."""
    return Check.objects.filter(id=check_id, expires_at__gt=timezone.now()).first()


def exchanges_of(check: Check) -> list[Exchange]:
    entries = check.flow.get("log", {}).get("entries") if check.flow else None
    return har.read(json.dumps(check.flow)) if entries else []


def purge_expired() -> int:
    """Delete the checks whose time is up; how many."""
    deleted, _ = Check.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@task()
def advance_check(check_id: str, generation: int) -> str:
    """The task of one step of a check."""
    return advance(check_id=check_id, generation=generation)


def advance(*, check_id: str, generation: int, resolve: Resolver | None = None) -> str:
    """Run the check's next step: one request of a live check, or the replay that ends it."""
    check = (
        Check.objects.filter(id=check_id, generation=generation)
        .exclude(status=Check.Status.DONE)
        .first()
    )
    if check is None:
        return "superseded"
    exchanges = exchanges_of(check)
    if check.kind == Check.Kind.LIVE and not check.stopped:
        elapsed = (timezone.now() - check.created_at).total_seconds()
        move = next_move(check, exchanges, elapsed=elapsed)
        if move is not None:
            return send_step(
                check, exchanges, move, elapsed=elapsed, resolve=resolve or system_resolver
            )
    conclusions = replay.replay(exchanges, clients=settings.CHECKER_REPLAY_CLIENTS or None)
    done = Check.objects.filter(id=check.id, generation=generation).update(
        status=Check.Status.DONE,
        conclusions=[conclusion.to_json() for conclusion in conclusions],
        next_at=None,
        generation=generation + 1,
    )
    return "done" if done else "superseded"


def next_move(check: Check, exchanges: list[Exchange], *, elapsed: float) -> Request | None:
    if not exchanges:
        submit = check.submit or {}
        return Request(
            submit["method"],
            submit["url"],
            tuple((name, value) for name, value in submit["headers"]),
            submit["body"],
        )
    move = live.next_request(exchanges, elapsed=elapsed)
    return None if move is None else move[0]


def send_step(
    check: Check,
    exchanges: list[Exchange],
    request: Request,
    *,
    elapsed: float,
    resolve: Resolver,
) -> str:
    """Send one request; record it; queue the next step for when it is due."""
    stopped = ""
    try:
        exchange = live.send(
            request,
            allow_local=settings.CHECKER_ALLOW_LOCAL,
            resolve=resolve,
            timeout=live.TIMEOUT,
        )
    except (Refused, live.Unreachable) as error:
        stopped = str(error)
    else:
        exchanges = [*exchanges, replace(redact(exchange), started=elapsed)]
    after = (timezone.now() - check.created_at).total_seconds()
    move = None if stopped else live.next_request(exchanges, elapsed=after)
    wait = move[1] if move is not None else 0.0
    check.generation += 1
    check.next_at = timezone.now() + timedelta(seconds=wait)
    with transaction.atomic():
        taken = Check.objects.filter(id=check.id, generation=check.generation - 1).update(
            status=Check.Status.RUNNING,
            flow=har.write(exchanges, started=check.created_at),
            stopped=stopped,
            generation=check.generation,
            next_at=check.next_at,
        )
        if taken:
            queue(check)
    if not taken:
        return "superseded"
    return f"sent {request.method} {request.url[:200]}" + (
        f"; stopped: {stopped}" if stopped else ""
    )
