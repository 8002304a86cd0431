"""Runs: what a Send and the polls after it exchanged, kept under a URL of the run's own.

Without JavaScript the console answers a Send with 303 See Other to its run's page,
as a 202's client is sent to a result: the page can be reloaded and shared, and
each Poll now or Cancel adds its exchanges to the run and sends the reader back to
it (Post/Redirect/Get). What one stranger can make the site keep is bounded: a
client keeps its newest MAX_RUNS_PER_CLIENT runs, the site its newest MAX_RUNS (however
many addresses send), a run its first step and newest
MAX_RUN_EXCHANGES exchanges, a request body its first MAX_KEPT_BODY characters,
and a run lives as long as its job answers at all (finished, then gone).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from api.clients import client_address
from playground.models import Run
from playground.sending import Exchange

MAX_RUNS_PER_CLIENT = 20
MAX_RUNS = 5000
MAX_RUN_EXCHANGES = 120
MAX_KEPT_BODY = 64 * 1024


def _lifetime() -> timedelta:
    """A finished job answers for DEMO_JOB_RETENTION seconds, then 410 Gone as long again."""
    return timedelta(seconds=2 * settings.DEMO_JOB_RETENTION)


def _stored(exchange: Exchange) -> dict[str, Any]:
    fields = dataclasses.asdict(exchange)
    body = fields["request_body"]
    if len(body) > MAX_KEPT_BODY:
        fields["request_body"] = (
            body[:MAX_KEPT_BODY] + f"\n[… {len(body) - MAX_KEPT_BODY} more characters not kept]"
        )
    return fields


def _exchange(fields: dict[str, Any]) -> Exchange:
    return Exchange(
        **{
            **fields,
            "request_headers": tuple(tuple(pair) for pair in fields["request_headers"]),
            "response_headers": tuple(tuple(pair) for pair in fields["response_headers"]),
        }
    )


def start(
    request: HttpRequest,
    *,
    exchanges: list[Exchange],
    job_id: str | None,
    convention: str,
    fields: dict[str, str],
    embed: bool,
) -> Run:
    """Keep a Send's exchanges as a new run; forget the client's oldest and expired ones."""
    client = client_address(request)
    with transaction.atomic():
        Run.objects.filter(created_at__lte=timezone.now() - _lifetime()).delete()
        newest = Run.objects.filter(client=client).order_by("-created_at", "-pk")
        kept = list(newest.values_list("pk", flat=True)[: MAX_RUNS_PER_CLIENT - 1])
        Run.objects.filter(client=client).exclude(pk__in=kept).delete()
        # However many addresses send, the site keeps its newest MAX_RUNS.
        boundary = list(
            Run.objects.order_by("-pk").values_list("pk", flat=True)[MAX_RUNS - 2 :][:1]
        )
        if boundary:
            Run.objects.filter(pk__lt=boundary[0]).delete()
        run = Run(client=client, embed=embed, convention=convention, job_id=job_id or "")
        run.steps = [{"kind": "send", "exchanges": [_stored(e) for e in exchanges]}]
        run.fields = fields
        run.save()
        return run


def find(public_id: str, *, embed: bool) -> Run | None:
    """The run under this id, unless it expired (or belongs to the other console)."""
    return Run.objects.filter(
        public_id=public_id[:40],
        embed=embed,
        created_at__gt=timezone.now() - _lifetime(),
    ).first()


def add_step(run: Run, *, kind: str, exchanges: list[Exchange]) -> None:
    """Append a poll's or cancel's exchanges; past the cap, the oldest polls make room."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        steps = [*locked.steps, {"kind": kind, "exchanges": [_stored(e) for e in exchanges]}]
        while len(steps) > 2 and sum(len(step["exchanges"]) for step in steps) > MAX_RUN_EXCHANGES:
            steps.pop(1)  # the send stays: it is what the run is about
            locked.dropped += 1
        locked.steps = steps
        locked.save(update_fields=["steps_json", "dropped"])
    run.steps_json, run.dropped = locked.steps_json, locked.dropped


def last_step(run: Run) -> tuple[str, list[Exchange]]:
    step = run.steps[-1]
    return step["kind"], [_exchange(fields) for fields in step["exchanges"]]


def history(run: Run) -> list[Exchange]:
    """Every exchange the run kept, oldest first, as the timeline shows them."""
    return [_exchange(fields) for step in run.steps for fields in step["exchanges"]]
