"""The checker as an API, under /api/ like the site's other endpoints (CORS, OPTIONS,
405 and every refusal as problem+json, through api.protocol.api_view), and described
in the site's OpenAPI document.

    POST /api/checks                    a HAR file or a transcript: 200 and the report;
                                        with ?keep=1, 202 and the monitor of its replay
    POST /api/checks/live               {"url", "method", "headers", "body"}: 202
    GET  /api/checks/{checkId}          the monitor: 200 while it runs, 303 once done
    GET  /api/checks/{checkId}/report   the kept report; DELETE removes it
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from api.clients import client_address
from api.problems import Rejected
from api.protocol import api_view
from checker import checks, limits, report, submits
from checker.exchanges import BadInput
from checker.guard import Refused
from checker.models import Check
from checker.views.answers import MAX_INPUT, see_other
from checker.views.kept import next_poll


def as_json(body: dict[str, Any], *, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"indent": 2})


def refusal_problem(refusal: limits.Refusal) -> Rejected:
    slug = "rate-limited" if refusal.status == 429 else "checker-busy"
    return Rejected(slug, refusal.detail, headers={"Retry-After": str(refusal.retry_after)})


@api_view("POST")
def checks_collection(request: HttpRequest) -> HttpResponse:
    """Check a recorded flow sent as the body: the report; kept for a link with ?keep=1."""
    try:
        exchanges = report.read_recorded(body_text(request))
    except BadInput as error:
        raise Rejected("unreadable-flow", str(error)) from None
    if request.GET.get("keep", "").lower() in ("1", "true", "yes", "on"):
        try:
            kept = checks.keep_recorded_for(exchanges, client=client_address(request))
        except limits.Refusal as refusal:
            raise refusal_problem(refusal) from None
        return accepted(request, kept)
    answer = as_json(report.build(exchanges).to_json())
    patch_cache_control(answer, no_store=True)
    return answer


def body_text(request: HttpRequest) -> str:
    """The body as text, read from the stream within the checker's own cap."""
    raw = request.read(MAX_INPUT + 1)
    if len(raw) > MAX_INPUT:
        raise BadInput(f"The body is over {MAX_INPUT} bytes, the most the checker reads.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("The body is not UTF-8 text: a HAR file is JSON.") from None
    if not text.strip():
        raise BadInput("The body is empty: send a HAR file or a transcript.")
    return text


@api_view("POST")
def live_checks(request: HttpRequest) -> HttpResponse:
    """Start a live check: 202 Accepted, and its monitor in Location."""
    try:
        submit, dropped = submits.from_json(request.read(submits.MAX_SUBMIT_BODY * 2))
        started = checks.accept_live(submit, dropped=dropped, client=client_address(request))
    except (BadInput, Refused) as error:
        raise Rejected("check-refused", str(error)) from None
    except limits.Refusal as refusal:
        raise refusal_problem(refusal) from None
    return accepted(request, started)


def accepted(request: HttpRequest, check: Check) -> HttpResponse:
    monitor = request.build_absolute_uri(reverse("checker:api-check", args=[check.id]))
    answer = as_json({"id": check.id, "status": check.status, "monitor": monitor}, status=202)
    answer["Location"] = monitor
    answer["Retry-After"] = str(next_poll(check))
    patch_cache_control(answer, no_store=True)
    return answer


def found(check_id: str) -> Check:
    check = checks.find(check_id)
    if check is None:
        raise Rejected(
            "check-not-found", f"No check {check_id[:40]}: it expired, was deleted, or never was."
        )
    return check


@api_view("GET")
def check_monitor(request: HttpRequest, check_id: str) -> HttpResponse:
    """The check's monitor: 200 with Retry-After while it runs, 303 to its report once done."""
    check = found(check_id)
    checks.resume(check)
    report_url = request.build_absolute_uri(reverse("checker:api-report", args=[check.id]))
    if check.is_done:
        return see_other(report_url)
    etag = f'"{check.id}-{check.generation}"'
    if etag in request.headers.get("If-None-Match", ""):
        answer: HttpResponse = HttpResponse(status=304)
    else:
        answer = as_json(
            {
                "id": check.id,
                "kind": check.kind,
                "status": check.status,
                "exchanges": len(checks.exchanges_of(check)),
                "report": report_url,
            }
        )
    answer["ETag"] = etag
    answer["Retry-After"] = str(next_poll(check))
    patch_cache_control(answer, no_cache=True)
    return answer


@api_view("GET", "DELETE")
def check_report(request: HttpRequest, check_id: str) -> HttpResponse:
    """The report of a kept check, once it is done; DELETE removes it before it expires."""
    check = found(check_id)
    if request.method == "DELETE":
        check.delete()
        return HttpResponse(status=204)
    if not check.is_done:
        return see_other(request.build_absolute_uri(reverse("checker:api-check", args=[check.id])))
    body: dict[str, Any] = {
        "id": check.id,
        "kind": check.kind,
        "expires": check.expires_at.isoformat(),
        "stopped": check.stopped or None,
        "notSent": (check.submit or {}).get("dropped", []),
        "clients": check.conclusions,
    }
    exchanges = checks.exchanges_of(check)
    if exchanges:
        body.update(report.build(exchanges).to_json())
    answer = as_json(body)
    # The same until it expires; for the one who holds the link, never a shared cache.
    patch_cache_control(answer, private=True, max_age=300)
    return answer
