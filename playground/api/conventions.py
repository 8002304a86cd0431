"""The views of the conventions other than RFC 9110 (whose views are views.py), and the
registry GET /api/conventions.

Each submit view starts a job as every submit does (submit.start_job) and answers its
convention's way (convention_answers.py); each monitor answers for any job id, whichever
convention started it: a job is one job however it is watched. The example a submit
URL is for comes from its route (config: playground/urls.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from playground import jobs
from playground.api import convention_answers as answers
from playground.api import representations
from playground.api.limits import limit_job_starts, limit_polls
from playground.api.protocol import api_view
from playground.api.submit import start_job
from playground.conventions import registry_json
from playground.outcomes import watched_job


@api_view("GET")
def registry(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(registry_json(), json_dumps_params={"indent": 2})
    # Data of the code (and of the last measured client run): it changes with a deploy.
    patch_cache_control(response, public=True, max_age=300)
    return representations.tagged(request, response)


# -- Azure REST API guidelines: the submit; the operation is views.operation --------


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


@api_view("GET")
@limit_polls
def request_reply_status(request: HttpRequest, job_id: str) -> HttpResponse:
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
    return answers.aip_canceled(request, jobs.cancel_job(public_id=job_id))


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
        return answers.job_resource_canceled(request, jobs.cancel_job(public_id=job_id))
    return answers.job_resource(request, watched_job(public_id=job_id, monitor=True))
