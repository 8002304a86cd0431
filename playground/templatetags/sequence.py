"""The console's exchanges, drawn: client, API and worker as lanes, one segment per exchange.

Each exchange becomes the client's request, what the API hands its worker (a new
job, a cancel), the job's step as the status monitor reports it, and the answer
(status, Location, Retry-After). Only what the console got over HTTP is drawn. The
geometry is the reference's figures'; templates/includes/_sequence.html draws it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from django import template

from jobs.models import JOB_ID_PREFIX, Job
from playground.sending import Exchange
from reference.diagram import Frame, Head, Segment, Step, draw_head, draw_segment, frame

register = template.Library()

CLIENT, API, WORKER = LANES = ("Client", "API", "Worker")
# The console's column is narrow: most labels go between client and API.
FRAME: Frame = frame(lanes=LANES, width=380, gaps=(5, 2))
# The request headers that change what the API does, drawn on the request's arrow.
SHOWN_REQUEST_HEADERS = ("If-None-Match", "Idempotency-Key", "Prefer")
# A job id in a drawn label keeps its first characters: enough to match the timeline.
JOB_ID = re.compile(rf"({JOB_ID_PREFIX}[A-Za-z0-9]{{4}})[A-Za-z0-9]+")
JOB_STATES = tuple(Job.Status.values)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _shortened(lines: Sequence[str]) -> tuple[str, ...]:
    return tuple(JOB_ID.sub(r"\1…", line) for line in lines)


def _step(source: str, target: str, lines: list[str], style: str, tone: str = "") -> Step:
    # The text alternative says in full what the drawing shortens.
    return Step(
        source=source,
        target=target,
        lines=_shortened(lines),
        style=style,
        tone=tone,
        spoken=", ".join(lines).replace(" · ", ", "),
    )


def exchange_steps(exchange: Exchange) -> tuple[Step, ...]:
    """What one exchange looks like on the three lanes, from request to answer."""
    request = [f"{exchange.method} {_path(exchange.url)}"]
    request += [
        f"{name}: {value}"
        for name, value in exchange.request_headers
        if name in SHOWN_REQUEST_HEADERS
    ]
    steps = [_step(CLIENT, API, request, "request")]
    state = exchange.job_state if exchange.job_state in JOB_STATES else ""
    if exchange.method == "POST" and exchange.status == 202 and state == "queued":
        steps.append(_step(API, WORKER, ["job queued"], "internal", tone="queued"))
    elif exchange.method == "DELETE" and exchange.status == 202:
        steps.append(_step(API, WORKER, ["cancel requested"], "internal", tone="canceled"))
    if state and exchange.message:
        progress = f"{exchange.progress}%: " if state == "running" else ""
        steps.append(_step(WORKER, WORKER, [progress + exchange.message], "note", tone=state))
    answer = [f"{exchange.status} {exchange.reason}"]
    if location := exchange.header("Location"):
        answer.append(f"Location: {_path(location)}")
    retry_after = exchange.header("Retry-After")
    pace = f"Retry-After: {retry_after}" if retry_after else ""
    if exchange.status == 200 and _path(exchange.url).endswith("/result"):
        state = "the result"
    if state or pace:
        answer.append(" · ".join(part for part in (state, pace) if part))
    steps.append(_step(API, CLIENT, answer, "response", tone=f"{exchange.status // 100}xx"))
    return tuple(steps)


@register.simple_tag
def exchange_head() -> Head:
    return draw_head(FRAME)


@register.simple_tag
def exchange_segments(exchanges: Sequence[Exchange]) -> list[Segment]:
    """One segment per exchange, in the order the timeline shows them."""
    return [draw_segment(FRAME, exchange_steps(exchange)) for exchange in exchanges]
