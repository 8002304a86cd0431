"""The demo API's views: one per URL, top to bottom in the order a client meets them.

Every view works with a plain HttpRequest (the playground console calls them
in-process), answers OPTIONS itself, and answers a wrong method with 405 + Allow
(protocol.allow_methods).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from playground import jobs
from playground.api import intake, protocol
from playground.api.protocol import allow_methods, json_response, monitored
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
from playground.problems import PROBLEM_TYPES, Rejected, problem, rejection


def _accept(
    request: HttpRequest, *, kind: str, fingerprint: str, create: Callable[[str | None], Job]
) -> HttpResponse:
    """Create the job (or find the one this Idempotency-Key already created) and answer 202.

    With Prefer: wait=N (up to MAX_WAIT s), a job done by then gets its final answer
    instead. A replayed Idempotency-Key without it gets the original 202 again, with
    the job's current status: the same answer, whenever the retry comes.
    """
    preferences = protocol.read_prefer(request)
    key = protocol.read_idempotency_key(request)
    job = protocol.create_once(key=key, kind=kind, fingerprint=fingerprint, create=create)
    applied = []
    if preferences.wait is not None:
        applied.append(f"wait={preferences.wait}")
        job = jobs.wait_for_job(job=job, timeout=preferences.wait)
    if preferences.wait is not None and not job.is_pending:
        # Seen done: "do not use 202 when the operation already completed".
        location = result_url(request, job)
        if job.status != Job.Status.SUCCEEDED:
            location = monitor_url(request, job)
        response = json_response(see_other_body(request, job), status=303, Location=location)
    else:
        if preferences.respond_async:
            applied.insert(0, "respond-async")
        headers = accepted_headers(request, job)
        response = json_response(accepted_body(request, job), status=202, **headers)
    if applied:
        response["Preference-Applied"] = ", ".join(applied)
    patch_cache_control(response, no_store=True)
    return response


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
        "max_wait": protocol.MAX_WAIT,
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
    except Rejected as rejected:
        return rejection(request, rejected)


@allow_methods("POST")
def process_file(request: HttpRequest) -> HttpResponse:
    # The upload is stored under the id its job will have, before the job exists;
    # if the request is not accepted after all, the file goes.
    public_id = new_job_id()
    destination = jobs.upload_path(public_id=public_id)
    try:
        upload = intake.store_upload(request, destination=destination)
        return _accept(
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
    except Rejected as rejected:
        return rejection(request, rejected)
    finally:
        if not Job.objects.filter(public_id=public_id).exists():
            destination.unlink(missing_ok=True)


# -- Following jobs --------------------------------------------------------------


@allow_methods("GET", "DELETE")
def job_monitor(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _find(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    if request.method == "DELETE":
        return _cancel(request, job)
    if job.status == Job.Status.SUCCEEDED:
        see_other = json_response(
            see_other_body(request, job), status=303, Location=result_url(request, job)
        )
        # Deliberately tagged too: a conditional poll sends the ETag it last saw.
        return monitored(request, see_other)
    response = json_response(monitor_body(request, job))
    if job.is_pending:
        response["Retry-After"] = str(jobs.retry_after(job=job))
    return monitored(request, response)


def _cancel(request: HttpRequest, job: Job) -> HttpResponse:
    try:
        job = jobs.cancel_job(job=job)
    except jobs.JobFinished:
        detail = f"Job {job.public_id} already finished ({job.status}); there is nothing to cancel."
        return problem(request, "job-already-finished", detail)
    # Accepted: a running job stops at its next step; the monitor shows when.
    response = json_response(
        monitor_body(request, job), status=202, Location=monitor_url(request, job)
    )
    patch_cache_control(response, no_store=True)
    return response


@allow_methods("GET")
def operation(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _find(request, job_id)
    if isinstance(job, HttpResponse):
        return job
    response = json_response(operation_body(request, job))
    if job.is_pending:
        response["Retry-After"] = str(jobs.retry_after(job=job))
    return monitored(request, response)


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
    return monitored(request, json_response(result_body(request, job)))
