"""The pages of checks kept on the site: a live check started from the form, its status
page, and its report. (The same as JSON: checker.views.api_checks.)

The form's POST answers 303 to the status page, which reloads itself with htmx (and
offers a link to reload without it) until the check is done, then 303 to the report.
"""

from __future__ import annotations

import math

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from api.clients import client_address
from checker import checks, limits, report, submits
from checker.exchanges import BadInput
from checker.guard import Refused
from checker.models import Check
from checker.views.answers import page_context, see_other

# Seconds a status monitor asks a client to wait between polls.
POLL_EVERY = 2


# A live check is also started by the API, with no token: a forged form could do no
# more, and what any check spends is bounded per client and per target host.
@csrf_exempt
@require_POST
def start_live(request: HttpRequest) -> HttpResponse:
    """Start a live check of the submit the form describes: 303 to its status page."""
    retry_after = None
    try:
        submit, dropped = submits.from_form(request.POST)
        started = checks.accept_live(submit, dropped=dropped, client=client_address(request))
    except (BadInput, Refused) as error:
        detail, status = str(error), 422
    except limits.Refusal as refusal:
        detail, status, retry_after = refusal.detail, refusal.status, refusal.retry_after
    else:
        return see_other(reverse("checker:status", args=[started.id]))
    context = {**page_context(), "live_problem": detail, "live": request.POST}
    response = render(request, "checker/check.html", context, status=status)
    patch_cache_control(response, no_store=True)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def found(check_id: str) -> Check:
    """The check with this id, unless it expired; 404 otherwise."""
    check = checks.find(check_id)
    if check is None:
        raise Http404("No such check: it expired, was deleted, or never was.")
    return check


def next_poll(check: Check) -> int:
    """Seconds until the check's next step is due: when to look again (1 to 30)."""
    if check.next_at is None:
        return POLL_EVERY
    return max(1, min(30, math.ceil((check.next_at - timezone.now()).total_seconds())))


@require_http_methods(["GET", "HEAD"])
def status(request: HttpRequest, check_id: str) -> HttpResponse:
    """The check's status page while it runs; 303 to its report once it is done."""
    check = found(check_id)
    checks.resume(check)
    if check.is_done:
        report_url = reverse("checker:report", args=[check.id])
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(report_url)
        return see_other(report_url)
    wait = next_poll(check)
    context = {"check": check, "exchanges": checks.exchanges_of(check), "wait": wait}
    answer = render(request, "checker/status.html", context)
    answer["Retry-After"] = str(wait)
    patch_cache_control(answer, no_cache=True, private=True)
    return answer


@require_http_methods(["GET", "HEAD"])
def kept_report(request: HttpRequest, check_id: str) -> HttpResponse:
    """The report of a check kept for a link."""
    check = found(check_id)
    if not check.is_done:
        return see_other(reverse("checker:status", args=[check.id]))
    checked = report.build(checks.exchanges_of(check)) if check.flow else None
    context = {"check": check, "report": checked, "conclusions": check.conclusions}
    answer = render(request, "checker/report.html", context)
    # The same until it expires; for the reader only, never a shared cache.
    patch_cache_control(answer, private=True, max_age=300)
    return answer
