"""The demo API's views: one per URL, top to bottom in the order a client meets them.

Every view works with a plain HttpRequest (the playground console calls them
in-process), answers OPTIONS itself, and answers a wrong method with 405 + Allow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from playground import jobs
from playground.api import intake
from playground.api.representations import (
    accepted_body,
    accepted_headers,
    monitor_body,
    monitor_url,
    operation_body,
    result_body,
    result_url,
    see_other_body,
)
from playground.models import Job, new_job_id
from playground.openapi import openapi_document
from playground.problems import PROBLEM_TYPES, problem

MAX_WAIT = 10
View = Callable[..., HttpResponse]


def allow_methods(*methods: str) -> Callable[[View], View]:
    """Like require_http_methods, but OPTIONS is answered and 405 is a problem+json."""
    allowed = [*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"]
    allow = ", ".join(allowed)

    def decorator(view: View) -> View:
        # No cookies or credentials are involved, so there is nothing for CSRF to protect.
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = allow
                return response
            if request.method not in allowed:
                detail = f"{request.method} is not allowed here; use {allow}."
                return problem(request, "method-not-allowed", detail, headers={"Allow": allow})
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _json(body: dict[str, Any], *, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"indent": 2})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _monitored(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # A status must never be served stale, but an unchanged one can be a cheap 304.
    patch_cache_control(response, no_cache=True)
    response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    return conditional or response


def _prefer(request: HttpRequest) -> dict[str, str]:
    preferences = {}
    for token in request.headers.get("Prefer", "").split(","):
        name, _, value = token.split(";")[0].strip().partition("=")
        if name:
            preferences[name.lower()] = value.strip().strip('"')
    return preferences


def _outcome_or_accepted(request: HttpRequest, job: Job) -> HttpResponse:
    """Honour Prefer: wait=N (up to MAX_WAIT s): a job done by then gets its final answer."""
    preferences = _prefer(request)
    applied = []
    wait = preferences.get("wait", "")
    if wait.isdigit():
        seconds = min(int(wait), MAX_WAIT)
        applied.append(f"wait={seconds}")
        job = jobs.wait_for_job(job=job, timeout=seconds)
    if not job.is_pending:
        # Seen done: "do not use 202 when the operation already completed".
        location = result_url(request, job)
        if job.status != Job.Status.SUCCEEDED:
            location = monitor_url(request, job)
        response = _json(see_other_body(request, job), status=303, Location=location)
    else:
        if "respond-async" in preferences:
            applied.insert(0, "respond-async")
        headers = accepted_headers(request, job)
        response = _json(accepted_body(request, job), status=202, **headers)
    if applied:
        response["Preference-Applied"] = ", ".join(applied)
    patch_cache_control(response, no_store=True)
    return response


def _accept(
    request: HttpRequest, *, kind: str, fingerprint: str, create: Callable[[str | None], Job]
) -> HttpResponse:
    """Create the job (or find the one this Idempotency-Key already created) and answer."""
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None:
        if len(key) > 255:
            errors = [{"pointer": "", "detail": "Idempotency-Key is at most 255 characters."}]
            return problem(request, "invalid-request", "Idempotency-Key too long.", errors=errors)
        try:
            earlier = jobs.claim_idempotency_key(kind=kind, key=key, fingerprint=fingerprint)
        except jobs.IdempotencyKeyReused:
            detail = "This Idempotency-Key was first used with a different request."
            return problem(request, "idempotency-key-reused", detail)
        except jobs.IdempotencyKeyInFlight:
            detail = "The first request with this Idempotency-Key is still being processed."
            return problem(
                request, "idempotency-key-in-flight", detail, headers={"Retry-After": "1"}
            )
        if earlier is not None:
            return _outcome_or_accepted(request, earlier)
    try:
        job = create(key)
    except BaseException:
        if key is not None:
            jobs.release_idempotency_key(kind=kind, key=key)
        raise
    return _outcome_or_accepted(request, job)


def _find(request: HttpRequest, job_id: str) -> Job | HttpResponse:
    job = jobs.find_job(public_id=job_id)
    if job is None:
        return problem(request, "job-not-found", f"There is no job {job_id}.")
    if jobs.is_expired(job=job):
        detail = f"Job {job_id} finished more than the retention period ago; its data is deleted."
        return problem(request, "job-expired", detail)
    return job


# -- Pages and documents ---------------------------------------------------------


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    context = {
        "problem_types": PROBLEM_TYPES.values(),
        "max_recipients": settings.DEMO_MAX_RECIPIENTS,
        "max_upload_bytes": settings.DEMO_MAX_UPLOAD_BYTES,
        "retention_seconds": settings.DEMO_JOB_RETENTION,
        "max_wait": MAX_WAIT,
    }
    return render(request, "playground/api.html", context)


@allow_methods("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(openapi_document(request), json_dumps_params={"indent": 2})
    patch_cache_control(response, public=True, max_age=300)
    return response


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str) -> HttpResponse:
    return problem(request, "not-found", f"There is no API endpoint at {request.path}.")


# -- Starting jobs ---------------------------------------------------------------


@allow_methods("POST")
def bulk_email(request: HttpRequest) -> HttpResponse:
    try:
        checked = intake.read_bulk_email(request)
    except intake.Rejected as rejected:
        return problem(
            request,
            rejected.slug,
            rejected.detail,
            errors=rejected.errors,
            headers=rejected.headers,
        )
    return _accept(
        request,
        kind=Job.Kind.BULK_EMAIL,
        fingerprint=checked.fingerprint,
        create=lambda key: jobs.enqueue_bulk_email(
            subject=checked.subject,
            body=checked.body,
            recipients=checked.recipients,
            idempotency_key=key,
        ),
    )


@allow_methods("POST")
def process_file(request: HttpRequest) -> HttpResponse:
    # The upload is stored under the id its job will have, before the job exists;
    # if the request is not accepted after all, the file goes.
    public_id = new_job_id()
    destination = jobs.upload_path(public_id=public_id)
    try:
        upload = intake.store_upload(request, destination=destination)
        response = _accept(
            request,
            kind=Job.Kind.FILE_PROCESSING,
            fingerprint=upload.fingerprint,
            create=lambda key: jobs.enqueue_file_processing(
                stored_as=public_id,
                filename=upload.filename,
                content_type=upload.content_type,
                size=upload.size,
                idempotency_key=key,
            ),
        )
    except intake.Rejected as rejected:
        response = problem(
            request,
            rejected.slug,
            rejected.detail,
            errors=rejected.errors,
            headers=rejected.headers,
        )
    finally:
        if not Job.objects.filter(public_id=public_id).exists():
            destination.unlink(missing_ok=True)
    return response


# -- Following jobs --------------------------------------------------------------


@allow_methods("GET", "DELETE")
def job_monitor(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _find(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    if request.method == "DELETE":
        return _cancel(request, job)
    if job.status == Job.Status.SUCCEEDED:
        response = _json(
            see_other_body(request, job), status=303, Location=result_url(request, job)
        )
        patch_cache_control(response, no_cache=True)
        return response
    response = _json(monitor_body(request, job))
    if job.is_pending:
        response["Retry-After"] = str(jobs.retry_after(job=job))
    return _monitored(request, response)


def _cancel(request: HttpRequest, job: Job) -> HttpResponse:
    try:
        job = jobs.cancel_job(job=job)
    except jobs.JobFinished:
        detail = f"Job {job.public_id} already finished ({job.status}); there is nothing to cancel."
        return problem(request, "job-already-finished", detail)
    # Accepted: a running job stops at its next step; the monitor shows when.
    response = _json(monitor_body(request, job), status=202, Location=monitor_url(request, job))
    patch_cache_control(response, no_store=True)
    return response


@allow_methods("GET")
def operation(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _find(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    response = _json(operation_body(request, job))
    if job.is_pending:
        response["Retry-After"] = str(jobs.retry_after(job=job))
    return _monitored(request, response)


@allow_methods("GET")
def job_result(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _find(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    if job.status != Job.Status.SUCCEEDED:
        state = "is still " + job.status if job.is_pending else "ended " + job.status
        detail = f"Job {job.public_id} {state}; see its status monitor {monitor_url(request, job)}."
        headers = {"Retry-After": str(jobs.retry_after(job=job))} if job.is_pending else {}
        return problem(request, "result-not-available", detail, headers=headers)
    return _monitored(request, _json(result_body(request, job)))
