"""The paths that follow a job: the status monitor /api/jobs/{jobId} (GET, HEAD,
DELETE to cancel), its result and the Azure-style operation, all polled cheaply
with ETags."""

from __future__ import annotations

from typing import Any

from api.openapi.components import (
    ETAG,
    JOB_RETRY_AFTER,
    NO_CACHE,
    NO_STORE,
    PENDING_RETRY_AFTER,
    RETRY_AFTER,
    URL,
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
from api.openapi.schemas import JOB_ID

JOB_PATH_PARAMETER = {"name": "jobId", "in": "path", "required": True, "schema": JOB_ID}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of the copy you have: 304 while it is still current.",
    "schema": {"type": "string"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "Answer only if the representation still has this ETag; 412 otherwise.",
    "schema": {"type": "string"},
}
CONDITIONAL = [IF_NONE_MATCH, IF_MATCH]
FOLLOWING = {
    "404": response_ref("JobNotFound"),
    "405": response_ref("MethodNotAllowed"),
    "410": response_ref("JobExpired"),
    "429": response_ref("RateLimited"),
}
# What any convention's monitor answers besides the job's state: FOLLOWING, and the
# refusals of the busy outcome presets (?outcome=monitor-503 or monitor-429).
MONITOR_FOLLOWING = {
    **FOLLOWING,
    "410": problem_response(
        "Gone: the job finished longer ago than the retention period, or it was submitted "
        "with `?outcome=gone-after-done` and has finished; its data is deleted.",
        "jobExpired",
    ),
    "429": problem_response(
        "Too Many Requests: this client went over its poll limit (polling sooner than the "
        "Retry-After it was given counts several times), or the job was submitted with "
        "`?outcome=monitor-429` and this is one of its first polls.",
        "rateLimited",
        "monitorThrottled",
        headers={"Retry-After": RETRY_AFTER},
    ),
    "503": problem_response(
        "Service Unavailable: the job was submitted with `?outcome=monitor-503` and this is "
        "one of its first polls; the job goes on, and a later poll answers as usual.",
        "monitorUnavailable",
        headers={"Retry-After": RETRY_AFTER},
    ),
}


def monitored(
    description: str, schema: str, *examples: str, pending: bool, links: dict[str, Any]
) -> dict[str, Any]:
    """A 200 that must never be served stale, but may be revalidated cheaply."""
    headers = {"Cache-Control": NO_CACHE, "ETag": ETAG}
    if pending:
        headers["Retry-After"] = PENDING_RETRY_AFTER
    return response(
        description, headers=headers, schema=ref(schema), examples=examples, links=links
    )


def monitor_get() -> dict[str, Any]:
    get = {
        "200": monitored(
            "Pending (with Retry-After and a cancel link), failed or canceled (with error).",
            "JobStatus",
            "queued",
            "running",
            "cancelRequested",
            "failed",
            "canceled",
            pending=True,
            links=job_links("CancelJob", "GetJobResult", "GetOperation"),
        ),
        "303": response(
            "See Other: the job succeeded; Location is the result.",
            headers={
                "Location": header(URL, "The result, /api/jobs/{jobId}/result."),
                "Cache-Control": NO_CACHE,
                "ETag": {**ETAG, "description": "Tags the 303 too, but it is never 304."},
            },
            schema=ref("SeeOther"),
            examples=("seeResult",),
            links=job_links("GetJobResult"),
        ),
        "304": not_modified(NO_CACHE, pending=True),
        "412": precondition_failed(),
        **MONITOR_FOLLOWING,
    }
    return dict(sorted(get.items()))


def job_monitor_path() -> dict[str, Any]:
    get = monitor_get()
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": "getJobStatus",
            "summary": "The status monitor: poll it (Retry-After) until it answers 303.",
            "parameters": CONDITIONAL,
            "responses": get,
        },
        "head": {
            **head_operation("headJobStatus", get),
            "parameters": CONDITIONAL,
        },
        "delete": {
            "operationId": "cancelJob",
            "summary": "Cancel a pending job.",
            "description": "DELETE asks for a cancellation; it deletes nothing. The job stays "
            "readable: its status monitor (200, status `canceled` once it stopped) and its "
            "operation answer until the job expires, as any finished job's do. What was done "
            "is not hidden: a job canceled midway lists in `report` who got the message and "
            "who did not (`not-sent`), and a DELETE once every message is sent (or the whole "
            "file read) is 409, as for a finished job: mail sent cannot be unsent. The status "
            "is RFC 9110 section 9.3.5's: 200 when the cancellation is enacted (a queued job "
            "is canceled at once), 202 when it is not yet (a running job stops at its next "
            "step). Either body is the monitor's representation (Content-Location).",
            "responses": {
                "200": response(
                    "Canceled at once (the job was queued): the job as the monitor now shows "
                    "it, status `canceled`.",
                    headers={
                        "Content-Location": header(URL, "The status monitor: the body is its."),
                        "Cache-Control": NO_STORE,
                    },
                    schema=ref("JobStatus"),
                    examples=("canceledWhileQueued",),
                    links=job_links("GetJobStatus", "GetOperation"),
                ),
                "202": response(
                    "Cancellation accepted: the running job stops at its next step (the "
                    "monitor shows when); the body is the job as the monitor now shows it.",
                    headers={
                        "Location": header(URL, "The status monitor."),
                        "Content-Location": header(URL, "The status monitor: the body is its."),
                        "Retry-After": JOB_RETRY_AFTER,
                        "Cache-Control": NO_STORE,
                    },
                    schema=ref("JobStatus"),
                    examples=("cancelRequested",),
                    links=job_links("GetJobStatus", "GetOperation"),
                ),
                "404": response_ref("JobNotFound"),
                "405": response_ref("MethodNotAllowed"),
                "409": problem_response(
                    "Too late to cancel: the job finished, or did all its work (every message "
                    "sent, the whole file read) and ends as its work did; the detail names its "
                    "monitor and result.",
                    "jobAlreadyFinished",
                ),
                "410": response_ref("JobExpired"),
                "429": response_ref("RateLimited"),
            },
        },
        "options": options_operation("jobOptions", "GET", "DELETE", job_id=True),
    }


def result_path() -> dict[str, Any]:
    get = {
        "200": monitored(
            "The result: a delivery report or a file digest.",
            "Result",
            "deliveryReport",
            "fileDigest",
            pending=False,
            links=job_links("GetJobStatus"),
        ),
        "304": not_modified(NO_CACHE),
        "412": precondition_failed(),
        "409": problem_response(
            "The job has not succeeded (yet): poll its status monitor.",
            "resultNotAvailable",
            headers={"Retry-After": PENDING_RETRY_AFTER},
        ),
        **FOLLOWING,
        "410": MONITOR_FOLLOWING["410"],
    }
    return read_only_path(
        get, "getJobResult", "The delivery report or file digest of a succeeded job."
    )


def operation_path() -> dict[str, Any]:
    get = {
        "200": monitored(
            "The status monitor, in every state (always 200): Retry-After while NotStarted "
            "or Running, result once Succeeded, error once Failed.",
            "Operation",
            "operationQueued",
            "operationRunning",
            "operationSucceeded",
            "operationFailed",
            "operationCanceled",
            pending=True,
            links=job_links("GetJobStatus", "CancelOperation", id_field="id"),
        ),
        "304": not_modified(NO_CACHE, pending=True),
        "412": precondition_failed(),
        **MONITOR_FOLLOWING,
    }
    return read_only_path(get, "getOperation", "The job as the Azure guidelines' status monitor.")


def read_only_path(get: dict[str, Any], operation_id: str, summary: str) -> dict[str, Any]:
    """A job URL that answers GET (conditionally), HEAD and OPTIONS: named after the GET."""
    name = operation_id.removeprefix("get")
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": CONDITIONAL,
            "responses": dict(sorted(get.items())),
        },
        "head": {**head_operation(f"head{name}", get), "parameters": CONDITIONAL},
        "options": options_operation(f"{name[0].lower()}{name[1:]}Options", "GET", job_id=True),
    }
