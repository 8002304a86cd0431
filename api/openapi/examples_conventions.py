"""The examples of the conventions other than RFC 9110 (components/examples): the same
made-up job as examples.py, as the request-reply status, the AIP-151 Operation and the
job resource show it, and the registry."""

from __future__ import annotations

import json
from typing import Any

from api.openapi.examples import (
    CANCELED_ERROR,
    CANCELED_REPORT,
    CREATED,
    EXAMPLE_ORIGIN,
    EXAMPLES,
    FAILED_ERROR,
    FAILED_REPORT,
    FINISHED,
    FINISHED_AT,
    JOB,
    RESULT,
    STARTED,
    example,
)
from api.registry import registry_json

STATUS_URL = f"{EXAMPLE_ORIGIN}/api/request-reply/status/{JOB}"
JOB_URL = f"{EXAMPLE_ORIGIN}/api/job-resource/jobs/{JOB}"
AIP_URL = f"{EXAMPLE_ORIGIN}/api/aip151/operations/{JOB}"
ODATA_URL = f"{EXAMPLE_ORIGIN}/api/odata/monitor/{JOB}"
STATE = {
    "jobId": JOB,
    "kind": "bulk-email",
    "status": "queued",
    "progress": 0,
    "message": "Waiting for a worker.",
    "createdAt": CREATED,
    "startedAt": None,
    "updatedAt": CREATED,
    "finishedAt": None,
    "estimatedCompletionAt": "2025-01-01T12:00:06.000Z",
}
RUNNING = {
    **STATE,
    "status": "running",
    "progress": 43,
    "message": "Sent message 2 of 3.",
    "startedAt": STARTED,
    "updatedAt": "2025-01-01T12:00:03.020Z",
}
FAILED = {
    **STATE,
    **FINISHED_AT,
    "status": "failed",
    "progress": 99,
    "message": "Failed: Every recipient bounced.",
    "startedAt": STARTED,
    "error": FAILED_ERROR,
    "report": FAILED_REPORT,
}
CANCELED = {
    **STATE,
    "status": "canceled",
    "progress": 66,
    "message": "Canceled.",
    "startedAt": STARTED,
    "updatedAt": FINISHED,
    "finishedAt": FINISHED,
    "estimatedCompletionAt": FINISHED,
    "cancelRequestedAt": "2025-01-01T12:00:02.500Z",
    "error": {**CANCELED_ERROR, "instance": JOB_URL},
    "report": CANCELED_REPORT,
}
WORKER_LOST = (
    "The job was attempted 3 times and each time its worker stopped responding before it "
    "finished; giving up."
)
LOST_ERROR = {
    "type": f"{EXAMPLE_ORIGIN}/api/#problem-worker-lost",
    "title": "The worker running this job stopped",
    "detail": WORKER_LOST,
    "instance": STATUS_URL,
    "code": "worker-lost",
    "message": WORKER_LOST,
}
REPORT = {
    "kind": "bulk-email",
    "subject": "Welcome",
    "outcome": "delivered",
    "counts": {"recipients": 1, "delivered": 1, "bounced": 0},
    "recipients": [
        {
            "email": "ada@example.test",
            "name": "ada",
            "messageId": f"<{JOB}.0@http202.example.test>",
            "status": "delivered",
            "detail": "250 Accepted for local delivery",
        }
    ],
}
METADATA = {
    "@type": "type.googleapis.com/http202.demo.v1.JobMetadata",
    "jobId": JOB,
    "kind": "bulk-email",
    "status": "running",
    "progress": 43,
    "message": "Sent message 2 of 3.",
    "createTime": CREATED,
    "updateTime": "2025-01-01T12:00:03.020Z",
    "endTime": None,
    "estimatedCompletionTime": "2025-01-01T12:00:06.000Z",
}
DONE_METADATA = {
    **METADATA,
    "status": "succeeded",
    "progress": 100,
    "message": "Done.",
    "updateTime": FINISHED,
    "endTime": FINISHED,
    "estimatedCompletionTime": FINISHED,
}


def rpc_error(code: int, name: str, reason: str, message: str) -> dict[str, Any]:
    slug = reason.lower().replace("_", "-")
    return {
        "code": code,
        "message": message,
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "http202.example.test",
                "metadata": {
                    "rpcCode": name,
                    "problemType": f"{EXAMPLE_ORIGIN}/api/#problem-{slug}",
                },
            }
        ],
    }


def registry_example() -> dict[str, Any]:
    return example("The registry (no measured client rows bundled)", registry_json())


CONVENTION_EXAMPLES: dict[str, Any] = {
    "requestReplyPending": example(
        "Pending: 200 with the status, and Retry-After",
        {**RUNNING, "self": STATUS_URL, "cancel": {"method": "DELETE", "href": STATUS_URL}},
    ),
    "requestReplyCanceled": example(
        "Canceled: 200 with the status; the report says who got the message",
        {**CANCELED, "self": STATUS_URL, "error": {**CANCELED_ERROR, "instance": STATUS_URL}},
    ),
    "requestReplyFailed": example(
        "Failed: 422 with the error, persisted at the status endpoint",
        {
            "type": FAILED_ERROR["type"],
            "title": FAILED_ERROR["title"],
            "status": 422,
            "detail": FAILED_ERROR["detail"],
            "instance": STATUS_URL,
            "code": "all-bounced",
            "job": {
                **FAILED,
                "self": STATUS_URL,
                "error": {**FAILED_ERROR, "instance": STATUS_URL},
            },
        },
    ),
    "requestReplyWorkerLost": example(
        "Failed by the site (its worker lost): 200 with the status",
        {
            **STATE,
            **FINISHED_AT,
            "status": "failed",
            "progress": 43,
            "message": "Failed: The worker running this job stopped.",
            "startedAt": STARTED,
            "error": LOST_ERROR,
            "self": STATUS_URL,
        },
    ),
    "requestReplySeeOther": example(
        "Done: 303 See Other, Location is the result",
        {"jobId": JOB, "status": "succeeded", "result": RESULT, "monitor": STATUS_URL},
    ),
    "aipPending": example(
        "Not done yet", {"name": f"operations/{JOB}", "done": False, "metadata": METADATA}
    ),
    "aipSucceeded": example(
        "Done: response is the result",
        {
            "name": f"operations/{JOB}",
            "done": True,
            "metadata": DONE_METADATA,
            "response": {"@type": "type.googleapis.com/http202.demo.v1.DeliveryReport", **REPORT},
        },
    ),
    "aipFailed": example(
        "Done: error is a google.rpc.Status",
        {
            "name": f"operations/{JOB}",
            "done": True,
            "metadata": {**DONE_METADATA, "status": "failed", "progress": 99},
            "error": rpc_error(3, "INVALID_ARGUMENT", "ALL_BOUNCED", FAILED_ERROR["detail"]),
        },
    ),
    "aipCanceled": example(
        "Canceled: error code 1 (CANCELLED)",
        {
            "name": f"operations/{JOB}",
            "done": True,
            "metadata": {
                **DONE_METADATA,
                "status": "canceled",
                "progress": 66,
                "report": CANCELED_REPORT,
            },
            "error": rpc_error(1, "CANCELLED", "CANCELED", CANCELED_ERROR["detail"]),
        },
    ),
    "empty": example("google.protobuf.Empty", {}),
    "jobResourceQueued": example(
        "Queued", {**STATE, "self": JOB_URL, "cancel": {"method": "DELETE", "href": JOB_URL}}
    ),
    "jobResourceRunning": example(
        "Running", {**RUNNING, "self": JOB_URL, "cancel": {"method": "DELETE", "href": JOB_URL}}
    ),
    "jobResourceSucceeded": example(
        "Succeeded: the result embedded and linked",
        {
            **STATE,
            **FINISHED_AT,
            "status": "succeeded",
            "progress": 100,
            "message": "Done.",
            "startedAt": STARTED,
            "self": JOB_URL,
            "result": REPORT,
            "resultUrl": RESULT,
        },
    ),
    "jobResourceCanceled": example("Canceled", {**CANCELED, "self": JOB_URL}),
    "odataQueued": example("Queued", {**STATE, "self": ODATA_URL}),
    "odataPending": example("Pending: 202 again, with Retry-After", {**RUNNING, "self": ODATA_URL}),
    "odataFailed": example(
        "Failed: the final response is an OData error (AsyncResult: 422)",
        {
            "error": {
                "code": "all-bounced",
                "message": FAILED_ERROR["detail"],
                "innererror": {"report": FAILED_REPORT},
            }
        },
    ),
    "odataHttpMessage": example(
        "Succeeded, with Accept: application/http: the whole final response",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(EXAMPLES["fileDigest"]["value"], indent=2),
    ),
}
