"""The schemas of the conventions other than RFC 9110 (components/schemas): a job as the
request-reply status endpoint, the job resource and the AIP-151 Operation show it, and
the registry GET /api/conventions answers."""

from __future__ import annotations

from typing import Any

from api.openapi.components import URL, ref
from api.openapi.schemas import JOB_ID, KIND, PERCENT, STATUS, TIMESTAMP, when_status

NULLABLE_TIMESTAMP = {"oneOf": [TIMESTAMP, {"type": "null"}]}
STATUS_CODES = {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}}
DOCUMENT = {
    "type": "object",
    "required": ["title", "url"],
    "properties": {"title": {"type": "string"}, "url": URL},
}
# A path of this API, {jobId} where the job's id goes.
PATH = {"type": "string", "pattern": "^/api/"}
ENDPOINT = {
    "type": "object",
    "required": ["method", "path"],
    "properties": {"method": {"type": "string"}, "path": PATH},
}
RESULT = {"oneOf": [ref("DeliveryReport"), ref("FileReport")]}
STRINGS = {"type": "array", "items": {"type": "string"}}
STAGE = {
    "type": "object",
    "required": ["stage", "statuses", "headers", "members", "quotes", "ourChoice"],
    "properties": {
        "stage": {"type": "string"},
        "statuses": STATUS_CODES,
        "headers": STRINGS,
        "members": STRINGS,
        "quotes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text", "url", "label"],
                "properties": {
                    "text": {"type": "string"},
                    "url": {
                        **URL,
                        "description": "The document, with the quoted section's fragment.",
                    },
                    "label": {"type": "string"},
                },
            },
        },
        "ourChoice": {"oneOf": [{"type": "string"}, {"type": "null"}]},
    },
}


def any_message(name: str) -> dict[str, Any]:
    """A protobuf Any in its JSON form: @type names the message (the demo's own names)."""
    return {"const": f"type.googleapis.com/http202.demo.v1.{name}"}


SCHEMAS: dict[str, Any] = {
    "JobState": {
        "type": "object",
        "description": "A job's state as the request-reply status and the job resource show "
        "it; failed and canceled jobs say why.",
        "required": [
            "jobId",
            "kind",
            "status",
            "progress",
            "message",
            "createdAt",
            "startedAt",
            "updatedAt",
            "finishedAt",
            "estimatedCompletionAt",
        ],
        "allOf": [when_status(["failed", "canceled"], required=["error"])],
        "properties": {
            "jobId": JOB_ID,
            "kind": KIND,
            "status": STATUS,
            "progress": PERCENT,
            "message": {"type": "string"},
            "createdAt": TIMESTAMP,
            "startedAt": NULLABLE_TIMESTAMP,
            "updatedAt": TIMESTAMP,
            "finishedAt": NULLABLE_TIMESTAMP,
            "estimatedCompletionAt": TIMESTAMP,
            "cancelRequestedAt": TIMESTAMP,
            "error": ref("JobError"),
            "report": {
                **ref("DeliveryReport"),
                "description": "A failed or canceled bulk email's delivery report: who got "
                "the message, and who did not.",
            },
        },
    },
    "RequestReplyStatus": {
        "description": "The asynchronous request-reply status endpoint's body: cancel "
        "(DELETE on the status endpoint) while pending.",
        "allOf": [ref("JobState"), when_status(["queued", "running"], required=["cancel"])],
        "required": ["self"],
        "properties": {
            "self": URL,
            "cancel": {
                "type": "object",
                "required": ["method", "href"],
                "properties": {"method": {"const": "DELETE"}, "href": URL},
            },
        },
    },
    "RequestReplyProblem": {
        "description": "A failed job's error, persisted at the request-reply status "
        "endpoint: a problem whose status is the answer's (422 or 500); code is the job's "
        "error code, job the status resource (its status: failed).",
        "allOf": [ref("Problem")],
        "required": ["code", "job"],
        "properties": {"code": {"type": "string"}, "job": ref("RequestReplyStatus")},
    },
    "JobResource": {
        "description": "The job itself: its state every time; how to cancel while pending; "
        "the result, embedded and linked, once succeeded.",
        "allOf": [
            ref("JobState"),
            when_status(["queued", "running"], required=["cancel"]),
            when_status(["succeeded"], required=["result", "resultUrl"]),
        ],
        "required": ["self"],
        "properties": {
            "self": URL,
            "cancel": {
                "type": "object",
                "required": ["method", "href"],
                "properties": {"method": {"const": "DELETE"}, "href": URL},
            },
            "result": RESULT,
            "resultUrl": URL,
        },
    },
    "ODataPending": {
        "description": "The OData status monitor's 202 body (and the submit's): the job's "
        "state, the demo's choice, as OData defines no body for it.",
        "allOf": [ref("JobState")],
        "required": ["self"],
        "properties": {"self": URL},
    },
    "ODataError": {
        "type": "object",
        "description": "The final response of a failed job's request, as OData JSON Format's "
        "error response: code (the job's error code) and message; innererror holds a "
        "failed bulk email's delivery report.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "innererror": {
                        "type": "object",
                        "properties": {"report": ref("DeliveryReport")},
                    },
                },
            }
        },
    },
    "ODataFinal": {
        "description": "The final response's body: the result (AsyncResult 200) or an OData "
        "error (AsyncResult 4xx or 5xx).",
        "oneOf": [ref("Result"), ref("ODataError")],
    },
    "HttpMessage": {
        "type": "string",
        "description": "A whole HTTP response (application/http): status line, headers, a "
        "blank line, then the body.",
        "pattern": "^HTTP/1\\.1 [1-5][0-9][0-9] ",
    },
    "RpcStatus": {
        "type": "object",
        "description": "google.rpc.Status: why an operation failed (code 1, CANCELLED, for a "
        "canceled one), with an ErrorInfo naming the job's error code and its problem type.",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "integer", "minimum": 1, "maximum": 16},
            "message": {"type": "string"},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["@type", "reason", "domain", "metadata"],
                    "properties": {
                        "@type": {"const": "type.googleapis.com/google.rpc.ErrorInfo"},
                        "reason": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                        "domain": {"type": "string"},
                        "metadata": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
    "AipOperation": {
        "type": "object",
        "description": "AIP-151's Operation: done is false until the job finished; then "
        "exactly one of response (the result) and error (a google.rpc.Status).",
        "required": ["name", "done", "metadata"],
        "allOf": [
            {
                "if": {"properties": {"done": {"const": False}}},
                "then": {"not": {"anyOf": [{"required": ["response"]}, {"required": ["error"]}]}},
                "else": {"oneOf": [{"required": ["response"]}, {"required": ["error"]}]},
            }
        ],
        "properties": {
            "name": {
                "type": "string",
                "pattern": "^operations/job_[A-Za-z0-9]+$",
                "description": "The operation's name: its URL is /api/aip151/{name}.",
            },
            "done": {"type": "boolean"},
            "metadata": {
                "type": "object",
                "required": ["@type", "jobId", "kind", "status", "progress", "createTime"],
                "properties": {
                    "@type": any_message("JobMetadata"),
                    "jobId": JOB_ID,
                    "kind": KIND,
                    "status": STATUS,
                    "progress": PERCENT,
                    "message": {"type": "string"},
                    "createTime": TIMESTAMP,
                    "updateTime": TIMESTAMP,
                    "endTime": NULLABLE_TIMESTAMP,
                    "estimatedCompletionTime": TIMESTAMP,
                    "report": {
                        **ref("DeliveryReport"),
                        "description": "A failed or canceled bulk email's delivery report: "
                        "who got the message, and who did not.",
                    },
                },
            },
            "response": {
                "type": "object",
                "required": ["@type"],
                "properties": {
                    "@type": {
                        "enum": [any_message(n)["const"] for n in ["DeliveryReport", "FileReport"]]
                    }
                },
                **RESULT,
            },
            "error": ref("RpcStatus"),
        },
    },
    "Empty": {
        "type": "object",
        "description": "google.protobuf.Empty: the answer to a cancel.",
        "maxProperties": 0,
    },
    "ConventionRegistry": {
        "type": "object",
        "description": "Every convention this API serves a job under, the outcome presets, "
        "and the client-compatibility rows measured against them (null until measured).",
        "required": ["conventions", "presets", "compatibility"],
        "properties": {
            "conventions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "name",
                        "summary",
                        "document",
                        "submit",
                        "monitor",
                        "result",
                        "cancel",
                        "statuses",
                    ],
                    "properties": {
                        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                        "name": {"type": "string"},
                        "summary": {"type": "string"},
                        "document": DOCUMENT,
                        "seeAlso": {"type": "array", "items": DOCUMENT},
                        "submit": {"type": "object", "additionalProperties": ENDPOINT},
                        "monitor": {
                            "type": "object",
                            "required": ["method", "path", "foundIn"],
                            "properties": {
                                "method": {"const": "GET"},
                                "path": PATH,
                                "foundIn": {"type": "string", "pattern": "^(header|body):"},
                            },
                        },
                        "result": {"oneOf": [ENDPOINT, {"type": "null"}]},
                        "cancel": {"oneOf": [ENDPOINT, {"type": "null"}]},
                        "statuses": {
                            "type": "object",
                            "required": [
                                "accepted",
                                "pending",
                                "done",
                                "result",
                                "failed",
                                "canceled",
                                "cancel",
                            ],
                            "additionalProperties": STATUS_CODES,
                        },
                        "notes": {"type": "array", "items": {"type": "string"}},
                        "stages": {
                            "type": "array",
                            "description": "What the convention's document says of each "
                            "stage: the statuses, headers and body members the demo answers "
                            "with, the sentences that set them (quoted, deep-linked), or "
                            "why the demo chose where the document is silent.",
                            "items": STAGE,
                        },
                        "prefer": {
                            "type": "string",
                            "description": "A preference every submit must send in Prefer "
                            "(respond-async for OData); empty when none is required.",
                        },
                    },
                },
            },
            "presets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "summary", "provoke", "statuses"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "summary": {"type": "string"},
                        "provoke": {
                            "type": "object",
                            "required": ["in", "examples"],
                            "properties": {
                                "in": {"enum": ["query", "body"]},
                                "name": {"type": "string"},
                                "value": {"type": "string"},
                                "body": {"type": "string"},
                                "examples": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                        "statuses": STATUS_CODES,
                    },
                },
            },
            "compatibility": {
                "oneOf": [{"type": "array", "items": {"type": "object"}}, {"type": "null"}],
                "description": "What each real client concluded under each convention, as the "
                "tests measured it; null when no measurement is bundled.",
            },
        },
    },
}
