"""The playground console: fire the 202 examples at the demo API and watch the job.

Every exchange shown is a real one, sent in process by ``playground.api_client``.
Polling is driven by the server: each poll fragment re-requests itself after
the ``Retry-After`` the API gave, and the fragment for a terminal state has no
trigger, so polling stops by itself. Without JavaScript the same URLs render
whole pages and a "Poll now" link takes the next step.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from config.site import HtmxHttpRequest, absolute_url
from playground import presets
from playground.api.headers import MAX_IDEMPOTENCY_KEY
from playground.api_client import MAX_CONSOLE_BODY, Exchange, RequestRefused, send
from playground.conventions import (
    BY_ID,
    CONVENTIONS,
    OUTCOME_PARAMETER,
    OUTCOMES,
    Convention,
    find_convention,
)
from playground.models import JOB_ID_PREFIX

TERMINAL = {"succeeded", "failed", "canceled"}
# The console's fragments: inline partials of the template every console page includes.
CONSOLE_TEMPLATE = "playground/_console.html"
# The ids the API gives its jobs (at most 40 characters, its column's width): the
# console polls and cancels no other, so what it sends is always a plain API path.
JOB_ID = re.compile(rf"{JOB_ID_PREFIX}[A-Za-z0-9]{{1,36}}")


def _embedded(request: HttpRequest) -> bool:
    """Whether this request belongs to the framable console (/playground/embed/)."""
    return request.GET.get("embed") == "1" or request.POST.get("embed") == "1"


def _convention(request: HttpRequest) -> Convention:
    return find_convention(request.GET.get("convention") or request.POST.get("convention"))


def _convention_query(convention: Convention) -> str:
    """What a console link adds to keep the convention: nothing for the default one."""
    return "" if convention is CONVENTIONS[0] else f"&convention={convention.id}"


# How the console names the URL it polls, by where the submit's answer gave it.
MONITOR_LABELS = {
    "header:Location": "Location",
    "header:Operation-Location": "Operation-Location",
    "body:name": "name",
}


def console_context(request: HttpRequest, *, embed: bool = False) -> dict[str, Any]:
    """What the console form shows: the chosen example, convention, preset and options."""
    # After a plain-form Send, the page keeps showing the example that was sent.
    example = presets.find_example(request.GET.get("example") or request.POST.get("example"))
    preset = presets.find_preset(example, request.GET.get("preset"))
    convention = _convention(request)
    embed = embed or _embedded(request)
    return {
        "examples": presets.examples(),
        "example": example,
        "conventions": CONVENTIONS,
        "convention": convention,
        "convention_query": _convention_query(convention),
        "target": convention.submit[example.id],
        "presets": presets.presets_for(example),
        "preset": preset,
        "body": presets.body_for(example, preset),
        "content_type": example.request_headers.get("Content-Type", "application/json"),
        "prefer_choices": presets.PREFER_CHOICES,
        # The presets a submit URL's ?outcome= asks for (playground/outcome_presets.py).
        "outcome_presets": list(OUTCOMES.values()),
        "max_body": MAX_CONSOLE_BODY,
        "max_key": MAX_IDEMPOTENCY_KEY,
        "embed": embed,
        # The console sits in a page section (h2) on the 202 page: its headings are h3 there.
        "heading_level": 3 if request.GET.get("level") == "3" else 2,
        "console_path": reverse("playground:embed" if embed else "playground:playground"),
    }


def _render(
    request: HtmxHttpRequest, fragment: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The fragment for htmx; else the whole console page, framable when it is the embed."""
    if request.htmx:
        response = render(request, f"{CONSOLE_TEMPLATE}#{fragment}", context, status=status)
    else:
        page = {**console_context(request), **context}
        template = "playground/embed.html" if page["embed"] else "playground/playground.html"
        response = render(request, template, page, status=status)
    # The same URL answers a fragment to htmx and a page otherwise.
    patch_vary_headers(response, ["HX-Request"])
    if _embedded(request) or context.get("embed"):
        # Other people's docs may frame the embed, and only the embed.
        response.xframe_options_exempt = True
        response.frame_ancestors = "*"  # type: ignore[attr-defined]
    return response


@require_safe
def playground(request: HtmxHttpRequest) -> HttpResponse:
    # Choosing an example or preset swaps only the console when htmx drives it.
    return _render(request, "console", console_context(request))


@require_safe
def embed(request: HtmxHttpRequest) -> HttpResponse:
    context = console_context(request, embed=True)
    if not request.htmx:
        # How a doc writer puts the embed on their page, shown below it.
        url = absolute_url(request, reverse("playground:embed"))
        context["snippet"] = (
            f'<iframe src="{url}?example=bulk-email" title="202 Accepted, live" '
            'width="100%" height="1400" loading="lazy"></iframe>'
        )
        context["email_presets"] = presets.EMAIL_PRESETS
    return _render(request, "console", context)


def _job_id(exchange: Exchange) -> str | None:
    """The job a submit's answer is about: jobId, an Azure operation's id, or the id in
    an AIP-151 Operation's name."""
    data = exchange.json
    if not isinstance(data, dict):
        return None
    name = data.get("name")
    job_id = data.get("jobId") or data.get("id")
    if job_id is None and isinstance(name, str):
        job_id = name.removeprefix("operations/")
    return job_id if isinstance(job_id, str) and JOB_ID.fullmatch(job_id) else None


def _retry_after(exchange: Exchange) -> int:
    """Seconds until the next poll, from Retry-After as delay-seconds or as an HTTP-date."""
    value = exchange.header("Retry-After") or "1"
    if value.isdigit():
        return max(1, min(int(value), 30))
    moment = parse_http_date_safe(value)
    return 1 if moment is None else max(1, min(math.ceil(moment - time.time()), 30))


def _follow(request: HttpRequest, exchange: Exchange) -> list[Exchange]:
    """After a 302 or 303, fetch what it points at, as a client following it would."""
    location = exchange.header("Location")
    if exchange.status not in (302, 303) or not location:
        return []
    return [send(origin_request=request, method="GET", url=location)]


def _job_urls(request: HttpRequest, job_id: str, convention: Convention) -> dict[str, str]:
    """The console's poll and cancel URLs for the job, keeping embed and convention."""
    query = {"embed": "1"} if _embedded(request) else {}
    if convention is not CONVENTIONS[0]:
        query["convention"] = convention.id
    suffix = f"?{urlencode(query)}" if query else ""
    return {
        "poll_url": reverse("playground:poll", args=[job_id]) + suffix,
        "cancel_url": reverse("playground:cancel", args=[job_id]) + suffix,
    }


def _run_context(
    request: HttpRequest,
    job_id: str | None,
    exchanges: list[Exchange],
    convention: Convention = CONVENTIONS[0],
) -> dict[str, Any]:
    # The job's state as the latest answer that speaks of it tells it (a result has no state).
    states = [exchange.job_state for exchange in exchanges if exchange.job_state]
    state = states[-1] if states else "unknown"
    # The API refused the poll itself (429, 503, ...): the job's state is unknown until
    # the next poll, which waits for that answer's Retry-After. 404 and 410: it is gone.
    latest = exchanges[0]
    refused = latest if job_id and latest.method == "GET" and latest.job_state == "error" else None
    gone = refused is not None and refused.status in (404, 410)
    if refused is not None:
        state = "gone" if gone else "unknown"
    operation = None
    if job_id and not refused:
        operation = send(origin_request=request, method="GET", url=f"/api/operations/{job_id}")
    return {
        "job_id": job_id,
        "convention": convention,
        "monitor_label": MONITOR_LABELS[convention.monitor_from],
        "monitor_url": convention.monitor_path(job_id) if job_id else "",
        "exchanges": exchanges,
        "state": state,
        "refused": refused,
        "refused_retry_after": refused.header("Retry-After") if refused else None,
        "progress": exchanges[0].progress,
        "message": exchanges[0].message,
        "terminal": state in TERMINAL or job_id is None or gone,
        "retry_after": _retry_after(exchanges[0]),
        **(
            _job_urls(request, job_id, convention) if job_id else {"poll_url": "", "cancel_url": ""}
        ),
        "operation": operation,
    }


def _console_error(request: HtmxHttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    # htmx swaps only successful answers: under htmx the refusal is the fragment's content.
    return _render(
        request, "run", {"console_error": message}, status=200 if request.htmx else status
    )


def _foreign_page(request: HttpRequest) -> str | None:
    """The page a POST came from, when the browser says it is not one of this site's.

    Sec-Fetch-Site is what current browsers send; Origin covers the others. A
    request with neither (curl, a script) is no browser acting for a reader.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # The browser's own word: no proxy between can make it disagree with itself.
        if fetch_site in ("same-origin", "none"):
            return None
        return request.headers.get("Origin") or f"another site ({fetch_site})"
    origin = request.headers.get("Origin")
    own = {f"{request.scheme}://{request.get_host()}", settings.SITE_URL}
    if origin is not None and origin not in own | set(settings.CSRF_TRUSTED_ORIGINS):
        return origin
    return None


def from_this_site(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Accept a console POST only from the site's own pages (the embed included).

    The console sets no cookie and its forms carry no CSRF token: framed in another
    site's page, a browser that blocks third-party cookies would never send one
    back. The console only sends to the public demo API, which anyone may call, so
    the check that remains is where the POST comes from.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unreadable = _unreadable_form(request)
        if unreadable is not None:
            return _console_error(request, f"The console cannot read this form: {unreadable}.")
        page = _foreign_page(request)
        if page is not None:
            api = absolute_url(request, reverse("playground:api-docs"))
            message = (
                f"Refused: this console sends only from this site's own pages, and this "
                f"request came from {page}. Call the demo API directly instead ({api}): "
                "it answers any origin."
            )
            return _console_error(request, message, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _unreadable_form(request: HttpRequest) -> str | None:
    """Why the POST's form cannot be read (then it counts as empty), or None."""
    try:
        request.POST, request.FILES  # noqa: B018 (reading them is the check)
    except RequestDataTooBig:
        reason = (
            f"it is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes a form may have"
        )
    except (BadRequest, MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as error:
        reason = str(error)
    else:
        return None
    # What renders the refusal reads the form again: it must not raise again.
    request.POST = QueryDict()
    return reason


def _not_a_job(request: HtmxHttpRequest, job_id: str) -> HttpResponse | None:
    """The console's own 404 for a job id the API never gives; None for a real-looking one."""
    if JOB_ID.fullmatch(job_id):
        return None
    message = (
        f"No job has this id: the API's job ids are {JOB_ID_PREFIX} and letters and digits, "
        "as its 202 Accepted gave them."
    )
    return _console_error(request, message, status=404)


@require_POST
@from_this_site
def console_send(request: HtmxHttpRequest) -> HttpResponse:
    """Send the console's form to the demo API: the first exchange of a run."""
    example = presets.find_example(request.POST.get("example"))
    convention = _convention(request)
    content_type = request.POST.get("content_type", "").strip() or "application/json"
    upload = request.FILES.get("upload")
    body = request.POST.get("body", "").replace("\r\n", "\n").encode()
    if upload is not None:
        if upload.size is not None and upload.size > MAX_CONSOLE_BODY:
            limit = filesizeformat(MAX_CONSOLE_BODY)
            return _console_error(request, f"The file is larger than the console sends ({limit}).")
        body = upload.read()
        content_type = upload.content_type or "application/octet-stream"
    headers = {"Content-Type": content_type}
    if key := request.POST.get("idempotency_key", "").strip():
        headers["Idempotency-Key"] = key[:MAX_IDEMPOTENCY_KEY]
    prefer = request.POST.get("prefer", "").strip()
    if prefer in dict(presets.PREFER_CHOICES) and prefer:
        headers["Prefer"] = prefer
    url = convention.submit[example.id]
    outcome = request.POST.get("outcome", "").strip()
    outcome = outcome if outcome in OUTCOMES else ""
    if outcome:
        url += "?" + urlencode({OUTCOME_PARAMETER: outcome})
    try:
        exchange = send(
            origin_request=request,
            method="POST",
            url=url,
            headers=headers,
            body=body,
        )
    except RequestRefused as refused:
        return _console_error(request, str(refused))
    exchanges = [exchange, *_follow(request, exchange)]
    context = _run_context(request, _job_id(exchange), exchanges, convention)
    context["resend"] = {
        "embed": "1" if _embedded(request) else "",
        "example": example.id,
        "convention": convention.id,
        "body": body.decode("utf-8", errors="replace") if upload is None else "",
        "content_type": content_type,
        "idempotency_key": headers.get("Idempotency-Key", ""),
        "prefer": headers.get("Prefer", ""),
        "outcome": outcome,
    }
    context["console_path"] = reverse(
        "playground:embed" if _embedded(request) else "playground:playground"
    )
    return _render(request, "sent", context)


@require_safe
def console_poll(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    """One poll of the job's status monitor (and, after a 303, what it points at)."""
    if (refusal := _not_a_job(request, job_id)) is not None:
        return refusal
    convention = _convention(request)
    exchange = send(origin_request=request, method="GET", url=convention.monitor_path(job_id))
    context = _run_context(request, job_id, [exchange, *_follow(request, exchange)], convention)
    return _render(request, "poll", context)


@require_POST
@from_this_site
def console_cancel(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    """Ask the API to cancel the job: the DELETE exchange, then polling goes on."""
    if (refusal := _not_a_job(request, job_id)) is not None:
        return refusal
    convention = _convention(request)
    # A convention without a cancel of its own: a job is one job, so the RFC 9110 DELETE.
    endpoint = convention.cancel or BY_ID["rfc9110"].cancel
    assert endpoint is not None
    url = endpoint.path.replace("{jobId}", job_id)
    exchange = send(origin_request=request, method=endpoint.method, url=url)
    context = {**_run_context(request, job_id, [exchange], convention), "terminal": False}
    return _render(request, "poll", context)
