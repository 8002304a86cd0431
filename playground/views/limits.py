"""The limits, shown live: a reader trips one of the demo API's per-client limits.

Every exchange is a real one, sent in process as the reader (their address is
the client), so a demonstration spends the reader's own allowance and nobody
else's; the jobs it starts are canceled at once, so they cost the worker nothing.
The site-wide limit (503 when the queue is full) is shown by its live numbers, not
tripped: filling the shared queue would refuse every other reader.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from playground import presets
from playground.admission import queue_depth
from playground.api_client import Exchange, send
from playground.views.console import from_this_site

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
def limits_page(request: HttpRequest) -> HttpResponse:
    return render(request, "playground/limits.html", _context())


def _start_job(request: HttpRequest) -> Exchange:
    example = presets.find_example("bulk-email")
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


@require_POST
@from_this_site
def trip_limit(request: HttpRequest) -> HttpResponse:
    """Send until the API refuses; show the first answers and the refusal, raw."""
    what = request.POST.get("what", "")
    shown: list[Exchange] = []
    skipped = 0
    started: list[str] = []
    if what == "pending":
        for _ in range(min(MAX_STARTS, settings.DEMO_MAX_PENDING_PER_CLIENT + 1)):
            shown.append(_start_job(request))
            if (job_id := _job_of(shown[-1])) is None:
                break
            started.append(job_id)
    elif what == "early":
        shown.append(_start_job(request))
        if (job_id := _job_of(shown[-1])) is not None:
            started.append(job_id)
            # Enough early polls to spend the whole allowance, and one more.
            allowance = settings.DEMO_POLLS_PER_MINUTE // settings.DEMO_EARLY_POLL_COST + 2
            for attempt in range(min(MAX_POLLS, allowance)):
                poll = send(origin_request=request, method="GET", url=f"/api/jobs/{job_id}")
                if attempt == 0 or poll.status >= 400:
                    shown.append(poll)
                else:
                    skipped += 1
                if poll.status >= 400:
                    break
    for job_id in started:
        send(origin_request=request, method="DELETE", url=f"/api/jobs/{job_id}")
    context = _context(what=what, exchanges=shown, skipped=skipped, canceled=len(started))
    return render(request, "playground/limits.html", context, status=200 if shown else 400)
