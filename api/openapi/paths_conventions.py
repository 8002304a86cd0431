"""The paths of the conventions other than RFC 9110 (``api.conventions`` lists
them): their submit URLs, which take the same bodies and refuse the same way as
/api/emails/bulk and /api/files/process, their monitors, which answer for any job, and
the registry /api/conventions."""

from __future__ import annotations

from typing import Any

from api.openapi.components import (
    ETAG,
    JOB_RETRY_AFTER,
    NO_CACHE,
    NO_STORE,
    PENDING_RETRY_AFTER,
    PROBLEM,
    URL,
    cache_control,
    head_operation,
    header,
    job_links,
    not_modified,
    options_operation,
    precondition_failed,
    problem_response,
    ref,
    response,
    response_ref,
)
from api.openapi.paths_follow import (
    CONDITIONAL,
    JOB_PATH_PARAMETER,
    MONITOR_FOLLOWING,
    read_only_path,
)
from api.openapi.paths_start import bulk_email_path, process_file_path
from api.openapi.schemas import JOB_ID

AIP_LINKS = job_links("GetAipOperation", "CancelAipOperation", id_field="metadata/jobId")
REQUEST_REPLY_LINKS = job_links(
    "GetRequestReplyStatus", "CancelRequestReply", "GetJobResult", "GetJobResource"
)
AZURE_LINKS = job_links("GetOperation", "CancelOperation", id_field="id")
TOO_LATE = (
    "Too late to cancel: the job finished, or did all its work (every message sent, the "
    "whole file read) and ends as its work did; the detail names its monitor and result."
)
JOB_RESOURCE_LINKS = job_links("GetJobResource", "CancelJobResource", "GetJobResult")


def started_headers(monitor: str, where: str) -> dict[str, Any]:
    return {
        monitor: header(URL, f"Where to poll: {where}."),
        "Retry-After": JOB_RETRY_AFTER,
        "Cache-Control": NO_STORE,
    }


STARTED: dict[str, dict[str, Any]] = {
    "azure": {
        "202": response(
            "Accepted: the job is queued. Only Operation-Location names where to poll "
            "(Operation-Id its id); the body is the status monitor, NotStarted.",
            headers={
                **started_headers(
                    "Operation-Location", "the status monitor, /api/operations/{jobId}"
                ),
                "Operation-Id": header(JOB_ID, "The status monitor's id: the job's."),
            },
            schema=ref("Operation"),
            examples=("operationQueued",),
            links=AZURE_LINKS,
        )
    },
    "request-reply": {
        "202": response(
            "Accepted: the job is queued; Location is its status endpoint.",
            headers=started_headers(
                "Location", "the status endpoint, /api/request-reply/status/{jobId}"
            ),
            schema=ref("RequestReplyStatus"),
            examples=("requestReplyPending",),
            links=REQUEST_REPLY_LINKS,
        )
    },
    "aip151": {
        "200": response(
            "OK: no 202 in AIP-151. The body is the Operation (done false); poll "
            "/api/aip151/{name}.",
            headers={"Retry-After": JOB_RETRY_AFTER, "Cache-Control": NO_STORE},
            schema=ref("AipOperation"),
            examples=("aipPending",),
            links=AIP_LINKS,
        )
    },
    "job-resource": {
        "201": response(
            "Created: the job itself is the resource created; Location is the job.",
            headers=started_headers("Location", "the job, /api/job-resource/jobs/{jobId}"),
            schema=ref("JobResource"),
            examples=("jobResourceQueued",),
            links=JOB_RESOURCE_LINKS,
        )
    },
}
# operationId prefixes, by convention id.
NAMES = {
    "azure": "azure",
    "request-reply": "requestReply",
    "aip151": "aip",
    "job-resource": "jobResource",
}


def submit_paths(convention_id: str, bulk: str, files: str) -> dict[str, Any]:
    name, started = NAMES[convention_id], STARTED[convention_id]
    return {
        bulk: bulk_email_path(
            operation_id=f"{name}SendBulkEmail",
            options_id=f"{name}BulkEmailOptions",
            started=started,
            prefer=False,
            summary=f"The bulk email, submitted under the {convention_id} convention.",
        ),
        files: process_file_path(
            operation_id=f"{name}ProcessFile",
            options_id=f"{name}ProcessFileOptions",
            started=started,
            prefer=False,
            summary=f"The file digest, submitted under the {convention_id} convention.",
        ),
    }


def paced(description: str, schema: str, *examples: str, links: dict[str, Any]) -> Any:
    """A monitor's answer about a job: no-cache and an ETag, Retry-After while pending."""
    headers = {"Cache-Control": NO_CACHE, "ETag": ETAG, "Retry-After": PENDING_RETRY_AFTER}
    return response(
        description, headers=headers, schema=ref(schema), examples=examples, links=links
    )


def monitor_responses(answers: dict[str, Any]) -> dict[str, Any]:
    return dict(
        sorted(
            {
                **answers,
                "304": not_modified(NO_CACHE, pending=True),
                "412": precondition_failed(),
                **MONITOR_FOLLOWING,
            }.items()
        )
    )


def request_reply_status_path() -> dict[str, Any]:
    get = monitor_responses(
        {
            "200": paced(
                "Pending (with Retry-After), canceled, or failed by the site's own fault (its "
                "worker lost, a bug): the status resource; read status.",
                "RequestReplyStatus",
                "requestReplyPending",
                "requestReplyCanceled",
                "requestReplyWorkerLost",
                links=REQUEST_REPLY_LINKS,
            ),
            "303": response(
                "See Other: the job succeeded; Location is the result.",
                headers={
                    "Location": header(URL, "The result, /api/jobs/{jobId}/result."),
                    "Cache-Control": NO_CACHE,
                    "ETag": {**ETAG, "description": "Tags the 303 too, but it is never 304."},
                },
                schema=ref("SeeOther"),
                examples=("requestReplySeeOther",),
                links=job_links("GetJobResult"),
            ),
            "422": failed_status(
                "Failed because of what was submitted (every recipient bounced; the upload "
                "is gone): the error, persisted at the status endpoint.",
                "requestReplyFailed",
            ),
        }
    )
    canceled = {
        "Content-Location": header(URL, "The status endpoint: the body is its representation."),
        "Cache-Control": NO_STORE,
    }
    canceling = {
        **canceled,
        "Location": header(URL, "The status endpoint, which shows when the job stopped."),
        "Retry-After": JOB_RETRY_AFTER,
    }
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": "getRequestReplyStatus",
            "summary": "The asynchronous request-reply status endpoint: 200 while pending, "
            "303 See Other once done.",
            "parameters": CONDITIONAL,
            "responses": get,
        },
        "head": {**head_operation("headRequestReplyStatus", get), "parameters": CONDITIONAL},
        "delete": {
            "operationId": "cancelRequestReply",
            "summary": "Cancel a pending job (DELETE on the status endpoint).",
            "description": "The pattern names the method; the statuses are RFC 9110 section "
            "9.3.5's: 200 when the job was canceled at once, 202 when a running job will stop "
            "at its next step. Either body is the status resource at that moment.",
            "responses": {
                "200": response(
                    "Canceled at once (it was queued): the status resource, canceled.",
                    headers=canceled,
                    schema=ref("RequestReplyStatus"),
                    examples=("requestReplyCanceled",),
                ),
                "202": response(
                    "Accepted: the running job stops at its next step.",
                    headers=canceling,
                    schema=ref("RequestReplyStatus"),
                    examples=("requestReplyPending",),
                ),
                "404": response_ref("JobNotFound"),
                "405": response_ref("MethodNotAllowed"),
                "409": problem_response(TOO_LATE, "jobAlreadyFinished"),
                "410": response_ref("JobExpired"),
                "429": response_ref("RateLimited"),
            },
        },
        "options": options_operation("requestReplyStatusOptions", "GET", "DELETE", job_id=True),
    }


def failed_status(description: str, example: str) -> Any:
    return response(
        description,
        headers={"Cache-Control": NO_CACHE, "ETag": ETAG},
        schema=ref("RequestReplyProblem"),
        examples=(example,),
        media_type=PROBLEM,
    )


def azure_cancel_path() -> dict[str, Any]:
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "post": {
            "operationId": "cancelOperation",
            "summary": "Cancel the operation (POST on the status monitor with :cancel).",
            "description": "As Considerations for Service Design has it: 200 with the status "
            "monitor. A queued job is Canceled at once; a running one says Running, with "
            "cancelRequestedAt, until it stops at its next step.",
            "responses": {
                "200": response(
                    "The status monitor, now.",
                    headers={"Cache-Control": NO_STORE, "Retry-After": PENDING_RETRY_AFTER},
                    schema=ref("Operation"),
                    examples=("operationCanceled", "operationCancelRequested"),
                    links=AZURE_LINKS,
                ),
                "404": response_ref("JobNotFound"),
                "405": response_ref("MethodNotAllowed"),
                "409": problem_response(TOO_LATE, "jobAlreadyFinished"),
                "410": response_ref("JobExpired"),
                "429": response_ref("RateLimited"),
            },
        },
        "options": options_operation("operationCancelOptions", "POST", job_id=True),
    }


def aip_operation_path() -> dict[str, Any]:
    get = monitor_responses(
        {
            "200": paced(
                "The Operation, in every state (always 200): done false while pending (with "
                "Retry-After), then response or error.",
                "AipOperation",
                "aipPending",
                "aipSucceeded",
                "aipFailed",
                "aipCanceled",
                links=AIP_LINKS,
            )
        }
    )
    return read_only_path(get, "getAipOperation", "The job as an AIP-151 Operation.")


def aip_cancel_path() -> dict[str, Any]:
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "post": {
            "operationId": "cancelAipOperation",
            "summary": "Cancel the operation (google.longrunning's CancelOperation).",
            "description": "Asks for a cancellation: a queued job is canceled at once, a "
            "running one stops at its next step. The Operation then answers done, with "
            "error code 1 (CANCELLED), and metadata.report says who got the message and who "
            "did not. A finished job, or one that did all its work (every message sent), "
            "cannot be canceled (409).",
            "responses": {
                "200": response(
                    "Cancellation accepted (google.protobuf.Empty).",
                    headers={"Cache-Control": NO_STORE},
                    schema=ref("Empty"),
                    examples=("empty",),
                ),
                "404": response_ref("JobNotFound"),
                "405": response_ref("MethodNotAllowed"),
                "409": problem_response(TOO_LATE, "jobAlreadyFinished"),
                "410": response_ref("JobExpired"),
                "429": response_ref("RateLimited"),
            },
        },
        "options": options_operation("aipCancelOptions", "POST", job_id=True),
    }


def job_resource_path() -> dict[str, Any]:
    get = monitor_responses(
        {
            "200": paced(
                "The job, in every state (always 200): Retry-After and cancel while pending, "
                "the result embedded and linked once succeeded, error once failed or canceled.",
                "JobResource",
                "jobResourceQueued",
                "jobResourceRunning",
                "jobResourceSucceeded",
                "jobResourceCanceled",
                links=JOB_RESOURCE_LINKS,
            )
        }
    )
    # The body of either answer is the job resource's, now: Content-Location says so.
    canceled = {
        "Content-Location": header(URL, "The job resource: the body is its representation."),
        "Cache-Control": NO_STORE,
    }
    canceling = {
        **canceled,
        "Location": header(URL, "The job resource, which shows when the job stopped."),
        "Retry-After": JOB_RETRY_AFTER,
    }
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": "getJobResource",
            "summary": "The job resource: poll it (Retry-After) until its status is final.",
            "parameters": CONDITIONAL,
            "responses": get,
        },
        "head": {**head_operation("headJobResource", get), "parameters": CONDITIONAL},
        "delete": {
            "operationId": "cancelJobResource",
            "summary": "Cancel a pending job.",
            "description": "Asks for a cancellation; the job stays readable (status "
            "`canceled`) until it expires. RFC 9110 section 9.3.5's statuses: 200 when the "
            "job was canceled at once, 202 when a running job will stop at its next step. "
            "Either body is the job resource's representation at that moment.",
            "responses": {
                "200": response(
                    "Canceled at once (it was queued): the job, canceled.",
                    headers=canceled,
                    schema=ref("JobResource"),
                    examples=("jobResourceCanceled",),
                ),
                "202": response(
                    "Accepted: the running job stops at its next step; the job shows when.",
                    headers=canceling,
                    schema=ref("JobResource"),
                    examples=("jobResourceRunning",),
                ),
                "404": response_ref("JobNotFound"),
                "405": response_ref("MethodNotAllowed"),
                "409": problem_response(TOO_LATE, "jobAlreadyFinished"),
                "410": response_ref("JobExpired"),
                "429": response_ref("RateLimited"),
            },
        },
        "options": options_operation("jobResourceOptions", "GET", "DELETE", job_id=True),
    }


def registry_path() -> dict[str, Any]:
    cache = cache_control("public, max-age=300", "the registry changes only with a deploy.")
    ok = response(
        "The conventions, the outcome presets and the measured client-compatibility rows.",
        headers={"Cache-Control": cache, "ETag": ETAG},
        schema=ref("ConventionRegistry"),
        examples=("conventionRegistry",),
    )
    get = {
        "200": ok,
        "304": not_modified(cache),
        "405": response_ref("MethodNotAllowed"),
        "412": precondition_failed(),
    }
    return {
        "get": {
            "operationId": "getConventions",
            "summary": "Every convention a job can be submitted and watched under.",
            "parameters": CONDITIONAL,
            "responses": get,
        },
        "head": {**head_operation("headConventions", get), "parameters": CONDITIONAL},
        "options": options_operation("conventionsOptions", "GET"),
    }


def convention_paths() -> dict[str, Any]:
    return {
        "/api/conventions": registry_path(),
        **submit_paths("azure", "/api/azure/emails/bulk", "/api/azure/files/process"),
        "/api/operations/{jobId}:cancel": azure_cancel_path(),
        **submit_paths(
            "request-reply", "/api/request-reply/emails/bulk", "/api/request-reply/files/process"
        ),
        "/api/request-reply/status/{jobId}": request_reply_status_path(),
        **submit_paths("aip151", "/api/aip151/emails/bulk", "/api/aip151/files/process"),
        "/api/aip151/operations/{jobId}": aip_operation_path(),
        "/api/aip151/operations/{jobId}:cancel": aip_cancel_path(),
        **submit_paths(
            "job-resource", "/api/job-resource/emails/bulk", "/api/job-resource/files/process"
        ),
        "/api/job-resource/jobs/{jobId}": job_resource_path(),
    }
