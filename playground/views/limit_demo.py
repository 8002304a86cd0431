"""The limits, shown live: a reader trips one of the demo API's per-client limits.

Every exchange is a real one, sent in process as the reader (their address is
the client), so a demonstration spends the reader's own allowance and nobody
else's; the jobs it starts are canceled at once, so they cost the worker nothing.
A demonstration costs the reader as many console requests as the API requests it
may send, counted before it sends any.
The site-wide limit (503 when the queue is full) is shown by its live numbers, not
tripped: filling the shared queue would refuse every other reader.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from jobs.admission import queue_depth
from playground import examples
from playground.sending import Exchange, send
from playground.views.guard import LINKED, console_view

# A demonstration sends at most this many requests, whatever the limits are set to.
MAX_STARTS = 10
MAX_POLLS = 200

DEMOS = {
    "pending": "Start more jobs than one client may have pending",
    "early": "Poll a job faster than its Retry-After asks",
}


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "demos": DEMOS,
        "pending_per_client": settings.DEMO_MAX_PENDING_PER_CLIENT,
        "polls_per_minute": settings.DEMO_POLLS_PER_MINUTE,
        "early_poll_cost": settings.DEMO_EARLY_POLL_COST,
        "queue": queue_depth(),
        **extra,
    }


@require_safe
@console_view(entry=LINKED)
def limits_page(request: HttpRequest) -> HttpResponse:
    return render(request, "playground/limits.html", _context())


def _start_job(request: HttpRequest) -> Exchange:
    example = examples.find_example("bulk-email")
    return send(
        origin_request=request,
        method="POST",
        url=example.target,
        headers={"Content-Type": "application/json"},
        body=example.request_body.encode(),
    )


def _job_of(exchange: Exchange) -> str | None:
    data = exchange.json
    job_id = data.get("jobId") if exchange.status == 202 and isinstance(data, dict) else None
    return job_id if isinstance(job_id, str) and re.fullmatch(r"job_\w+", job_id) else None


def _early_polls() -> int:
    # Enough early polls to spend the whole allowance, and one more.
    allowance = settings.DEMO_POLLS_PER_MINUTE // settings.DEMO_EARLY_POLL_COST + 2
    return min(MAX_POLLS, allowance)


def _starts() -> int:
    return min(MAX_STARTS, settings.DEMO_MAX_PENDING_PER_CLIENT + 1)


def requests_sent(request: HttpRequest) -> int:
    """The most API requests the demonstration asked for sends: what it costs the reader."""
    try:
        what = request.POST.get("what", "")
    except (BadRequest, SuspiciousOperation, MultiPartParserError):
        # The view reads it as empty, and refuses.
        return 1
    if what == "pending":
        return 2 * _starts()  # each started job is canceled
    if what == "early":
        return 1 + _early_polls() + 1
    return 1


@require_POST
@console_view(cost=requests_sent)
def trip_limit(request: HttpRequest) -> HttpResponse:
    """Send until the API refuses; show the first answers and the refusal, raw."""
    what = request.POST.get("what", "")
    shown: list[Exchange] = []
    skipped = 0
    started: list[str] = []
    if what == "pending":
        for _ in range(_starts()):
            shown.append(_start_job(request))
            if (job_id := _job_of(shown[-1])) is None:
                break
            started.append(job_id)
    elif what == "early":
        shown.append(_start_job(request))
        if (job_id := _job_of(shown[-1])) is not None:
            started.append(job_id)
            for attempt in range(_early_polls()):
                poll = send(origin_request=request, method="GET", url=f"/api/jobs/{job_id}")
                if attempt == 0 or poll.status >= 400:
                    shown.append(poll)
                else:
                    skipped += 1
                if poll.status >= 400:
                    break
    # Shown too: the page shows every request it sends (the skipped polls by their count).
    cancels = [
        send(origin_request=request, method="DELETE", url=f"/api/jobs/{job_id}")
        for job_id in started
    ]
    context = _context(what=what, exchanges=shown, skipped=skipped, cancels=cancels)
    return render(request, "playground/limits.html", context, status=200 if shown else 400)
