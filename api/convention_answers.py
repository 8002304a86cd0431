"""A job as the conventions other than RFC 9110 answer it: status, headers and bodies.

The RFC 9110 answers (and the Azure operation, which the RFC 9110 submit names too)
are in representations.py; these reuse its helpers: ETags and 304s (monitored),
Retry-After (retry_after_header), the result URL. One function per answer a view
gives, per convention (api.conventions says which status each stage uses).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers

from api.problems import PROBLEM_CONTENT_TYPE, job_error, problem
from api.representations import (
    cancel_status,
    json_response,
    monitor_url,
    monitored,
    operation_body,
    operation_url,
    result_body,
    result_url,
    retry_after_header,
    see_other_body,
    unfinished_report,
)
from config.site import absolute_url, site_origin
from config.site import iso_utc as iso
from jobs.models import Job

# Any's type URLs (protobuf's JSON mapping): the demo's own message names.
TYPE_PREFIX = "type.googleapis.com/http202.demo.v1."
RESULT_TYPES = {Job.Kind.BULK_EMAIL: "DeliveryReport", Job.Kind.FILE_PROCESSING: "FileReport"}
# A job's error code as a google.rpc.Code (google/rpc/code.proto).
RPC_CODES = {
    Job.ErrorCode.CANCELED: (1, "CANCELLED"),
    Job.ErrorCode.ALL_BOUNCED: (3, "INVALID_ARGUMENT"),
    Job.ErrorCode.UPLOAD_MISSING: (5, "NOT_FOUND"),
    Job.ErrorCode.WORKER_LOST: (10, "ABORTED"),
    Job.ErrorCode.INTERNAL_ERROR: (13, "INTERNAL"),
}


def no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, no_store=True)
    return response


def paced(response: HttpResponse, job: Job) -> HttpResponse:
    """The response, with Retry-After while the job is pending."""
    if job.is_pending:
        response["Retry-After"] = retry_after_header(job=job)
    return response


def job_state(request: HttpRequest, job: Job, *, instance: str) -> dict[str, Any]:
    """What every job-shaped body says: its state, times, and why it failed."""
    body: dict[str, Any] = {
        "jobId": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "createdAt": iso(job.created_at),
        "startedAt": iso(job.started_at),
        "updatedAt": iso(job.updated_at),
        "finishedAt": iso(job.finished_at),
        "estimatedCompletionAt": iso(job.estimated_completion_at),
    }
    if job.cancel_requested_at is not None:
        body["cancelRequestedAt"] = iso(job.cancel_requested_at)
    if job.error is not None:
        body["error"] = job_error(request, job.error, instance=instance)
    if (report := unfinished_report(job)) is not None:
        body["report"] = report
    return body


# -- Azure: the submit names the status monitor; its :cancel ----------------------


def azure_accepted(request: HttpRequest, job: Job) -> HttpResponse:
    # The guidelines' action pattern: 202, the status monitor's id and absolute URL,
    # and the status monitor in the body.
    response = json_response(
        operation_body(request, job),
        status=202,
        Operation_Id=job.public_id,
        Operation_Location=operation_url(request, job),
    )
    return no_store(paced(response, job))


def azure_canceled(request: HttpRequest, job: Job) -> HttpResponse:
    """POST {monitor}:cancel, as Considerations for Service Design has it: "200 OK with a
    representation of the status monitor". A running job stops at its next step, so
    until then the monitor still says Running (with cancelRequestedAt): our choice, the
    document naming no other answer."""
    return no_store(paced(json_response(operation_body(request, job)), job))


# -- Asynchronous request-reply: a status resource, 303 once done ------------------

# The status endpoint of a failed job answers "an appropriate response code ...
# (4xx code)", as the Architecture Center page asks, when what was submitted could not
# be done: 422 (every recipient bounced; the upload is gone and must be sent again).
# A failure of the site's own (its worker lost, a bug) is no client error, and a 5xx
# would say the status endpoint failed, not the job: 200 with the status resource,
# which says failed and why.
REQUEST_REPLY_FAILURE_STATUS = {
    Job.ErrorCode.ALL_BOUNCED: 422,
    Job.ErrorCode.UPLOAD_MISSING: 422,
}


def status_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:request-reply-status", args=[job.public_id]))


def status_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    url = status_url(request, job)
    body = {**job_state(request, job, instance=url), "self": url}
    if job.is_pending:
        body["cancel"] = {"method": "DELETE", "href": url}
    return body


def request_reply_accepted(request: HttpRequest, job: Job) -> HttpResponse:
    response = json_response(
        status_body(request, job), status=202, Location=status_url(request, job)
    )
    return no_store(paced(response, job))


def request_reply_status(request: HttpRequest, job: Job) -> HttpResponse:
    """200 with the status resource while pending, once canceled and once failed by the
    site's own fault; 303 See Other to the result once succeeded; a job failed by what
    was submitted, its error as a problem with a 4xx."""
    if job.status == Job.Status.SUCCEEDED:
        see_other = json_response(
            {**see_other_body(request, job), "monitor": status_url(request, job)},
            status=303,
            Location=result_url(request, job),
        )
        return monitored(request, see_other)
    if job.status == Job.Status.FAILED and job.error is not None:
        status = REQUEST_REPLY_FAILURE_STATUS.get(Job.ErrorCode(job.error["code"]))
        if status is not None:
            return monitored(request, request_reply_failed(request, job, status=status))
    return monitored(request, paced(json_response(status_body(request, job)), job))


def request_reply_failed(request: HttpRequest, job: Job, *, status: int) -> HttpResponse:
    """The error persisted at the status endpoint, as a problem (RFC 9457) whose status is
    the answer's; the status resource (whose own status says failed) is its job member."""
    url = status_url(request, job)
    error = job_error(request, job.error, instance=url)
    problem_body = {
        "type": error["type"],
        "title": error["title"],
        "status": status,
        "detail": error["detail"],
        "instance": url,
        "code": error["code"],
        "job": status_body(request, job),
    }
    response = json_response(problem_body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def request_reply_canceled(request: HttpRequest, job: Job) -> HttpResponse:
    # The page names DELETE on the status endpoint, not its answer: RFC 9110's.
    return deleted(job, body=status_body(request, job), url=status_url(request, job))


def deleted(job: Job, *, body: dict[str, Any], url: str) -> HttpResponse:
    """A DELETE that cancels, answered as RFC 9110 section 9.3.5 says (cancel_status): 200
    canceled at once, 202 while a running job has yet to stop; the body is the
    resource at url as it is now (Content-Location), and a 202 says where to look again."""
    status = cancel_status(job)
    response = json_response(body, status=status, Content_Location=url)
    if status == 202:
        response["Location"] = url
    return no_store(paced(response, job))


# -- Google AIP-151: an Operation resource, always 200 ----------------------------


def aip_operation_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:aip151-operation", args=[job.public_id]))


def rpc_status(request: HttpRequest, job: Job) -> dict[str, Any]:
    """The job's error as a google.rpc.Status: code, message, and an ErrorInfo detail."""
    error = job.error or {}
    code, reason = RPC_CODES.get(error.get("code", ""), (2, "UNKNOWN"))
    problem = job_error(request, error, instance=aip_operation_url(request, job)) if error else {}
    return {
        "code": code,
        "message": error.get("detail", "The operation failed."),
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": str(error.get("code", "unknown")).upper().replace("-", "_"),
                "domain": urlsplit(site_origin(request)).hostname or "localhost",
                "metadata": {"rpcCode": reason, "problemType": problem.get("type", "")},
            }
        ],
    }


def aip_operation_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"operations/{job.public_id}",
        "done": not job.is_pending,
        "metadata": {
            "@type": f"{TYPE_PREFIX}JobMetadata",
            "jobId": job.public_id,
            "kind": job.kind,
            "status": job.status,
            "progress": job.progress,
            "message": job.message,
            "createTime": iso(job.created_at),
            "updateTime": iso(job.updated_at),
            "endTime": iso(job.finished_at),
            "estimatedCompletionTime": iso(job.estimated_completion_at),
        },
    }
    if job.status == Job.Status.SUCCEEDED:
        body["response"] = {
            "@type": f"{TYPE_PREFIX}{RESULT_TYPES[Job.Kind(job.kind)]}",
            **(job.result or {}),
        }
    elif not job.is_pending:
        body["error"] = rpc_status(request, job)
        if (report := unfinished_report(job)) is not None:
            # What a failed or canceled operation did anyway: its metadata is the place
            # AIP-151 gives for progress, and google.rpc.Status has no room for it.
            body["metadata"]["report"] = report
    return body


def aip_submitted(request: HttpRequest, job: Job) -> HttpResponse:
    return no_store(paced(json_response(aip_operation_body(request, job)), job))


def aip_operation(request: HttpRequest, job: Job) -> HttpResponse:
    return monitored(request, paced(json_response(aip_operation_body(request, job)), job))


def aip_canceled(request: HttpRequest, job: Job) -> HttpResponse:
    # google.longrunning's CancelOperation answers google.protobuf.Empty; the operation
    # shows when the job stopped.
    return no_store(json_response({}))


# -- A job resource: 201 for the job, 200 every poll ------------------------------


def job_resource_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:job-resource-job", args=[job.public_id]))


def job_resource_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    url = job_resource_url(request, job)
    body = {**job_state(request, job, instance=url), "self": url}
    if job.is_pending:
        body["cancel"] = {"method": "DELETE", "href": url}
    if job.status == Job.Status.SUCCEEDED:
        body["resultUrl"] = result_url(request, job)
        body["result"] = job.result or {}
    return body


def job_resource_created(request: HttpRequest, job: Job) -> HttpResponse:
    response = json_response(
        job_resource_body(request, job), status=201, Location=job_resource_url(request, job)
    )
    return no_store(paced(response, job))


def job_resource(request: HttpRequest, job: Job) -> HttpResponse:
    return monitored(request, paced(json_response(job_resource_body(request, job)), job))


def job_resource_canceled(request: HttpRequest, job: Job) -> HttpResponse:
    return deleted(job, body=job_resource_body(request, job), url=job_resource_url(request, job))


# -- OData 4.01: a status monitor, then the final response ---------------------------

# The status the request would have answered had it run synchronously and failed so:
# the final response's status, which AsyncResult carries.
ODATA_FAILURE_STATUSES = {
    # The request was understood, but not one message could be delivered.
    Job.ErrorCode.ALL_BOUNCED: 422,
    Job.ErrorCode.UPLOAD_MISSING: 500,
    # Bounded retries ran out; another request may well succeed.
    Job.ErrorCode.WORKER_LOST: 503,
    Job.ErrorCode.INTERNAL_ERROR: 500,
    # OData 11.6: a request "cancelled for reasons other than the consumers issuing a
    # DELETE request" ends with "a status code in the 5xx Server Error range".
    Job.ErrorCode.CANCELED: 503,
}


def odata_version(request: HttpRequest) -> str:
    """The version an answer follows: OData 8.2.7, "the greatest supported OData-Version
    less than or equal to the specified OData-MaxVersion"; 4.01 when none is given."""
    return "4.0" if request.headers.get("OData-MaxVersion", "").strip() == "4.0" else "4.01"


def versioned(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # OData 8.1.5: "OData services MUST include the OData-Version header on a response";
    # it follows OData-MaxVersion, so a cache must keep the versions apart (8.3.8).
    response["OData-Version"] = odata_version(request)
    patch_vary_headers(response, ["OData-MaxVersion"])
    return response


def odata_monitor_url(request: HttpRequest, job: Job) -> str:
    return absolute_url(request, reverse("api:odata-monitor", args=[job.public_id]))


def odata_pending(request: HttpRequest, job: Job) -> HttpResponse:
    """A 202 about a pending job: Location (the status monitor, which OData requires on
    every 202 of it), Retry-After, and the job's state as JSON, the demo's choice of body."""
    url = odata_monitor_url(request, job)
    response = json_response(
        {**job_state(request, job, instance=url), "self": url}, status=202, Location=url
    )
    return versioned(request, paced(response, job))


def odata_accepted(request: HttpRequest, job: Job) -> HttpResponse:
    response = odata_pending(request, job)
    # OData 8.2.8.8: a service that applies respond-async "MUST include a
    # Preference-Applied response header containing the respond-async preference".
    response["Preference-Applied"] = "respond-async"
    return no_store(response)


def odata_final(request: HttpRequest, job: Job) -> tuple[int, dict[str, Any]]:
    """The final response of the job's request: its status and its JSON body, the result
    or an OData error object (OData JSON Format: error, with code and message)."""
    if job.status == Job.Status.SUCCEEDED:
        return 200, result_body(request, job)
    error = job.error or {}
    code = error.get("code", Job.ErrorCode.INTERNAL_ERROR)
    body: dict[str, Any] = {
        "code": code,
        "message": error.get("detail", "The job failed."),
    }
    if (report := unfinished_report(job)) is not None:
        # What the job did anyway (who got the message): innererror is the error
        # object's place for service-defined details.
        body["innererror"] = {"report": report}
    return ODATA_FAILURE_STATUSES.get(code, 500), {"error": body}


def asks_for_http_message(request: HttpRequest) -> bool:
    """Whether the final response goes whole, as application/http. OData 11.6: when the
    request has "an OData-MaxVersion header with a value of 4.0 and no Accept header, or
    an Accept header that includes application/http"; otherwise (4.01) the 200 is the
    final response's body itself, its status in AsyncResult."""
    accept = request.headers.get("Accept")
    if accept is None:
        return odata_version(request) == "4.0"
    ranges = (part.split(";")[0].strip().lower() for part in accept.split(","))
    return "application/http" in ranges


def odata_status(request: HttpRequest, job: Job) -> HttpResponse:
    if job.is_pending:
        return monitored(request, odata_pending(request, job))
    if job.status == Job.Status.CANCELED and job.cancel_requested_at is not None:
        # OData 11.6: "After a successful DELETE request against the status monitor
        # resource, any subsequent GET requests for the same status monitor resource
        # returns 404 Not Found." A job is one job: whichever URL canceled it, it is gone.
        gone = problem(
            request,
            "job-not-found",
            f"Job {job.public_id} was canceled, so its OData status monitor is gone; what "
            f"it did before it stopped: {monitor_url(request, job)}.",
        )
        return versioned(request, gone)
    status, body = odata_final(request, job)
    content = json.dumps(body, indent=2).encode()
    if asks_for_http_message(request):
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        head += "Content-Type: application/json\r\n\r\n"
        response = HttpResponse(head.encode() + content, content_type="application/http")
    else:
        response = HttpResponse(content, content_type="application/json")
    response["AsyncResult"] = str(status)
    patch_vary_headers(response, ["Accept"])
    return monitored(request, versioned(request, response))


def odata_canceled(request: HttpRequest, job: Job) -> HttpResponse:
    """DELETE on the status monitor: OData 11.6's "200 OK or a 204 No Content response
    indicates that the asynchronous processing has been successfully canceled", and 202
    that it is being canceled, with a Location "different from the status monitor"."""
    if cancel_status(job) == 202:
        response = odata_pending(request, job)
        response["Location"] = monitor_url(request, job)
        return no_store(response)
    # Canceled at once: the monitor is gone (404 from now on), there is nothing to show.
    return no_store(versioned(request, HttpResponse(status=204)))
