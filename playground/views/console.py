"""The playground console: fire the 202 examples at the demo API and watch the job.

Every exchange shown is a real one, sent in process by the console's own client,
and every request the console sends is shown: a hidden poll would count against
the reader's poll allowance and could take an answer a preset promised them (a
monitor-503 job's first busy answers), so what the page adds beside the timeline
is read from the job, never requested.
Polling is driven by the server: each poll fragment re-requests itself after
the ``Retry-After`` the API gave, and the fragment for a terminal state has no
trigger, so polling stops by itself. Without JavaScript the same URLs render
whole pages and a "Poll now" link takes the next step.

The embed is the same console, framable by its own routes (its views import
what they share with the playground's from here).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
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
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_http_date_safe
from django.views.decorators.http import require_POST, require_safe

from api import representations
from api.conventions import BY_ID, CONVENTIONS, Convention, find_convention
from api.headers import MAX_IDEMPOTENCY_KEY
from api.presets import OUTCOME_PARAMETER, OUTCOMES
from config.site import HtmxHttpRequest
from jobs import lifecycle
from jobs.models import JOB_ID_PREFIX, Job
from playground import examples, runs, summary
from playground.models import Run
from playground.sending import MAX_CONSOLE_BODY, Exchange, RequestRefused, send
from playground.views.guard import LINKED, console_view

TERMINAL = {"succeeded", "failed", "canceled"}
# The console's fragments: inline partials of the template every console page includes.
CONSOLE_TEMPLATE = "playground/_console.html"
# The ids the API gives its jobs (at most 40 characters, its column's width): the
# console polls and cancels no other, so what it sends is always a plain API path.
JOB_ID = re.compile(rf"{JOB_ID_PREFIX}[A-Za-z0-9]{{1,36}}")


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


def console_context(
    request: HttpRequest, *, embed: bool, chosen: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What the console form shows: the chosen example, convention, variant and options.

    chosen: the fields a run was sent with, which its page shows; else the request's.
    """
    if chosen is not None:
        example = examples.find_example(chosen.get("example"))
        convention = find_convention(chosen.get("convention"))
    else:
        # After a plain-form Send, the page keeps showing the example that was sent.
        example = examples.find_example(request.GET.get("example") or request.POST.get("example"))
        convention = _convention(request)
    # Asked for as ?preset=, the name it had when other sites' docs first linked to it.
    variant = examples.find_variant(example, request.GET.get("preset"))
    return {
        "examples": examples.examples(),
        "example": example,
        "conventions": CONVENTIONS,
        "convention": convention,
        "convention_query": _convention_query(convention),
        "target": convention.submit[example.id],
        "variants": examples.variants_for(example),
        "variant": variant,
        "body": examples.body_for(example, variant),
        "content_type": example.request_headers.get("Content-Type", "application/json"),
        "prefer_choices": examples.PREFER_CHOICES,
        # The presets a submit URL's ?outcome= asks for.
        "outcome_presets": list(OUTCOMES.values()),
        "max_body": MAX_CONSOLE_BODY,
        "max_key": MAX_IDEMPOTENCY_KEY,
        "embed": embed,
        # The console sits in a page section (h2) on the 202 page: its headings are h3 there.
        "heading_level": 3 if request.GET.get("level") == "3" else 2,
        "console_path": reverse("playground:embed" if embed else "playground:playground"),
        "send_url": reverse("playground:embed-send" if embed else "playground:send"),
    }


def render_console(
    request: HtmxHttpRequest,
    fragment: str,
    context: dict[str, Any],
    *,
    embed: bool,
    status: int = 200,
    chosen: Mapping[str, str] | None = None,
) -> HttpResponse:
    """The fragment for htmx; else the whole console page, framable when it is the embed."""
    send_url = reverse("playground:embed-send" if embed else "playground:send")
    context = {**context, "send_url": send_url}
    if request.htmx:
        response = render(request, f"{CONSOLE_TEMPLATE}#{fragment}", context, status=status)
    else:
        page = {**console_context(request, embed=embed, chosen=chosen), **context}
        template = "playground/embed.html" if embed else "playground/playground.html"
        response = render(request, template, page, status=status)
    # The same URL answers a fragment to htmx and a page otherwise.
    patch_vary_headers(response, ["HX-Request"])
    if embed:
        # Other people's docs may frame the embed's routes, and nothing else: the
        # route decides, never a query parameter a framing page could add.
        response.xframe_options_exempt = True
        response.frame_ancestors = "*"  # type: ignore[attr-defined]
    return response


@require_safe
@console_view(entry=LINKED)
def playground(request: HtmxHttpRequest) -> HttpResponse:
    # Choosing an example or variant swaps only the console when htmx drives it.
    return render_console(request, "console", console_context(request, embed=False), embed=False)


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


def _job_urls(job_id: str, convention: Convention, *, embed: bool) -> dict[str, str]:
    """The console's poll and cancel URLs for the job: the embed's own, keeping the convention."""
    suffix = "" if convention is CONVENTIONS[0] else f"?{urlencode({'convention': convention.id})}"
    prefix = "playground:embed-" if embed else "playground:"
    return {
        "poll_url": reverse(f"{prefix}poll", args=[job_id]) + suffix,
        "cancel_url": reverse(f"{prefix}cancel", args=[job_id]) + suffix,
    }


def _run_context(
    request: HttpRequest,
    job_id: str | None,
    exchanges: list[Exchange],
    convention: Convention,
    *,
    embed: bool,
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
    terminal = state in TERMINAL or job_id is None or gone
    # A refused poll says nothing new of the job: the view keeps what it showed.
    job = _read_job(job_id) if job_id and not refused else None
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
        "terminal": terminal,
        "retry_after": _retry_after(exchanges[0]),
        # Why the API refused, in its problem's words, and when it asks to be asked again.
        "refusal": _refusal(latest),
        **(
            _job_urls(job_id, convention, embed=embed)
            if job_id
            else {"poll_url": "", "cancel_url": ""}
        ),
        "operation": _operation(request, job) if job else None,
        "summary": summary.in_words(job) if job and state in TERMINAL else "",
    }


def _read_job(job_id: str) -> Job | None:
    """The job itself, for what the console says beside the exchanges.

    Not a request: the console shows every request it sends, and this one would be a
    poll of the job on top of the reader's.
    """
    try:
        return lifecycle.get_job(public_id=job_id)
    except lifecycle.JobError:
        return None


def _refusal(exchange: Exchange) -> dict[str, Any] | None:
    """A 4xx or 5xx answer's reason (its problem's detail) and wait (its Retry-After)."""
    if exchange.status < 400:
        return None
    data = exchange.json
    detail = ""
    if isinstance(data, dict):
        detail = data.get("detail") or data.get("title") or ""
        if not detail and isinstance(data.get("error"), dict):
            detail = data["error"].get("message", "")
    value = exchange.header("Retry-After")
    wait = None
    if value is not None:
        moment = parse_http_date_safe(value)
        if value.isdigit():
            wait = int(value)
        elif moment is not None:
            wait = max(0, math.ceil(moment - time.time()))
    return {"detail": detail if isinstance(detail, str) else "", "retry_after": wait}


def _operation(request: HttpRequest, job: Job) -> dict[str, str]:
    """The job as its operation (Operation-Location) describes it."""
    body = representations.operation_body(request, job)
    return {
        "url": representations.operation_url(request, job),
        "body": json.dumps(body, indent=2, ensure_ascii=False),
    }


def _console_error(
    request: HtmxHttpRequest, message: str, *, embed: bool, status: int = 400
) -> HttpResponse:
    # htmx swaps only successful answers: under htmx the refusal is the fragment's content.
    return render_console(
        request,
        "run",
        {"console_error": message},
        embed=embed,
        status=200 if request.htmx else status,
    )


View = Callable[..., HttpResponse]


def readable_form(*, embed: bool) -> Callable[[View], View]:
    """Run a console POST only when its form can be read; else say why, and send nothing."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            unreadable = _unreadable_form(request)
            if unreadable is not None:
                message = f"The console cannot read this form: {unreadable}."
                return _console_error(request, message, embed=embed)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


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


def _not_a_job(request: HtmxHttpRequest, job_id: str, *, embed: bool) -> HttpResponse | None:
    """The console's own 404 for a job id the API never gives; None for a real-looking one."""
    if JOB_ID.fullmatch(job_id):
        return None
    message = (
        f"No job has this id: the API's job ids are {JOB_ID_PREFIX} and letters and digits, "
        "as its 202 Accepted gave them."
    )
    return _console_error(request, message, embed=embed, status=404)


def send_fields(request: HttpRequest) -> dict[str, str]:
    """What a Send asks for, as the console will send it: every field checked and trimmed."""
    example = examples.find_example(request.POST.get("example"))
    prefer = request.POST.get("prefer", "").strip()
    outcome = request.POST.get("outcome", "").strip()
    # A browser submits a textarea's line breaks as CRLF; the console sends LF.
    body = request.POST.get("body", "").replace("\r\n", "\n").replace("\r", "\n")
    return {
        "example": example.id,
        "convention": _convention(request).id,
        "body": body,
        "content_type": request.POST.get("content_type", "").strip() or "application/json",
        "idempotency_key": request.POST.get("idempotency_key", "").strip()[:MAX_IDEMPOTENCY_KEY],
        "prefer": prefer if prefer in dict(examples.PREFER_CHOICES) else "",
        "outcome": outcome if outcome in OUTCOMES else "",
    }


def outgoing_request(fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The API URL and request headers a Send with these fields is made of."""
    convention = find_convention(fields["convention"])
    url = convention.submit[fields["example"]]
    if fields["outcome"]:
        url += "?" + urlencode({OUTCOME_PARAMETER: fields["outcome"]})
    headers = {"Content-Type": fields["content_type"]}
    if fields["idempotency_key"]:
        headers["Idempotency-Key"] = fields["idempotency_key"]
    prefer = fields["prefer"]
    if convention.prefer and not prefer.startswith(convention.prefer):
        # The convention refuses a submit without it (OData's respond-async): it goes
        # beside the reader's choice, shown with the other headers sent.
        prefer = ", ".join(part for part in [convention.prefer, prefer] if part)
    if prefer:
        headers["Prefer"] = prefer
    return url, headers


def send_and_show(request: HtmxHttpRequest, fields: dict[str, str], *, embed: bool) -> HttpResponse:
    """Send the console's form to the demo API: the first exchange of a run.

    htmx puts the run in the page; a plain form is sent to the run's own page (303).
    """
    convention = find_convention(fields["convention"])
    url, headers = outgoing_request(fields)
    body = fields["body"].encode()
    # The embed sends only what its preview showed, and a file cannot be shown again.
    upload = None if embed else request.FILES.get("upload")
    if upload is not None:
        if upload.size is not None and upload.size > MAX_CONSOLE_BODY:
            limit = filesizeformat(MAX_CONSOLE_BODY)
            message = f"The file is larger than the console sends ({limit})."
            return _console_error(request, message, embed=embed)
        body = upload.read()
        headers["Content-Type"] = upload.content_type or "application/octet-stream"
    try:
        exchange = send(
            origin_request=request,
            method="POST",
            url=url,
            headers=headers,
            body=body,
        )
    except RequestRefused as refused:
        return _console_error(request, str(refused), embed=embed)
    exchanges = [exchange, *_follow(request, exchange)]
    job_id = _job_id(exchange)
    resend = {
        **fields,
        "body": fields["body"] if upload is None else "",
        "content_type": headers["Content-Type"],
    }
    if not request.htmx:
        run = runs.start(
            request,
            exchanges=exchanges,
            job_id=job_id,
            convention=convention.id,
            fields=resend,
            embed=embed,
        )
        return _see_run(run, _run_context(request, job_id, exchanges, convention, embed=embed))
    context = _run_context(request, job_id, exchanges, convention, embed=embed)
    context["resend"] = resend
    context["console_path"] = reverse("playground:embed" if embed else "playground:playground")
    return render_console(request, "sent", context, embed=embed)


@require_POST
@console_view()
@readable_form(embed=False)
def console_send(request: HtmxHttpRequest) -> HttpResponse:
    return send_and_show(request, send_fields(request), embed=False)


def _poll(request: HttpRequest, job_id: str, convention: Convention) -> list[Exchange]:
    """One poll of the job's status monitor and, after a 303, what it points at."""
    exchange = send(origin_request=request, method="GET", url=convention.monitor_path(job_id))
    return [exchange, *_follow(request, exchange)]


def poll_and_show(request: HtmxHttpRequest, job_id: str, *, embed: bool) -> HttpResponse:
    """One poll of the job's status monitor (and, after a 303, what it points at)."""
    if (refusal := _not_a_job(request, job_id, embed=embed)) is not None:
        return refusal
    convention = _convention(request)
    exchanges = _poll(request, job_id, convention)
    context = _run_context(request, job_id, exchanges, convention, embed=embed)
    return render_console(request, "poll", context, embed=embed)


@require_safe
@console_view()
def console_poll(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    return poll_and_show(request, job_id, embed=False)


def _cancel(request: HttpRequest, job_id: str, convention: Convention) -> Exchange:
    """Ask the API to cancel the job, as the convention does (or, without a cancel of its
    own, with the RFC 9110 DELETE: a job is one job)."""
    endpoint = convention.cancel or BY_ID["rfc9110"].cancel
    assert endpoint is not None
    url = endpoint.path.replace("{jobId}", job_id)
    return send(origin_request=request, method=endpoint.method, url=url)


def cancel_and_show(request: HtmxHttpRequest, job_id: str, *, embed: bool) -> HttpResponse:
    """Ask the API to cancel the job: the DELETE exchange, then polling goes on."""
    if (refusal := _not_a_job(request, job_id, embed=embed)) is not None:
        return refusal
    convention = _convention(request)
    exchange = _cancel(request, job_id, convention)
    context = {
        **_run_context(request, job_id, [exchange], convention, embed=embed),
        "terminal": False,
    }
    return render_console(request, "poll", context, embed=embed)


@require_POST
@console_view()
@readable_form(embed=False)
def console_cancel(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    return cancel_and_show(request, job_id, embed=False)


# The run's own page (Post/Redirect/Get): every exchange so far, and its next step.


def _run_urls(run: Run, *, embed: bool) -> dict[str, str]:
    prefix = "playground:embed-run" if embed else "playground:run"
    return {
        "run_url": reverse(prefix, args=[run.public_id]),
        "poll_url": reverse(f"{prefix}-poll", args=[run.public_id]),
        "poll_method": "post",
        "cancel_url": reverse(f"{prefix}-cancel", args=[run.public_id]),
        "check_url": reverse("playground:run-check", args=[run.public_id]),
        "har_url": reverse("playground:run-har", args=[run.public_id]),
    }


def _see_run(run: Run, context: dict[str, Any]) -> HttpResponse:
    """303 See Other to the run's page, at the step the reader will take next."""
    if not context["job_id"]:
        anchor = "run-title"
    else:
        anchor = "run-end" if context["terminal"] else "next-poll"
    return HttpResponseRedirect(
        f"{_run_urls(run, embed=run.embed)['run_url']}#{anchor}", status=303
    )


def _step_context(
    request: HttpRequest, run: Run, kind: str, exchanges: list[Exchange]
) -> dict[str, Any]:
    """What a run looks like after a step with these exchanges."""
    convention = find_convention(run.convention)
    context = _run_context(request, run.job_id or None, exchanges, convention, embed=run.embed)
    if run.job_id:
        context.update(_run_urls(run, embed=run.embed))
    if kind == "cancel":
        context["terminal"] = False  # polling goes on until the job says it stopped
    return context


def run_gone(request: HtmxHttpRequest, *, embed: bool) -> HttpResponse:
    hours = 2 * settings.DEMO_JOB_RETENTION // 3600
    message = (
        "No run has this id: a run's page lasts as long as its job answers "
        f"(about {hours} hours), and each address keeps its newest "
        f"{runs.MAX_RUNS_PER_CLIENT}. Send again to start a new one."
    )
    return _console_error(request, message, embed=embed, status=404)


def run_and_show(request: HtmxHttpRequest, run_id: str, *, embed: bool) -> HttpResponse:
    """The run's page: its whole history, from the Send to the newest poll."""
    run = runs.find(run_id, embed=embed)
    if run is None:
        return run_gone(request, embed=embed)
    kind, latest = runs.last_step(run)
    context = {
        **_step_context(request, run, kind, latest),
        "exchanges": runs.history(run),
        "dropped": run.dropped,
        "resend": run.fields,
    }
    return render_console(request, "run", context, embed=embed, chosen=run.fields)


def step_and_show(request: HtmxHttpRequest, run_id: str, kind: str, *, embed: bool) -> HttpResponse:
    """Poll or cancel the run's job and keep the exchanges in the run: htmx gets them as a
    fragment, a plain form the run's page again (303)."""
    run = runs.find(run_id, embed=embed)
    if run is None:
        return run_gone(request, embed=embed)
    if not run.job_id:
        return _see_run(run, {"job_id": None})
    convention = find_convention(run.convention)
    if kind == "cancel":
        exchanges = [_cancel(request, run.job_id, convention)]
    else:
        exchanges = _poll(request, run.job_id, convention)
    runs.add_step(run, kind=kind, exchanges=exchanges)
    context = _step_context(request, run, kind, exchanges)
    if not request.htmx:
        return _see_run(run, context)
    return render_console(request, "poll", context, embed=embed)


@require_safe
@console_view(entry=LINKED)
def console_run(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    return run_and_show(request, run_id, embed=False)


@require_POST
@console_view()
def console_run_poll(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    return step_and_show(request, run_id, "poll", embed=False)


@require_POST
@console_view()
def console_run_cancel(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    return step_and_show(request, run_id, "cancel", embed=False)
