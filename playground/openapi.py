"""The OpenAPI 3.1 document of the demo API, served at /api/openapi.json.

Built as a Python dict so the limits and server URL are the live ones. Tests
validate real responses from every endpoint against it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from reference.context_processors import site_origin

PROBLEM = "application/problem+json"
JOB_ID = {
    "type": "string",
    "pattern": "^job_[A-Za-z0-9]+$",
    "examples": ["job_8fQk2LxT0aZr7YbNc1Vw"],
}
URL = {"type": "string", "format": "uri", "pattern": "^https?://"}
TIMESTAMP = {"type": "string", "format": "date-time", "pattern": "Z$"}
STATUS = {"type": "string", "enum": ["queued", "running", "succeeded", "failed", "canceled"]}
PENDING = {"type": "string", "enum": ["queued", "running"]}

DESCRIPTION = """\
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
- *Immediate outcome*: `Prefer: wait=10` waits up to 10 s and answers 303 when done.
"""


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def header(schema: dict[str, Any], description: str, *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


def problem_response(description: str, **headers: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": ref("Problem")}},
    }
    if headers:
        response["headers"] = headers
    return response


def json_response(
    description: str, schema: dict[str, Any], example: Any = None, **headers: dict[str, Any]
) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": content},
    }
    if headers:
        response["headers"] = headers
    return response


RETRY_AFTER = header(
    {"type": "string", "pattern": "^[1-9][0-9]*$"}, "Whole seconds before polling again."
)
ALLOW = header({"type": "string"}, "The methods this URL answers.")
ETAG = header({"type": "string"}, "Changes whenever the representation changes.")
NOT_FOUND = problem_response("No such job.")
GONE = problem_response("The job finished longer ago than the retention period.")
NOT_ALLOWED = problem_response("Wrong method.", Allow=ALLOW)


def accepted_responses(example: dict[str, Any]) -> dict[str, Any]:
    return {
        "202": json_response(
            "Accepted: the job is queued (or, for a replayed Idempotency-Key, the original job).",
            ref("Accepted"),
            example,
            Location=header(URL, "The status monitor, /api/jobs/{jobId}."),
            **{
                "Content-Location": header(URL, "Same as Location."),
                "Operation-Location": header(URL, "The operation, /api/operations/{jobId}."),
                "Retry-After": RETRY_AFTER,
                "Preference-Applied": header(
                    {"type": "string"}, "respond-async and/or wait=N", required=False
                ),
            },
        ),
        "303": json_response(
            "With Prefer: wait=N, the job finished within N seconds: Location is the result "
            "(or the status monitor if it failed).",
            ref("SeeOther"),
            Location=header(URL, "The result, or the monitor of a failed job."),
        ),
        "400": problem_response("Malformed JSON."),
        "409": problem_response(
            "A request with the same Idempotency-Key is still in progress.",
            **{"Retry-After": RETRY_AFTER},
        ),
        "405": NOT_ALLOWED,
        "413": problem_response("Too many recipients or too large a file (limits in info)."),
        "415": problem_response("Wrong Content-Type."),
        "422": problem_response(
            "Invalid fields (see errors), or an Idempotency-Key reused with a different body."
        ),
    }


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: the same key and body return the original job.",
    "schema": {"type": "string", "maxLength": 255},
}
PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "description": "`respond-async` (the default behaviour, acknowledged) and/or `wait=N` "
    "(N up to 10): answer the final outcome if the job finishes within N seconds.",
    "schema": {"type": "string"},
    "examples": {"wait": {"value": "respond-async, wait=5"}},
}
JOB_PATH_PARAMETER = {"name": "jobId", "in": "path", "required": True, "schema": JOB_ID}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail", "instance"],
        "properties": {
            "type": URL,
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": URL,
            "errors": {
                "type": "array",
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
            "subject": {"type": "string", "minLength": 1, "maxLength": 200},
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
            "kind": {"type": "string", "enum": ["bulk-email", "file-processing"]},
            "status": STATUS,
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "createdAt": TIMESTAMP,
            "estimatedCompletionAt": TIMESTAMP,
            "monitor": URL,
            "operation": URL,
        },
    },
    "JobStatus": {
        "allOf": [ref("Accepted")],
        "type": "object",
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
            "report": ref("DeliveryReport"),
        },
    },
    "SeeOther": {
        "type": "object",
        "required": ["jobId", "status", "result", "monitor"],
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
        "properties": {
            "id": JOB_ID,
            "kind": {"type": "string"},
            "status": STATUS,
            "percentComplete": {"type": "integer", "minimum": 0, "maximum": 100},
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
                        "detail": {"type": "string"},
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

ACCEPTED_EXAMPLE = {
    "jobId": "job_8fQk2LxT0aZr7YbNc1Vw",
    "kind": "bulk-email",
    "status": "queued",
    "progress": 0,
    "createdAt": "2025-01-01T12:00:00.000Z",
    "estimatedCompletionAt": "2025-01-01T12:00:06.000Z",
    "monitor": "https://http202.example.test/api/jobs/job_8fQk2LxT0aZr7YbNc1Vw",
    "operation": "https://http202.example.test/api/operations/job_8fQk2LxT0aZr7YbNc1Vw",
}


def paths() -> dict[str, Any]:
    monitor_headers = {"Cache-Control": header({"type": "string"}, "no-cache"), "ETag": ETAG}
    pending_headers = {
        **monitor_headers,
        "Retry-After": header(RETRY_AFTER["schema"], "While pending.", required=False),
    }
    return {
        "/api/emails/bulk": {
            "post": {
                "operationId": "sendBulkEmail",
                "summary": "Send one templated email to many recipients, in the background.",
                "parameters": [IDEMPOTENCY_KEY, PREFER],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": ref("BulkEmailRequest"),
                            "example": {
                                "subject": "Welcome",
                                "body": "Hello {name}, your account is ready.",
                                "recipients": [
                                    "ada@example.test",
                                    {"email": "grace@slow.example.test", "name": "Grace"},
                                    "nobody@bounce.example.test",
                                ],
                            },
                        }
                    },
                },
                "responses": accepted_responses(ACCEPTED_EXAMPLE),
            }
        },
        "/api/files/process": {
            "post": {
                "operationId": "processFile",
                "summary": "Digest a file (size, SHA-256, lines, words, type) in the background.",
                "parameters": [IDEMPOTENCY_KEY, PREFER],
                "requestBody": {
                    "required": True,
                    "description": "The file as the form field `file`, or as the raw body with "
                    "its own Content-Type (Content-Disposition may carry its filename).",
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
                        },
                    },
                },
                "responses": accepted_responses({**ACCEPTED_EXAMPLE, "kind": "file-processing"}),
            }
        },
        "/api/jobs/{jobId}": {
            "parameters": [JOB_PATH_PARAMETER],
            "get": {
                "operationId": "getJobStatus",
                "summary": "The status monitor.",
                "responses": {
                    "200": json_response(
                        "Pending (with Retry-After), failed or canceled (with error).",
                        ref("JobStatus"),
                        **pending_headers,
                    ),
                    "303": json_response(
                        "Succeeded: Location is the result.",
                        ref("SeeOther"),
                        Location=header(URL, "The result, /api/jobs/{jobId}/result."),
                    ),
                    "304": {"description": "Unchanged since the ETag in If-None-Match."},
                    "404": NOT_FOUND,
                    "405": NOT_ALLOWED,
                    "410": GONE,
                },
            },
            "delete": {
                "operationId": "cancelJob",
                "summary": "Cancel a pending job.",
                "responses": {
                    "202": json_response(
                        "Cancellation accepted: a queued job is canceled at once, a running "
                        "one stops at its next step.",
                        ref("JobStatus"),
                        Location=header(URL, "The status monitor."),
                    ),
                    "404": NOT_FOUND,
                    "409": problem_response("The job already finished."),
                    "410": GONE,
                },
            },
        },
        "/api/jobs/{jobId}/result": {
            "parameters": [JOB_PATH_PARAMETER],
            "get": {
                "operationId": "getJobResult",
                "summary": "The delivery report or file digest of a succeeded job.",
                "responses": {
                    "200": json_response("The result.", ref("Result"), **monitor_headers),
                    "404": NOT_FOUND,
                    "405": NOT_ALLOWED,
                    "409": problem_response("The job has not succeeded (yet)."),
                    "410": GONE,
                },
            },
        },
        "/api/operations/{jobId}": {
            "parameters": [JOB_PATH_PARAMETER],
            "get": {
                "operationId": "getOperation",
                "summary": "The job as an Azure-style long-running operation; always 200.",
                "responses": {
                    "200": json_response("The operation.", ref("Operation"), **pending_headers),
                    "304": {"description": "Unchanged since the ETag in If-None-Match."},
                    "404": NOT_FOUND,
                    "405": NOT_ALLOWED,
                    "410": GONE,
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document.",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
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
        "paths": paths(),
        "components": {"schemas": SCHEMAS},
    }
