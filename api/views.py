"""The demo API's views: one per URL, top to bottom in the order a client meets them.

Each view reads the request (intake), makes one call into the job layer and
renders one answer (representations). Refusals travel as exceptions that
protocol.api_view turns into application/problem+json; it also answers OPTIONS
and a wrong method (405 + Allow). Every view works with a plain HttpRequest (the
playground's in-process client calls them too).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from api import convention_answers as answers
from api import representations
from api.citations import CITATIONS
from api.conventions import CONVENTIONS
from api.headers import MAX_WAIT, require_respond_async
from api.limits import limit_job_starts, limit_polls
from api.openapi import openapi_document
from api.presets import PRESETS, watched_job, watched_result
from api.problems import MAX_ERRORS, PROBLEM_TYPES, problem
from api.protocol import api_view
from api.registry import registry_json
from api.submit import start_job
from jobs import lifecycle
from jobs.admission import queue_depth
from jobs.models import Job

# -- Pages and documents ---------------------------------------------------------


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    context = {
        "problem_types": PROBLEM_TYPES.values(),
        "max_recipients": settings.DEMO_MAX_RECIPIENTS,
        "max_upload_bytes": settings.DEMO_MAX_UPLOAD_BYTES,
        "retention_seconds": settings.DEMO_JOB_RETENTION,
        "max_wait": MAX_WAIT,
        "max_errors": MAX_ERRORS,
        "limits": {
            "jobs_per_minute": settings.DEMO_JOBS_PER_MINUTE,
            "jobs_per_minute_per_network": settings.DEMO_JOBS_PER_MINUTE_PER_NETWORK,
            "polls_per_minute": settings.DEMO_POLLS_PER_MINUTE,
            "early_poll_cost": settings.DEMO_EARLY_POLL_COST,
            "pending_per_client": settings.DEMO_MAX_PENDING_PER_CLIENT,
            "pending_per_network": settings.DEMO_MAX_PENDING_PER_NETWORK,
            "pending_jobs": settings.DEMO_MAX_PENDING_JOBS,
            "stored_upload_bytes": settings.DEMO_MAX_STORED_UPLOAD_BYTES,
            "body_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            "jobs_per_client": settings.DEMO_MAX_JOBS_PER_CLIENT,
            "pending_work_per_client": settings.DEMO_MAX_PENDING_WORK_PER_CLIENT,
            "stored_upload_bytes_per_client": settings.DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT,
            "stored_bytes_per_client": settings.DEMO_MAX_STORED_BYTES_PER_CLIENT,
            "waits_per_process": settings.DEMO_MAX_WAITS_PER_PROCESS,
            "waits_per_client": settings.DEMO_MAX_WAITS_PER_CLIENT,
        },
        "queue": queue_depth(),
        "conventions": CONVENTIONS,
        # Each served convention with its cited stages (a cited one not served yet waits).
        "cited_conventions": [
            {"convention": convention, "stages": CITATIONS.get(convention.id, ())}
            for convention in CONVENTIONS
        ],
        "outcome_presets": PRESETS,
    }
    return render(request, "api/docs.html", context)


@api_view("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(openapi_document(request), json_dumps_params={"indent": 2})
    patch_cache_control(response, public=True, max_age=300)
    if request.method == "HEAD":
        # Untagged, as ConditionalGetMiddleware would leave it (it tags GET only).
        return response
    # Tagged here, not by ConditionalGetMiddleware, so a failed If-Match is a problem too.
    return representations.tagged(request, response)


@csrf_exempt
def api_not_found(request: HttpRequest, rest: str) -> HttpResponse:
    return problem(request, "not-found", f"There is no API endpoint at {request.path}.")


# -- Starting jobs ---------------------------------------------------------------


@api_view("POST")
@limit_job_starts
def bulk_email(request: HttpRequest) -> HttpResponse:
    job, submission = start_job(request, kind=Job.Kind.BULK_EMAIL, honour_wait=True)
    return representations.accepted(request, job, submission.preferences)


@api_view("POST")
@limit_job_starts
def process_file(request: HttpRequest) -> HttpResponse:
    job, submission = start_job(request, kind=Job.Kind.FILE_PROCESSING, honour_wait=True)
    return representations.accepted(request, job, submission.preferences)


# -- Following jobs --------------------------------------------------------------


@api_view("GET", "DELETE")
@limit_polls
def job_monitor(request: HttpRequest, job_id: str) -> HttpResponse:
    if request.method == "DELETE":
        return representations.canceled(request, lifecycle.cancel_job(public_id=job_id))
    return representations.monitor(request, watched_job(public_id=job_id, monitor=True))


@api_view("GET")
@limit_polls
def operation(request: HttpRequest, job_id: str) -> HttpResponse:
    return representations.operation(request, watched_job(public_id=job_id, monitor=True))


@api_view("POST")
@limit_job_starts
def operation_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    return answers.azure_canceled(request, lifecycle.cancel_job(public_id=job_id))


@api_view("GET")
@limit_polls
def job_result(request: HttpRequest, job_id: str) -> HttpResponse:
    return representations.result(request, watched_result(public_id=job_id))


# -- The registry and the conventions other than RFC 9110 ----------------------------


@api_view("GET")
def registry(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(registry_json(), json_dumps_params={"indent": 2})
    # Data of the code (and of the last measured client run): it changes with a deploy.
    patch_cache_control(response, public=True, max_age=300)
    return representations.tagged(request, response)


# -- Azure REST API guidelines: the submit; the status monitor is views.operation ---


@api_view("POST")
@limit_job_starts
def azure_submit(request: HttpRequest, kind: str) -> HttpResponse:
    job, _ = start_job(request, kind=kind, honour_wait=False)
    return answers.azure_accepted(request, job)


# -- Asynchronous request-reply ----------------------------------------------------


@api_view("POST")
@limit_job_starts
def request_reply_submit(request: HttpRequest, kind: str) -> HttpResponse:
    job, _ = start_job(request, kind=kind, honour_wait=False)
    return answers.request_reply_accepted(request, job)


@api_view("GET", "DELETE")
@limit_polls
def request_reply_status(request: HttpRequest, job_id: str) -> HttpResponse:
    if request.method == "DELETE":
        return answers.request_reply_canceled(request, lifecycle.cancel_job(public_id=job_id))
    return answers.request_reply_status(request, watched_job(public_id=job_id, monitor=True))


# -- Google AIP-151 ----------------------------------------------------------------


@api_view("POST")
@limit_job_starts
def aip151_submit(request: HttpRequest, kind: str) -> HttpResponse:
    job, _ = start_job(request, kind=kind, honour_wait=False)
    return answers.aip_submitted(request, job)


@api_view("GET")
@limit_polls
def aip151_operation(request: HttpRequest, job_id: str) -> HttpResponse:
    return answers.aip_operation(request, watched_job(public_id=job_id, monitor=True))


@api_view("POST")
@limit_job_starts
def aip151_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    return answers.aip_canceled(request, lifecycle.cancel_job(public_id=job_id))


# -- A job resource ----------------------------------------------------------------


@api_view("POST")
@limit_job_starts
def job_resource_submit(request: HttpRequest, kind: str) -> HttpResponse:
    job, _ = start_job(request, kind=kind, honour_wait=False)
    return answers.job_resource_created(request, job)


@api_view("GET", "DELETE")
@limit_polls
def job_resource(request: HttpRequest, job_id: str) -> HttpResponse:
    if request.method == "DELETE":
        return answers.job_resource_canceled(request, lifecycle.cancel_job(public_id=job_id))
    return answers.job_resource(request, watched_job(public_id=job_id, monitor=True))


# -- OData 4.01 asynchronous requests ---------------------------------------------------


@api_view("POST")
@limit_job_starts
def odata_submit(request: HttpRequest, kind: str) -> HttpResponse:
    require_respond_async(request)
    job, _ = start_job(request, kind=kind, honour_wait=False)
    return answers.odata_accepted(request, job)


@api_view("GET", "DELETE")
@limit_polls
def odata_monitor(request: HttpRequest, job_id: str) -> HttpResponse:
    if request.method == "DELETE":
        return answers.odata_canceled(request, lifecycle.cancel_job(public_id=job_id))
    return answers.odata_status(request, watched_job(public_id=job_id, monitor=True))
