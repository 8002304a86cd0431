"""The paths of the conventions other than RFC 9110 (``api.conventions`` lists
them): their submit URLs, which take the same bodies and refuse the same way as
/api/emails/bulk and /api/files/process, their monitors, which answer for any job, and
the registry /api/conventions."""

from __future__ import annotations

from typing import Any

from api.headers import MAX_PREFER
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
ODATA_LINKS = job_links("GetODataMonitor", "CancelODataRequest")
ODATA_VERSION = header(
    {"enum": ["4.0", "4.01"]},
    "The OData version the answer follows: 4.01, or 4.0 for a request with OData-MaxVersion: 4.0.",
)
ODATA_PENDING_HEADERS = {
    "Location": header(URL, "The status monitor, /api/odata/monitor/{jobId}."),
    "Retry-After": JOB_RETRY_AFTER,
    "OData-Version": ODATA_VERSION,
}


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
    "odata": {
        "202": response(
            "Accepted: the request is processed asynchronously; Location is the status "
            "monitor, and Preference-Applied acknowledges respond-async.",
            headers={
                **ODATA_PENDING_HEADERS,
                "Preference-Applied": header(
                    {"type": "string", "const": "respond-async"},
                    "OData requires it once respond-async is applied.",
                ),
                "Cache-Control": NO_STORE,
            },
            schema=ref("ODataPending"),
            examples=("odataQueued",),
            links=ODATA_LINKS,
        )
    },
}
# operationId prefixes, by convention id.
NAMES = {
    "azure": "azure",
    "request-reply": "requestReply",
    "aip151": "aip",
    "job-resource": "jobResource",
    "odata": "odata",
}
ODATA_PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": True,
    "description": "Must include `respond-async`: OData answers 202 only to a request that "
    "prefers it, and the demo's jobs are never answered synchronously. Without it the "
    "submit is refused (400, respond-async-required) and no job is started. A `wait` "
    "preference beside it is ignored.",
    # Exactly what api.headers.read_prefer finds respond-async in: after any elements
    # (a comma inside a quoted string cuts none), the name, in any case, then its value,
    # its parameters, the next element or the end; within the length the API reads.
    "schema": {
        "type": "string",
        "maxLength": MAX_PREFER,
        "pattern": r'^(?:(?:[^",]|"(?:[^"\\]|\\.)*")*,)*[ \t]*'
        r"[Rr][Ee][Ss][Pp][Oo][Nn][Dd]-[Aa][Ss][Yy][Nn][Cc][ \t]*(?:[=;,].*)?$",
    },
    "examples": {"async": {"value": "respond-async"}},
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


def odata_submit_paths() -> dict[str, Any]:
    """The OData submits: the others' answers, and a 400 without Prefer: respond-async."""
    paths = submit_paths("odata", "/api/odata/emails/bulk", "/api/odata/files/process")
    for item in paths.values():
        post = item["post"]
        post["parameters"] = [ODATA_PREFER, *post["parameters"]]
        refused = post["responses"]["400"]
        refused["description"] += " Or no Prefer: respond-async (nothing is started)."
        refused["content"]["application/problem+json"]["examples"]["respondAsyncRequired"] = {
            "$ref": "#/components/examples/respondAsyncRequired"
        }
    return paths


def odata_monitor_path() -> dict[str, Any]:
    monitor = {"Cache-Control": NO_CACHE, "ETag": ETAG}
    done = response(
        "Done: the asynchronous request completed, successfully or not. AsyncResult is the "
        "final response's status; the body is that response's body (the result, or an "
        "OData error), or with Accept: application/http the whole final response.",
        headers={
            **monitor,
            "AsyncResult": header(
                {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
                "The status of the final response (OData 4.01 section 8.3.1).",
            ),
            "OData-Version": ODATA_VERSION,
        },
        schema=ref("ODataFinal"),
        examples=("deliveryReport", "fileDigest", "odataFailed"),
    )
    done["content"]["application/http"] = {
        "schema": ref("HttpMessage"),
        "examples": {"odataHttpMessage": {"$ref": "#/components/examples/odataHttpMessage"}},
    }
    get = monitor_responses(
        {
            "200": done,
            "202": response(
                "Still pending: 202 Accepted again, with Location (OData requires it) and "
                "Retry-After.",
                headers={**ODATA_PENDING_HEADERS, **monitor},
                schema=ref("ODataPending"),
                examples=("odataPending",),
                links=ODATA_LINKS,
            ),
        }
    )
    # In place of the shared 404 (which monitor_responses puts last): a canceled job's too.
    get["404"] = problem_response(
        "No such job, or it was canceled: OData's status monitor answers 404 once the "
        "request is canceled (then with OData-Version).",
        "jobNotFound",
        headers={"OData-Version": {**ODATA_VERSION, "required": False}},
    )
    cancel = {
        "204": response(
            "Canceled at once (the job was queued); the monitor answers 404 from now on.",
            headers={"Cache-Control": NO_STORE, "OData-Version": ODATA_VERSION},
        ),
        "202": response(
            "Accepted: the running job stops at its next step. Location is the job's RFC "
            "9110 monitor, which shows when it stopped (OData: not the status monitor).",
            headers={
                "Location": header(URL, "The job's RFC 9110 monitor, /api/jobs/{jobId}."),
                "Retry-After": JOB_RETRY_AFTER,
                "Cache-Control": NO_STORE,
                "OData-Version": ODATA_VERSION,
            },
            schema=ref("ODataPending"),
            examples=("odataPending",),
        ),
        "404": response_ref("JobNotFound"),
        "405": response_ref("MethodNotAllowed"),
        "409": problem_response(
            "Too late to cancel: the job finished (or was canceled already), or did all its "
            "work (every message sent, the whole file read) and ends as its work did.",
            "jobAlreadyFinished",
        ),
        "410": response_ref("JobExpired"),
        "429": response_ref("RateLimited"),
    }
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": "getODataMonitor",
            "summary": "The OData status monitor: 202 while pending, then 200 with AsyncResult.",
            "parameters": CONDITIONAL,
            "responses": dict(sorted(get.items())),
        },
        "head": {**head_operation("headODataMonitor", get), "parameters": CONDITIONAL},
        "delete": {
            "operationId": "cancelODataRequest",
            "summary": "Cancel the asynchronous request (OData 4.01 section 11.6).",
            "responses": dict(sorted(cancel.items())),
        },
        "options": options_operation("odataMonitorOptions", "GET", "DELETE", job_id=True),
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
        **odata_submit_paths(),
        "/api/odata/monitor/{jobId}": odata_monitor_path(),
    }
