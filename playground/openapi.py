"""The OpenAPI 3.1 document of the demo API, served at /api/openapi.json.

Built as a Python dict so the limits, the CORS lists and the server URL are the
live ones. Tests validate the document against the OpenAPI 3.1 schema and real
responses from every endpoint and method (status, headers and body) against it.

Read top to bottom: reusable pieces (headers, responses, schemas, examples),
then one section per URL, then the document itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from config.site import site_origin
from playground.api.protocol import MAX_WAIT
from playground.cors import ALLOW_HEADERS, ALLOW_METHODS, EXPOSE_HEADERS
from playground.problems import PROBLEM_TYPES

JSON = "application/json"
PROBLEM = "application/problem+json"
# Every example lives on this made-up origin; real responses use the server's.
EXAMPLE_ORIGIN = "https://http202.example.test"

DESCRIPTION = f"""\
A real asynchronous API behind **202 Accepted**. Start a job, follow `Location`
(the status monitor, which answers **303 See Other** to the result once the job
succeeded) or poll `Operation-Location` (the Azure-style operation), honour
`Retry-After`.

**Provoke each outcome from the request itself**

- *Success*: recipients at any ordinary domain, e.g. `ada@example.test`.
- *Partial success*: add a recipient at `bounce.example.test`; it bounces, the
  others are delivered, the job succeeds and the report counts the bounce.
- *Failure*: every recipient at `bounce.example.test`; the job ends `failed`.
- *Slow job*: recipients at `slow.example.test` take several extra steps each.
- *Cancellation*: `DELETE` the status monitor while the job is pending.
- *Immediate outcome*: `Prefer: wait={MAX_WAIT}` waits up to {MAX_WAIT} s and answers 303 when
  done.

**Polling cheaply**: the status monitor, the operation and the result answer
`Cache-Control: no-cache` with an `ETag`; send it back in `If-None-Match` and an
unchanged representation is a bodiless **304 Not Modified**.

**Every URL** answers `OPTIONS` (204 with `Allow`), `HEAD` wherever it answers
`GET`, and any other method with **405** and `Allow`. Any origin may call the API
from a browser (CORS, no credentials); a preflight is answered for every path.
Errors are `application/problem+json` (RFC 9457) and never cached
(`Cache-Control: no-store`). Site-wide headers (`Content-Security-Policy`,
`X-Frame-Options`, `X-Content-Type-Options`, `Referrer-Policy`,
`Cross-Origin-Opener-Policy`, and `Vary`/`Content-Encoding` from compression)
are on every response and not repeated below.
"""


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# -- Headers ---------------------------------------------------------------------

URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
WHOLE_SECONDS = {"type": "string", "pattern": "^[1-9][0-9]*$"}


def header(schema: dict[str, Any], description: str, *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


def cache_control(value: str, why: str) -> dict[str, Any]:
    return header({"type": "string", "const": value}, f"`{value}`: {why}")


NO_STORE = cache_control("no-store", "an answer to this request, never to be reused.")
NO_CACHE = cache_control("no-cache", "a status is never served stale; revalidate with the ETag.")
ETAG = header(
    {"type": "string", "pattern": '^(W/)?"[!#-~]*"$'},
    "Changes whenever the body changes; send it in If-None-Match to get 304 while unchanged.",
)
RETRY_AFTER = header(WHOLE_SECONDS, "Whole seconds (at least 1) before polling again.")
PENDING_RETRY_AFTER = header(
    WHOLE_SECONDS,
    "While the job is queued or running: whole seconds before polling again.",
    required=False,
)
PREFERENCE_APPLIED = header(
    {"type": "string", "pattern": "^(respond-async(, wait=[0-9]+)?|wait=[0-9]+)$"},
    "The preferences of the Prefer header that were honoured: `respond-async` and/or "
    f"`wait=N` (N capped at {MAX_WAIT}). Absent when Prefer asked for neither.",
    required=False,
)
# Added to every response by playground.cors.ApiCorsMiddleware.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": header(
        {"type": "string", "const": "*"}, "Any origin may read the response (no credentials)."
    ),
    "Access-Control-Expose-Headers": header(
        {"type": "string", "const": EXPOSE_HEADERS},
        "The headers a browser script may read besides the CORS-safelisted ones.",
    ),
}


# -- Responses -------------------------------------------------------------------


def response(
    description: str,
    *,
    headers: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    media_type: str = JSON,
    examples: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A response with the CORS headers every /api/ response carries; examples by name."""
    answer: dict[str, Any] = {
        "description": description,
        "headers": {**(headers or {}), **CORS_HEADERS},
    }
    if schema is not None:
        content: dict[str, Any] = {"schema": schema}
        if examples:
            content["examples"] = {
                name: {"$ref": f"#/components/examples/{name}"} for name in examples
            }
        answer["content"] = {media_type: content}
    return answer


def problem_response(
    description: str, *examples: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    return response(
        description,
        headers={"Cache-Control": NO_STORE, **(headers or {})},
        schema=ref("Problem"),
        media_type=PROBLEM,
        examples=examples,
    )


def without_body(answer: dict[str, Any]) -> dict[str, Any]:
    """What HEAD gets: the same status and headers as GET, no body."""
    if "$ref" in answer:
        answer = RESPONSES[answer["$ref"].rsplit("/", 1)[1]]
    return {key: value for key, value in answer.items() if key != "content"}


def not_modified(cache: dict[str, Any], *, pending: bool = False) -> dict[str, Any]:
    headers = {"Cache-Control": cache, "ETag": ETAG}
    if pending:
        # A job still pending keeps telling the poller when to come back.
        headers["Retry-After"] = PENDING_RETRY_AFTER
    return response(
        "Not Modified: the representation still has the ETag sent in If-None-Match. "
        "No body; keep using the copy you have."
        + (" Retry-After is repeated while the job is pending." if pending else ""),
        headers=headers,
    )


def precondition_failed() -> dict[str, Any]:
    return response(
        "Precondition Failed: If-Match names none of the current ETags. Django's conditional "
        "handling answers it with an empty body (not a problem)."
    )


def response_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


RESPONSES: dict[str, Any] = {
    "JobNotFound": problem_response("No job has this id.", "jobNotFound"),
    "JobExpired": problem_response(
        "Gone: the job finished longer ago than the retention period; its data is deleted.",
        "jobExpired",
    ),
    "MethodNotAllowed": problem_response(
        "The URL does not answer this method (any method not in Allow).",
        "methodNotAllowed",
        headers={
            "Allow": header(
                {"type": "string", "pattern": "^[A-Z]+(, [A-Z]+)*$"},
                "The methods this URL answers, as OPTIONS lists them.",
            )
        },
    ),
}


def allow_list(*methods: str) -> str:
    # In the order the API's allow_methods decorator lists them (the tests compare).
    return ", ".join([*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"])


def options_operation(operation_id: str, *methods: str) -> dict[str, Any]:
    allow = allow_list(*methods)
    preflight_only = "Only on a CORS preflight (a request with Access-Control-Request-Method)."
    return {
        "operationId": operation_id,
        "summary": f"The methods this URL answers ({allow}); CORS preflight.",
        "description": "A plain OPTIONS answers 204 with `Allow`. A CORS preflight (with "
        "`Access-Control-Request-Method`) is answered before the view runs, for any path "
        "under /api/: 204 with the Access-Control-Allow-* headers instead.",
        "parameters": [
            {
                "name": "Access-Control-Request-Method",
                "in": "header",
                "required": False,
                "description": "Makes the request a CORS preflight.",
                "schema": {"type": "string"},
            },
            {
                "name": "Access-Control-Request-Headers",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            },
        ],
        "responses": {
            "204": {
                "description": "No content: the allowed methods, or the preflight's answer.",
                "headers": {
                    "Allow": header(
                        {"type": "string", "const": allow},
                        "On a plain OPTIONS (not a preflight).",
                        required=False,
                    ),
                    "Access-Control-Allow-Methods": header(
                        {"type": "string", "const": ALLOW_METHODS}, preflight_only, required=False
                    ),
                    "Access-Control-Allow-Headers": header(
                        {"type": "string", "const": ALLOW_HEADERS},
                        f"{preflight_only} The request headers a browser may send.",
                        required=False,
                    ),
                    "Access-Control-Max-Age": header(
                        {"type": "string", "pattern": "^[0-9]+$"},
                        f"{preflight_only} Seconds a browser may cache the preflight.",
                        required=False,
                    ),
                    "Access-Control-Allow-Origin": CORS_HEADERS["Access-Control-Allow-Origin"],
                    "Access-Control-Expose-Headers": {
                        **CORS_HEADERS["Access-Control-Expose-Headers"],
                        "description": "On a plain OPTIONS (not a preflight).",
                        "required": False,
                    },
                },
            }
        },
    }


def head_operation(operation_id: str, get: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": "Like GET, without the body.",
        "responses": {
            status: without_body(answer) for status, answer in get.items() if status != "405"
        },
    }


# -- Schemas ---------------------------------------------------------------------

JOB_ID = {
    "type": "string",
    "pattern": "^job_[A-Za-z0-9]+$",
    "examples": ["job_8fQk2LxT0aZr7YbNc1Vw"],
}
TIMESTAMP = {"type": "string", "format": "date-time", "pattern": "Z$"}
STATUS = {
    "type": "string",
    "enum": ["queued", "running", "succeeded", "failed", "canceled"],
    "description": "Exact spellings; compare them case-insensitively.",
}
KIND = {"type": "string", "enum": ["bulk-email", "file-processing"]}
PERCENT = {"type": "integer", "minimum": 0, "maximum": 100}


def when_status(statuses: list[str], *, required: list[str]) -> dict[str, Any]:
    return {
        "if": {"properties": {"status": {"enum": statuses}}, "required": ["status"]},
        "then": {"required": required},
    }


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details. `type` is the problem's entry on /api/.",
        "required": ["type", "title", "status", "detail", "instance"],
        "properties": {
            "type": URL,
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": URL,
            "errors": {
                "type": "array",
                "description": "Per-field errors (422).",
                "items": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {
                        "pointer": {"type": "string", "description": "JSON Pointer into the body."},
                        "field": {"type": "string", "description": "Form field name."},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
    "JobError": {
        "type": "object",
        "description": "Why a job failed or was canceled: RFC 9457 fields plus code and message.",
        "required": ["type", "title", "detail", "instance", "code", "message"],
        "properties": {
            "type": URL,
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "instance": URL,
            "code": {
                "type": "string",
                "enum": [
                    "all-bounced",
                    "canceled",
                    "worker-lost",
                    "upload-missing",
                    "internal-error",
                ],
            },
            "message": {"type": "string"},
        },
    },
    "Recipient": {
        "oneOf": [
            {"type": "string", "format": "email"},
            {
                "type": "object",
                "required": ["email"],
                "additionalProperties": False,
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "name": {"type": "string", "maxLength": 100},
                },
            },
        ]
    },
    "BulkEmailRequest": {
        "type": "object",
        "required": ["subject", "body", "recipients"],
        "additionalProperties": False,
        "properties": {
            "subject": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                # Every line break str.splitlines() knows: the subject becomes a mail header.
                "pattern": "^[^\\n\\r\\x0b\\x0c\\x1c-\\x1e\\x85\\u2028\\u2029]*$",
                "description": "A single line: a line break is refused (422).",
            },
            "body": {
                "type": "string",
                "minLength": 1,
                "maxLength": 10000,
                "description": "Template: {name} and {email} are replaced per recipient.",
            },
            "recipients": {"type": "array", "minItems": 1, "items": ref("Recipient")},
        },
    },
    "Accepted": {
        "type": "object",
        "required": [
            "jobId",
            "kind",
            "status",
            "progress",
            "createdAt",
            "estimatedCompletionAt",
            "monitor",
            "operation",
        ],
        "properties": {
            "jobId": JOB_ID,
            "kind": KIND,
            "status": STATUS,
            "progress": PERCENT,
            "createdAt": TIMESTAMP,
            "estimatedCompletionAt": TIMESTAMP,
            "monitor": URL,
            "operation": URL,
        },
    },
    "JobStatus": {
        "description": "The status monitor's view of a job. Pending jobs say how to cancel; "
        "failed and canceled ones say why.",
        "type": "object",
        "allOf": [
            ref("Accepted"),
            when_status(["queued", "running"], required=["cancel"]),
            when_status(["failed", "canceled"], required=["error"]),
        ],
        "required": ["message", "startedAt", "updatedAt", "finishedAt"],
        "properties": {
            "message": {"type": "string"},
            "startedAt": {"oneOf": [TIMESTAMP, {"type": "null"}]},
            "updatedAt": TIMESTAMP,
            "finishedAt": {"oneOf": [TIMESTAMP, {"type": "null"}]},
            "cancelRequestedAt": TIMESTAMP,
            "cancel": {
                "type": "object",
                "description": "Present while pending: how to cancel.",
                "required": ["method", "href"],
                "properties": {"method": {"const": "DELETE"}, "href": URL},
            },
            "error": ref("JobError"),
            "report": {
                **ref("DeliveryReport"),
                "description": "A failed bulk email's delivery report.",
            },
        },
    },
    "SeeOther": {
        "type": "object",
        "description": "Where to go now that the job is done: its result once succeeded.",
        "required": ["jobId", "status", "monitor"],
        "allOf": [when_status(["succeeded"], required=["result"])],
        "properties": {
            "jobId": JOB_ID,
            "status": STATUS,
            "result": URL,
            "monitor": URL,
        },
    },
    "Operation": {
        "type": "object",
        "description": "Azure REST API guidelines' long-running operation status.",
        "required": ["id", "status", "percentComplete", "createdDateTime", "lastUpdatedDateTime"],
        "allOf": [
            when_status(["succeeded"], required=["resourceLocation"]),
            when_status(["failed", "canceled"], required=["error"]),
        ],
        "properties": {
            "id": JOB_ID,
            "kind": KIND,
            "status": STATUS,
            "percentComplete": PERCENT,
            "createdDateTime": TIMESTAMP,
            "lastUpdatedDateTime": TIMESTAMP,
            "resourceLocation": URL,
            "error": ref("JobError"),
        },
    },
    "DeliveryReport": {
        "type": "object",
        "required": ["kind", "subject", "outcome", "counts", "recipients"],
        "properties": {
            "kind": {"const": "bulk-email"},
            "subject": {"type": "string"},
            "outcome": {"type": "string", "enum": ["delivered", "partial", "bounced"]},
            "counts": {
                "type": "object",
                "required": ["recipients", "delivered", "bounced"],
                "properties": {
                    name: {"type": "integer", "minimum": 0}
                    for name in ["recipients", "delivered", "bounced"]
                },
            },
            "recipients": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["email", "name", "status", "messageId", "detail"],
                    "properties": {
                        "email": {"type": "string"},
                        "name": {"type": "string"},
                        "status": {"type": "string", "enum": ["delivered", "bounced"]},
                        "messageId": {"type": "string"},
                        "detail": {"type": "string", "description": "The SMTP reply."},
                    },
                },
            },
        },
    },
    "FileReport": {
        "type": "object",
        "required": ["kind", "filename", "declaredType", "detectedType", "size", "sha256"],
        "properties": {
            "kind": {"const": "file-processing"},
            "filename": {"type": "string"},
            "declaredType": {"type": "string"},
            "detectedType": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "lines": {"type": "integer", "minimum": 0},
            "words": {"type": "integer", "minimum": 0},
        },
    },
    "Result": {
        "type": "object",
        "description": "A delivery report (bulk email) or a file digest (file processing).",
        "required": ["jobId", "completedAt", "expiresAt", "monitor"],
        "properties": {
            "jobId": JOB_ID,
            "completedAt": TIMESTAMP,
            "expiresAt": TIMESTAMP,
            "monitor": URL,
        },
        "oneOf": [ref("DeliveryReport"), ref("FileReport")],
    },
}


# -- Examples --------------------------------------------------------------------

JOB = "job_8fQk2LxT0aZr7YbNc1Vw"
MONITOR = f"{EXAMPLE_ORIGIN}/api/jobs/{JOB}"
OPERATION = f"{EXAMPLE_ORIGIN}/api/operations/{JOB}"
RESULT = f"{MONITOR}/result"
CREATED = "2025-01-01T12:00:00.000Z"
STARTED = "2025-01-01T12:00:00.412Z"
FINISHED = "2025-01-01T12:00:06.207Z"
EXPIRES = "2025-01-02T12:00:06.207Z"

ACCEPTED = {
    "jobId": JOB,
    "kind": "bulk-email",
    "status": "queued",
    "progress": 0,
    "createdAt": CREATED,
    "estimatedCompletionAt": "2025-01-01T12:00:06.000Z",
    "monitor": MONITOR,
    "operation": OPERATION,
}
STATUS_BASE = {
    **ACCEPTED,
    "message": "Waiting for a worker.",
    "startedAt": None,
    "updatedAt": CREATED,
    "finishedAt": None,
}
QUEUED = {**STATUS_BASE, "cancel": {"method": "DELETE", "href": MONITOR}}
RUNNING = {
    **QUEUED,
    "status": "running",
    "progress": 43,
    "message": "Sent message 2 of 3.",
    "startedAt": STARTED,
    "updatedAt": "2025-01-01T12:00:03.020Z",
}
CANCELED_ERROR = {
    "type": f"{EXAMPLE_ORIGIN}/api/#problem-canceled",
    "title": "The job was canceled",
    "detail": "A client asked for cancellation (DELETE on the status monitor).",
    "instance": MONITOR,
    "code": "canceled",
    "message": "A client asked for cancellation (DELETE on the status monitor).",
}
BOUNCED = "All 2 recipients were refused (addresses at bounce.example.test always bounce); "
BOUNCED += "nothing was delivered."
FAILED_ERROR = {
    "type": f"{EXAMPLE_ORIGIN}/api/#problem-all-bounced",
    "title": "Every recipient bounced",
    "detail": BOUNCED,
    "instance": MONITOR,
    "code": "all-bounced",
    "message": BOUNCED,
}


def delivery(email: str, index: int, *, bounced: bool = False) -> dict[str, str]:
    return {
        "email": email,
        "name": email.partition("@")[0],
        "messageId": f"<{JOB}.{index}@http202.example.test>",
        "status": "bounced" if bounced else "delivered",
        "detail": "550 5.1.1 Mailbox unavailable (demo bounce domain)"
        if bounced
        else "250 Accepted for local delivery",
    }


FAILED_REPORT = {
    "kind": "bulk-email",
    "subject": "Welcome",
    "outcome": "bounced",
    "counts": {"recipients": 2, "delivered": 0, "bounced": 2},
    "recipients": [
        delivery("a@bounce.example.test", 0, bounced=True),
        delivery("b@bounce.example.test", 1, bounced=True),
    ],
}
FINISHED_AT = {"updatedAt": FINISHED, "finishedAt": FINISHED, "estimatedCompletionAt": FINISHED}
OPERATION_QUEUED = {
    "id": JOB,
    "kind": "bulk-email",
    "status": "queued",
    "percentComplete": 0,
    "createdDateTime": CREATED,
    "lastUpdatedDateTime": CREATED,
}


def example(summary: str, value: Any, description: str = "") -> dict[str, Any]:
    return {
        "summary": summary,
        "value": value,
        **({"description": description} if description else {}),
    }


def problem_example(slug: str, detail: str, path: str, **extra: Any) -> dict[str, Any]:
    kind = PROBLEM_TYPES[slug]
    body = {
        "type": f"{EXAMPLE_ORIGIN}/api/#problem-{slug}",
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": f"{EXAMPLE_ORIGIN}{path}",
        **extra,
    }
    return example(f"{kind.status} {kind.title}", body)


BULK = "/api/emails/bulk"
FILES = "/api/files/process"
NOT_JSON = "The body is not valid JSON: Expecting property name enclosed in double quotes: "
NOT_JSON += "line 1 column 2 (char 1)."

EXAMPLES: dict[str, Any] = {
    # Requests
    "sendToEveryone": example(
        "Success",
        {"subject": "Welcome", "body": "Hello {name}.", "recipients": ["ada@example.test"]},
    ),
    "someBounce": example(
        "Partial success: one recipient bounces, the job still succeeds",
        {
            "subject": "Welcome",
            "body": "Hello {name}, your account is ready.",
            "recipients": [
                "ada@example.test",
                {"email": "grace@slow.example.test", "name": "Grace"},
                "nobody@bounce.example.test",
            ],
        },
    ),
    "everyoneBounces": example(
        "Failure: every recipient bounces, the job ends failed",
        {
            "subject": "Welcome",
            "body": "Hello {name}.",
            "recipients": ["a@bounce.example.test", "b@bounce.example.test"],
        },
    ),
    "slowJob": example(
        "A slow job (cancel it while it runs)",
        {
            "subject": "Welcome",
            "body": "Hello {name}.",
            "recipients": ["a@slow.example.test", "b@slow.example.test"],
        },
    ),
    "textFile": example("A text file as the raw body", "hello world\nsecond line\n"),
    # Accepted and redirected
    "bulkEmailAccepted": example("Bulk email queued", ACCEPTED),
    "fileAccepted": example("File queued", {**ACCEPTED, "kind": "file-processing"}),
    "seeResult": example(
        "Succeeded: Location is the result",
        {"jobId": JOB, "status": "succeeded", "result": RESULT, "monitor": MONITOR},
    ),
    "seeFailure": example(
        "Failed within Prefer: wait: Location is the status monitor",
        {"jobId": JOB, "status": "failed", "monitor": MONITOR},
    ),
    # The status monitor
    "queued": example("Queued, waiting for a worker", QUEUED),
    "running": example("Running", RUNNING),
    "cancelRequested": example(
        "Running, cancellation requested: it stops at its next step",
        {
            **RUNNING,
            "message": "Cancellation requested; the job stops at its next step.",
            "cancelRequestedAt": "2025-01-01T12:00:03.500Z",
        },
    ),
    "failed": example(
        "Failed: every recipient bounced (the report says which)",
        {
            **STATUS_BASE,
            **FINISHED_AT,
            "status": "failed",
            "progress": 99,
            "message": "Failed: Every recipient bounced.",
            "startedAt": STARTED,
            "error": FAILED_ERROR,
            "report": FAILED_REPORT,
        },
    ),
    "canceled": example(
        "Canceled while queued",
        {
            **STATUS_BASE,
            "status": "canceled",
            "message": "Canceled.",
            "updatedAt": STARTED,
            "finishedAt": STARTED,
            "estimatedCompletionAt": STARTED,
            "cancelRequestedAt": STARTED,
            "error": CANCELED_ERROR,
        },
    ),
    # The operation
    "operationQueued": example("Queued", OPERATION_QUEUED),
    "operationRunning": example(
        "Running",
        {
            **OPERATION_QUEUED,
            "status": "running",
            "percentComplete": 43,
            "lastUpdatedDateTime": "2025-01-01T12:00:03.020Z",
        },
    ),
    "operationSucceeded": example(
        "Succeeded: resourceLocation is the result",
        {
            **OPERATION_QUEUED,
            "status": "succeeded",
            "percentComplete": 100,
            "lastUpdatedDateTime": FINISHED,
            "resourceLocation": RESULT,
        },
    ),
    "operationFailed": example(
        "Failed",
        {
            **OPERATION_QUEUED,
            "status": "failed",
            "percentComplete": 99,
            "lastUpdatedDateTime": FINISHED,
            "error": FAILED_ERROR,
        },
    ),
    "operationCanceled": example(
        "Canceled",
        {
            **OPERATION_QUEUED,
            "status": "canceled",
            "lastUpdatedDateTime": STARTED,
            "error": CANCELED_ERROR,
        },
    ),
    # Results
    "deliveryReport": example(
        "Bulk email: a delivery report (here a partial success)",
        {
            "jobId": JOB,
            "kind": "bulk-email",
            "subject": "Welcome",
            "outcome": "partial",
            "counts": {"recipients": 2, "delivered": 1, "bounced": 1},
            "recipients": [
                delivery("ada@example.test", 0),
                delivery("nobody@bounce.example.test", 1, bounced=True),
            ],
            "completedAt": FINISHED,
            "expiresAt": EXPIRES,
            "monitor": MONITOR,
        },
    ),
    "fileDigest": example(
        "File processing: the file's digest",
        {
            "jobId": JOB,
            "kind": "file-processing",
            "filename": "notes.txt",
            "declaredType": "text/plain",
            "detectedType": "text/plain; charset=utf-8",
            "size": 24,
            "sha256": "1cf34cbeaca6f2ce821c4b6369c37c583b1cc10846122a8c77a4df77d0d5b7b8",
            "lines": 2,
            "words": 4,
            "completedAt": FINISHED,
            "expiresAt": EXPIRES,
            "monitor": MONITOR,
        },
    ),
    # Problems
    "malformedJson": problem_example("malformed-json", NOT_JSON, BULK),
    "malformedForm": problem_example(
        "malformed-form",
        "The form cannot be read: Invalid boundary in multipart: None",
        FILES,
    ),
    "invalidContentLength": problem_example(
        "invalid-content-length",
        "Content-Length '12 bytes' is not a number of bytes.",
        FILES,
    ),
    "jobNotFound": problem_example(
        "job-not-found", "There is no job job_nope.", "/api/jobs/job_nope"
    ),
    "methodNotAllowed": problem_example(
        "method-not-allowed",
        "GET is not allowed here; use POST, OPTIONS.",
        BULK,
    ),
    "idempotencyKeyInFlight": problem_example(
        "idempotency-key-in-flight",
        "The first request with this Idempotency-Key is still being processed.",
        BULK,
    ),
    "resultNotAvailable": problem_example(
        "result-not-available",
        f"Job {JOB} is still running; see its status monitor {MONITOR}.",
        f"/api/jobs/{JOB}/result",
    ),
    "jobAlreadyFinished": problem_example(
        "job-already-finished",
        f"Job {JOB} already finished (succeeded); there is nothing to cancel.",
        f"/api/jobs/{JOB}",
    ),
    "jobExpired": problem_example(
        "job-expired",
        f"Job {JOB} finished more than the retention period ago; its data is deleted.",
        f"/api/jobs/{JOB}",
    ),
    "lengthRequired": problem_example(
        "length-required",
        "Send the file with a Content-Length header; a body without one is not read.",
        FILES,
    ),
    "tooManyRecipients": problem_example(
        "too-many-recipients",
        "120 recipients; the demo accepts at most 100 per job.",
        BULK,
    ),
    "bodyTooLarge": problem_example(
        "body-too-large",
        "The body is larger than the 2621440 bytes this API reads.",
        BULK,
    ),
    "fileTooLarge": problem_example(
        "file-too-large",
        "5000 bytes; the demo accepts at most 4096.",
        FILES,
    ),
    "unsupportedMediaType": problem_example(
        "unsupported-media-type",
        "Send the bulk email as application/json, not text/plain.",
        BULK,
    ),
    "invalidFields": problem_example(
        "invalid-request",
        "Some fields are missing or invalid.",
        BULK,
        errors=[
            {"pointer": "/subject", "detail": "Required: a non-empty string."},
            {
                "pointer": "/body",
                "detail": "Unknown placeholder {nam}: use {name} or {email} "
                "(write {{ and }} for literal braces).",
            },
            {"pointer": "/recipients/0", "detail": "Not an email address: 'nope'."},
        ],
    ),
    "subjectWithLineBreak": problem_example(
        "invalid-request",
        "Some fields are missing or invalid.",
        BULK,
        errors=[{"pointer": "/subject", "detail": "A single line: no line breaks."}],
    ),
    "idempotencyKeyReused": problem_example(
        "idempotency-key-reused",
        "This Idempotency-Key was first used with a different request.",
        BULK,
    ),
    "noFile": problem_example(
        "invalid-request",
        "No file in the form.",
        FILES,
        errors=[{"field": "file", "detail": "Required: the file to process."}],
    ),
    "emptyFile": problem_example(
        "invalid-request",
        "There is no file to process.",
        FILES,
        errors=[{"field": "file", "detail": "The file is empty."}],
    ),
}


# -- Starting jobs ---------------------------------------------------------------

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: the same key and body return the original job (or, once it "
    "finished, its 303); the same key with another body is 422; while the first request with "
    "the key is still being processed, 409.",
    "schema": {"type": "string", "maxLength": 255},
}
PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "description": "`respond-async` (the default behaviour, acknowledged) and/or `wait=N` "
    f"(N up to {MAX_WAIT}): answer the final outcome if the job finishes within N seconds.",
    "schema": {"type": "string"},
    "examples": {"wait": {"value": "respond-async, wait=5"}},
}


def start_responses(accepted_example: str, problems: dict[str, Any]) -> dict[str, Any]:
    """What both POST endpoints answer: a job started, or a problem (the endpoint's own,
    by status, and the shared ones) before anything is stored."""
    responses: dict[str, Any] = {
        "202": response(
            "Accepted: the job is committed and queued. A replayed Idempotency-Key (without "
            "`Prefer: wait`) gets the original job's 202 again, with its current status.",
            headers={
                "Location": header(URL, "The status monitor, /api/jobs/{jobId}."),
                "Content-Location": header(URL, "Same as Location: the body is its first status."),
                "Operation-Location": header(URL, "The operation, /api/operations/{jobId}."),
                "Retry-After": RETRY_AFTER,
                "Cache-Control": NO_STORE,
                "Preference-Applied": PREFERENCE_APPLIED,
            },
            schema=ref("Accepted"),
            examples=(accepted_example,),
        ),
        "303": response(
            'See Other: with `Prefer: wait=N`, the job finished within N seconds ("do not '
            'use 202 when the operation already completed"). Location is the result, or the '
            "status monitor if the job failed or was canceled.",
            headers={
                "Location": header(URL, "The result, or the monitor of a failed job."),
                "Cache-Control": NO_STORE,
                "Preference-Applied": PREFERENCE_APPLIED,
            },
            schema=ref("SeeOther"),
            examples=("seeResult", "seeFailure"),
        ),
        "405": response_ref("MethodNotAllowed"),
        "409": problem_response(
            "A request with the same Idempotency-Key is still being processed.",
            "idempotencyKeyInFlight",
            headers={"Retry-After": RETRY_AFTER},
        ),
        **problems,
    }
    return dict(sorted(responses.items()))


def unsupported_media_type(accept_post: str) -> dict[str, Any]:
    return problem_response(
        "Wrong (or no) Content-Type; Accept-Post lists what is read.",
        "unsupportedMediaType",
        headers={
            "Accept-Post": header({"type": "string", "const": accept_post}, "Media types read.")
        },
    )


def bulk_email_path() -> dict[str, Any]:
    responses = start_responses(
        "bulkEmailAccepted",
        {
            "400": problem_response("The body is not valid JSON.", "malformedJson"),
            "413": problem_response(
                f"More than {settings.DEMO_MAX_RECIPIENTS} recipients, or a body larger than "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
                "tooManyRecipients",
                "bodyTooLarge",
            ),
            "415": unsupported_media_type(JSON),
            "422": problem_response(
                "Invalid fields (each entry of errors points at one), a subject with a line break, "
                "or an Idempotency-Key reused with a different body.",
                "invalidFields",
                "subjectWithLineBreak",
                "idempotencyKeyReused",
            ),
        },
    )
    return {
        "post": {
            "operationId": "sendBulkEmail",
            "summary": "Send one templated email to many recipients, in the background.",
            "parameters": [IDEMPOTENCY_KEY, PREFER],
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {
                        "schema": ref("BulkEmailRequest"),
                        "examples": {
                            name: {"$ref": f"#/components/examples/{name}"}
                            for name in [
                                "sendToEveryone",
                                "someBounce",
                                "everyoneBounces",
                                "slowJob",
                            ]
                        },
                    }
                },
            },
            "responses": responses,
        },
        "options": options_operation("bulkEmailOptions", "POST"),
    }


def process_file_path() -> dict[str, Any]:
    responses = start_responses(
        "fileAccepted",
        {
            "400": problem_response(
                "A form that cannot be read, or a Content-Length that is not a number.",
                "malformedForm",
                "invalidContentLength",
            ),
            "411": problem_response(
                "Length Required: the body must come with Content-Length (not chunked).",
                "lengthRequired",
            ),
            "413": problem_response(
                f"A file larger than {settings.DEMO_MAX_UPLOAD_BYTES} bytes, or form fields "
                f"larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
                "fileTooLarge",
                "bodyTooLarge",
            ),
            "415": unsupported_media_type("multipart/form-data, */*"),
            "422": problem_response(
                "No file in the form, an empty file, or an Idempotency-Key reused with a "
                "different body.",
                "noFile",
                "emptyFile",
                "idempotencyKeyReused",
            ),
        },
    )
    return {
        "post": {
            "operationId": "processFile",
            "summary": "Digest a file (size, SHA-256, lines, words, type) in the background.",
            "parameters": [IDEMPOTENCY_KEY, PREFER],
            "requestBody": {
                "required": True,
                "description": "The file as the form field `file`, or as the raw body with "
                "its own Content-Type and a Content-Length (Content-Disposition may carry "
                "its filename). An empty file is refused.",
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "contentMediaType": "application/octet-stream",
                                }
                            },
                        }
                    },
                    "*/*": {
                        "schema": {
                            "type": "string",
                            "contentMediaType": "application/octet-stream",
                        },
                        "examples": {"textFile": {"$ref": "#/components/examples/textFile"}},
                    },
                },
            },
            "responses": responses,
        },
        "options": options_operation("processFileOptions", "POST"),
    }


# -- Following jobs --------------------------------------------------------------

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
}


def monitored(description: str, schema: str, *examples: str, pending: bool) -> dict[str, Any]:
    """A 200 that must never be served stale, but may be revalidated cheaply."""
    headers = {"Cache-Control": NO_CACHE, "ETag": ETAG}
    if pending:
        headers["Retry-After"] = PENDING_RETRY_AFTER
    return response(description, headers=headers, schema=ref(schema), examples=examples)


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
        ),
        "304": not_modified(NO_CACHE, pending=True),
        "412": precondition_failed(),
        **FOLLOWING,
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
            "responses": {
                "202": response(
                    "Cancellation accepted: a queued job is canceled at once, a running "
                    "one stops at its next step (the monitor shows when).",
                    headers={
                        "Location": header(URL, "The status monitor."),
                        "Cache-Control": NO_STORE,
                    },
                    schema=ref("JobStatus"),
                    examples=("canceled", "cancelRequested"),
                ),
                "404": response_ref("JobNotFound"),
                "405": response_ref("MethodNotAllowed"),
                "409": problem_response("The job already finished.", "jobAlreadyFinished"),
                "410": response_ref("JobExpired"),
            },
        },
        "options": options_operation("jobOptions", "GET", "DELETE"),
    }


def result_path() -> dict[str, Any]:
    get = {
        "200": monitored(
            "The result: a delivery report or a file digest.",
            "Result",
            "deliveryReport",
            "fileDigest",
            pending=False,
        ),
        "304": not_modified(NO_CACHE),
        "412": precondition_failed(),
        "409": problem_response(
            "The job has not succeeded (yet): poll its status monitor.",
            "resultNotAvailable",
            headers={"Retry-After": PENDING_RETRY_AFTER},
        ),
        **FOLLOWING,
    }
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": "getJobResult",
            "summary": "The delivery report or file digest of a succeeded job.",
            "parameters": CONDITIONAL,
            "responses": dict(sorted(get.items())),
        },
        "head": {**head_operation("headJobResult", get), "parameters": CONDITIONAL},
        "options": options_operation("jobResultOptions", "GET"),
    }


def operation_path() -> dict[str, Any]:
    get = {
        "200": monitored(
            "The operation, in every state (always 200): Retry-After while pending, "
            "resourceLocation once succeeded, error once failed or canceled.",
            "Operation",
            "operationQueued",
            "operationRunning",
            "operationSucceeded",
            "operationFailed",
            "operationCanceled",
            pending=True,
        ),
        "304": not_modified(NO_CACHE, pending=True),
        "412": precondition_failed(),
        **FOLLOWING,
    }
    return {
        "parameters": [JOB_PATH_PARAMETER],
        "get": {
            "operationId": "getOperation",
            "summary": "The job as an Azure-style long-running operation.",
            "parameters": CONDITIONAL,
            "responses": dict(sorted(get.items())),
        },
        "head": {**head_operation("headOperation", get), "parameters": CONDITIONAL},
        "options": options_operation("operationOptions", "GET"),
    }


# -- This document ---------------------------------------------------------------


def openapi_path() -> dict[str, Any]:
    cache = cache_control("public, max-age=300", "the document changes only with a deploy.")
    document = {
        "type": "object",
        "required": ["openapi", "info", "paths"],
        "properties": {"openapi": {"type": "string", "pattern": "^3\\.1\\."}},
    }
    ok = "OpenAPI 3.1."
    return {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document.",
            "parameters": CONDITIONAL,
            "responses": {
                "200": response(
                    ok, headers={"Cache-Control": cache, "ETag": ETAG}, schema=document
                ),
                "304": not_modified(cache),
                "405": response_ref("MethodNotAllowed"),
                "412": precondition_failed(),
            },
        },
        "head": head_operation(
            "headOpenApi",
            # The ETag (and so 304 and 412) comes from Django's ConditionalGetMiddleware,
            # which skips HEAD.
            {"200": response(ok, headers={"Cache-Control": cache})},
        ),
        "options": options_operation("openApiOptions", "GET"),
    }


def openapi_document(request: HttpRequest) -> dict[str, Any]:
    limits = (
        f"\n**Limits**: at most {settings.DEMO_MAX_RECIPIENTS} recipients, files up to "
        f"{settings.DEMO_MAX_UPLOAD_BYTES} bytes; finished jobs are kept "
        f"{settings.DEMO_JOB_RETENTION} seconds, then answer 410 Gone.\n"
    )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "HTTP 202 Accepted: demo asynchronous API",
            "version": "1.0.0",
            "description": DESCRIPTION + limits,
        },
        "servers": [{"url": site_origin(request)}],
        "paths": {
            "/api/emails/bulk": bulk_email_path(),
            "/api/files/process": process_file_path(),
            "/api/jobs/{jobId}": job_monitor_path(),
            "/api/jobs/{jobId}/result": result_path(),
            "/api/operations/{jobId}": operation_path(),
            "/api/openapi.json": openapi_path(),
        },
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "examples": EXAMPLES,
        },
    }
