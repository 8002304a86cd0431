"""A run checked, as the checker checks anyone's flow, and a run as a HAR file.

The report is the one /check/ gives for the same exchanges, httplint's warning on the
site's own 202 + Location included: the site is checked as honestly as anyone. The
HAR file, checked again on /check/, gives the same report.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from checker import exchanges as flow
from checker import har, report
from checker.rules import RULES
from config.site import HtmxHttpRequest
from playground import runs
from playground.models import Run
from playground.sending import Exchange
from playground.views.console import run_gone
from playground.views.guard import LINKED, console_view


def as_flow(exchanges: list[Exchange]) -> list[flow.Exchange]:
    """The console's exchanges as the checker reads any flow."""
    return [
        flow.Exchange(
            flow.Request(e.method, e.url, e.request_headers, e.request_body),
            flow.Response(e.status, e.reason, e.response_headers, e.response_body),
        )
        for e in exchanges
    ]


def _run(run_id: str) -> Run | None:
    return runs.find(run_id, embed=False) or runs.find(run_id, embed=True)


@require_safe
@console_view(entry=LINKED)
def run_check(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    run = _run(run_id)
    if run is None:
        return run_gone(request, embed=False)
    context = {
        "rules": RULES.values(),
        "report": report.build(as_flow(runs.history(run))),
        "run": run,
    }
    response = render(request, "checker/check.html", context)
    # The run grows with each poll: its report is as of this request.
    patch_cache_control(response, no_store=True)
    return response


@require_safe
@console_view(entry=LINKED)
def run_har(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    run = _run(run_id)
    if run is None:
        return run_gone(request, embed=False)
    archive = har.write(as_flow(runs.history(run)), started=run.created_at or timezone.now())
    response = HttpResponse(json.dumps(archive, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{run.public_id}.har"'
    patch_cache_control(response, no_store=True)
    return response
