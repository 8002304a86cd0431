"""A job as the API answers it: the status code, the headers and the JSON body.

One function per answer a view gives (accepted, monitor, canceled, operation,
result), built from the body and URL helpers below it.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from api.headers import Preferences
from api.problems import job_error, problem
from config.site import absolute_url
from config.site import iso_utc as iso
from jobs.models import Job

# Retry-After is at most this many seconds, however long the job still needs.
MAX_RETRY_AFTER = 5


# -- Answers ---------------------------------------------------------------------


def accepted(request: HttpRequest, job: Job, preferences: Preferences) -> HttpResponse:
    """202 Accepted for a job just created or replayed; its outcome if asked to wait for it.

    The 202's body is the monitor's representation of the job at that moment, so its
    Content-Location (the monitor) tells the truth: a GET of it now would answer the
    same body (RFC 9110 section 8.7). A replayed Idempotency-Key without Prefer: wait
    gets the original 202 again, with the job's current status: the same answer,
    whenever the retry comes.
    """
    applied = [f"wait={preferences.wait}"] if preferences.wait is not None else []
    if preferences.wait is not None and not job.is_pending:
        # Seen done: "do not use 202 when the operation already completed".
        location = result_url(request, job)
        if job.status != Job.Status.SUCCEEDED:
            location = monitor_url(request, job)
        response = json_response(see_other_body(request, job), status=303, Location=location)
    else:
        if preferences.respond_async:
            applied.insert(0, "respond-async")
        response = json_response(
            monitor_body(request, job), status=202, **accepted_headers(request, job)
        )
    if applied:
        response["Preference-Applied"] = ", ".join(applied)
    patch_cache_control(response, no_store=True)
    return response


def monitor(request: HttpRequest, job: Job) -> HttpResponse:
    """The status monitor: progress while pending, 303 to the result once succeeded."""
    if job.status == Job.Status.SUCCEEDED:
        see_other = json_response(
            see_other_body(request, job), status=303, Location=result_url(request, job)
        )
        # Deliberately tagged too: a conditional poll sends the ETag it last saw.
        return monitored(request, see_other)
    response = json_response(monitor_body(request, job))
    if job.is_pending:
        response["Retry-After"] = retry_after_header(job=job)
    return monitored(request, response)


def canceled(request: HttpRequest, job: Job) -> HttpResponse:
    """The answer to DELETE on the monitor: the job, as the monitor now shows it.

    200 once the job is canceled, 202 while a running one has yet to stop (cancel_status);
    either way Content-Location says the body is the monitor's representation, and a 202
    also says where and when to look again (Location, Retry-After).
    """
    monitor = monitor_url(request, job)
    status = cancel_status(job)
    response = json_response(monitor_body(request, job), status=status, Content_Location=monitor)
    if status == 202:
        response["Location"] = monitor
        response["Retry-After"] = retry_after_header(job=job)
    patch_cache_control(response, no_store=True)
    return response


def cancel_status(job: Job) -> int:
    """The status of a successful cancel (DELETE) of the job, as RFC 9110 section 9.3.5 says:

        "If a DELETE method is successfully applied, the origin server SHOULD send a 202
        (Accepted) status code if the action will likely succeed but has not yet been
        enacted, a 204 (No Content) status code if the action has been enacted and no
        further information is to be supplied, or a 200 (OK) status code if the action
        has been enacted and the response message includes a representation describing
        the status."

    A queued job is canceled at once (enacted: 200, with the job as its representation);
    a running one stops at its next step (not yet enacted: 202). Never 204: the answer
    always says what became of the job.
    """
    return 202 if job.is_pending else 200


def operation(request: HttpRequest, job: Job) -> HttpResponse:
    response = json_response(operation_body(request, job))
    if job.is_pending:
        response["Retry-After"] = retry_after_header(job=job)
    return monitored(request, response)


def result(request: HttpRequest, job: Job) -> HttpResponse:
    return monitored(request, json_response(result_body(request, job)))


def json_response(body: dict[str, Any], *, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"indent": 2})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def monitored(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # A status must never be served stale, but an unchanged one can be a cheap 304.
    patch_cache_control(response, no_cache=True)
    return tagged(request, response)


def tagged(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The response with an ETag of its body, or the answer to a conditional request for it:
    304 Not Modified (If-None-Match), or 412 Precondition Failed (If-Match) as a problem.
    """
    response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    if conditional is None or conditional is response:
        return response
    if conditional.status_code == 412:
        # Django answers an empty 412; every refusal of this API is a problem.
        return problem(
            request,
            "precondition-failed",
            f"If-Match names none of the current ETags of {request.path} "
            f"(it is {response['ETag']} now).",
        )
    if "Retry-After" in response:
        # Django's 304 keeps only the caching headers; a poller still needs its pace.
        conditional["Retry-After"] = response["Retry-After"]
    return conditional


def retry_after(*, job: Job) -> int:
    # Whole seconds, at least one: half the expected remaining time, so a client
    # polling on it sees progress along the way, and never more than a few seconds.
    return max(1, min(MAX_RETRY_AFTER, math.ceil(job.remaining_seconds() / 2)))


def retry_after_header(*, job: Job) -> str:
    """Retry-After for the job: delay-seconds, or an HTTP-date that many seconds from now
    for a job submitted with ?outcome=retry-after-date (RFC 9110 section 10.2.3 allows both).
    """
    seconds = retry_after(job=job)
    if job.preset == Job.Preset.RETRY_AFTER_DATE:
        # Rounded up to the next whole second: a client waiting until then waits long enough.
        return http_date(math.ceil(time.time()) + seconds)
    return str(seconds)


# -- URLs and bodies -------------------------------------------------------------


def monitor_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:job", args=[job.public_id]))


def operation_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:operation", args=[job.public_id]))


def result_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:result", args=[job.public_id]))


def accepted_headers(request: HttpRequest, job: Job) -> dict[str, str]:
    return {
        "Location": monitor_url(request, job),
        "Content-Location": monitor_url(request, job),
        "Operation-Location": operation_url(request, job),
        "Retry-After": retry_after_header(job=job),
    }


def error_body(request: HttpRequest, job: Job) -> dict[str, str] | None:
    if job.error is None:
        return None
    return job_error(request, job.error, instance=monitor_url(request, job))


def monitor_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    """The job as its status monitor shows it: the body of the monitor's 200, and of the
    202 that accepted the job and of a cancel's answer, which name the monitor as their
    Content-Location."""
    body = {
        "jobId": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "createdAt": iso(job.created_at),
        "estimatedCompletionAt": iso(job.estimated_completion_at),
        "monitor": monitor_url(request, job),
        "operation": operation_url(request, job),
        "message": job.message,
        "startedAt": iso(job.started_at),
        "updatedAt": iso(job.updated_at),
        "finishedAt": iso(job.finished_at),
    }
    if job.is_pending:
        body["cancel"] = {"method": "DELETE", "href": monitor_url(request, job)}
    if job.cancel_requested_at is not None:
        body["cancelRequestedAt"] = iso(job.cancel_requested_at)
    if (error := error_body(request, job)) is not None:
        body["error"] = error
    if (report := unfinished_report(job)) is not None:
        body["report"] = report
    return body


def unfinished_report(job: Job) -> dict[str, Any] | None:
    """What a job that failed or was canceled did anyway: a bulk email's delivery report
    says who got the message and who did not, so a client resends only to the rest."""
    if job.status in (Job.Status.FAILED, Job.Status.CANCELED):
        return job.result
    return None


def see_other_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {"jobId": job.public_id, "status": job.status}
    # Only a succeeded job has a result; a failed one's 303 points at its monitor.
    if job.status == Job.Status.SUCCEEDED:
        body["result"] = result_url(request, job)
    body["monitor"] = monitor_url(request, job)
    return body


# The Azure REST API guidelines' status values (lro-status-monitor-structure), spelled
# as they spell them; queued is NotStarted.
OPERATION_STATUS = {
    Job.Status.QUEUED: "NotStarted",
    Job.Status.RUNNING: "Running",
    Job.Status.SUCCEEDED: "Succeeded",
    Job.Status.FAILED: "Failed",
    Job.Status.CANCELED: "Canceled",
}


def operation_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    """The job as the Azure REST API guidelines' status monitor: id, kind (two kinds of
    operation share the endpoint, so it is polymorphic), status, error once Failed,
    result once Succeeded (a POST action's). The rest are additional properties the
    guidelines allow: what a canceled or failed bulk email did anyway (report), and the
    job's progress and cancel, named as this API names them everywhere else.
    """
    body: dict[str, Any] = {
        "id": job.public_id,
        "kind": job.kind,
        "status": OPERATION_STATUS[Job.Status(job.status)],
        "progress": job.progress,
        "message": job.message,
    }
    if job.status == Job.Status.SUCCEEDED:
        body["result"] = job.result or {}
    if job.status == Job.Status.FAILED and job.error is not None:
        # The guidelines' ErrorDetail (code, message); innererror says where the code
        # is explained, as this API's problem types are.
        error = job_error(request, job.error, instance=operation_url(request, job))
        body["error"] = {
            "code": error["code"],
            "message": error["message"],
            "innererror": {"type": error["type"]},
        }
    if job.cancel_requested_at is not None:
        body["cancelRequestedAt"] = iso(job.cancel_requested_at)
    if (report := unfinished_report(job)) is not None:
        body["report"] = report
    return body


def result_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    return {
        "jobId": job.public_id,
        **(job.result or {}),
        "completedAt": iso(job.finished_at),
        "expiresAt": iso(job.expires_at),
        "monitor": monitor_url(request, job),
    }
