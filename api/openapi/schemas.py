"""The schemas of the document (components/schemas): problems, requests, and a job
as the status monitor, the operation and the result show it."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from api.intake import MAX_BODY, MAX_FILENAME, MAX_NAME, MAX_SUBJECT
from api.openapi.components import URL, ref
from api.problems import MAX_ERRORS
from api.text import BODY_CHARACTERS, ONE_LINE_CHARACTERS

# A subject and a recipient's name become mail headers.
ONE_LINE = (
    "One line of text: no line breaks (U+2028 and U+2029 included), no control "
    "characters (U+0000 to U+001F, U+007F to U+009F), no unpaired surrogates (422)."
)
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
# Nothing but what str.isspace() calls whitespace: the API strips a subject or body
# before it looks, so one of only whitespace is refused as empty (422).
BLANK = {
    "pattern": "^[\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]*$",
    "description": "Only whitespace.",
}


def broken_placeholder() -> dict[str, str]:
    """A body string.Formatter cannot read, or reads a field other than {name} and {email}
    in: well-formed text up to a brace that starts none of {{, }}, {name} or {email}
    (a format spec may be empty, {name:}). Without lookahead, so every engine reads it."""

    def rest_of(word: str) -> str:
        # The placeholder's first letter, then the first character where it goes wrong.
        tail = "(?:$|[^}:]|:(?:$|[^}]))"
        for letter in reversed(word[1:]):
            tail = f"(?:$|[^{letter}]|{letter}{tail})"
        return word[0] + tail

    text = "(?:[^{}]|\\{\\{|\\}\\}|\\{(?:name|email):?\\})*"
    wrong = f"\\}}(?:$|[^}}])|\\{{(?:$|[^{{ne]|{rest_of('name')}|{rest_of('email')})"
    return {
        "pattern": f"^{text}(?:{wrong})",
        "description": "A brace that is not part of {{, }}, {name} or {email}.",
    }


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
                "description": "Per-field errors (422): each names a body field, a form field, "
                f"a request header or a query parameter. At most {MAX_ERRORS}: when there are "
                "more, `detail` says how many were left out.",
                "maxItems": MAX_ERRORS,
                "items": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {
                        "pointer": {"type": "string", "description": "JSON Pointer into the body."},
                        "field": {"type": "string", "description": "Form field name."},
                        "header": {"type": "string", "description": "Request header name."},
                        "parameter": {"type": "string", "description": "Query parameter name."},
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
                    "email": {
                        "type": "string",
                        "format": "email",
                        "description": "No control characters, even in a quoted local part.",
                    },
                    "name": {
                        "type": "string",
                        "maxLength": MAX_NAME,
                        "pattern": ONE_LINE_CHARACTERS,
                        "description": ONE_LINE,
                    },
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
                "maxLength": MAX_SUBJECT,
                "pattern": ONE_LINE_CHARACTERS,
                "not": BLANK,
                "description": f"{ONE_LINE} Not only whitespace (422).",
            },
            "body": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_BODY,
                "pattern": BODY_CHARACTERS,
                "not": {"anyOf": [BLANK, broken_placeholder()]},
                "description": "Template, not only whitespace: {name} and {email} are replaced "
                "per recipient; write {{ and }} for literal braces. Any other placeholder "
                "(or a lone brace) is refused (422). No control characters but tab, line feed "
                "and CR LF (a lone CR is refused), no unpaired surrogates (422).",
            },
            "recipients": {"type": "array", "minItems": 1, "items": ref("Recipient")},
        },
    },
    "JobStatus": {
        "description": "The status monitor's view of a job, also the body of the 202 that "
        "accepted it and of a cancel's answer (their Content-Location is the monitor). "
        "Pending jobs say how to cancel; failed and canceled ones say why.",
        "type": "object",
        "allOf": [
            when_status(["queued", "running"], required=["cancel"]),
            when_status(["failed", "canceled"], required=["error"]),
        ],
        "required": [
            "jobId",
            "kind",
            "status",
            "progress",
            "createdAt",
            "estimatedCompletionAt",
            "monitor",
            "operation",
            "message",
            "startedAt",
            "updatedAt",
            "finishedAt",
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
                "description": "A failed or canceled bulk email's delivery report: who got "
                "the message, and who did not.",
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
        "description": "The Azure REST API guidelines' status monitor "
        "(lro-status-monitor-structure): id, kind, status, error once Failed, result once "
        "Succeeded. progress, message, cancelRequestedAt and report are additional "
        "properties, which the guidelines allow.",
        "required": ["id", "kind", "status", "progress", "message"],
        "allOf": [
            when_status(["Succeeded"], required=["result"]),
            when_status(["Failed"], required=["error"]),
        ],
        "properties": {
            "id": JOB_ID,
            "kind": KIND,
            "status": {
                "type": "string",
                "enum": ["NotStarted", "Running", "Succeeded", "Failed", "Canceled"],
                "description": "As the guidelines spell them: NotStarted is a queued job.",
            },
            "progress": PERCENT,
            "message": {"type": "string"},
            "result": {"oneOf": [ref("DeliveryReport"), ref("FileReport")]},
            "error": {
                "type": "object",
                "description": "The guidelines' ErrorDetail; innererror.type is the "
                "problem type that explains the code.",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "innererror": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {"type": URL},
                    },
                },
            },
            "cancelRequestedAt": TIMESTAMP,
            "report": {
                **ref("DeliveryReport"),
                "description": "A failed or canceled bulk email's delivery report: who got "
                "the message, and who did not.",
            },
        },
    },
    "DeliveryReport": {
        "type": "object",
        "required": ["kind", "subject", "outcome", "counts", "recipients"],
        "properties": {
            "kind": {"const": "bulk-email"},
            "subject": {"type": "string"},
            "outcome": {
                "type": "string",
                "enum": ["delivered", "partial", "bounced", "canceled"],
                "description": "canceled: the job was canceled before it sent every message; "
                "the recipients not-sent are exactly those to send to again.",
            },
            "counts": {
                "type": "object",
                "required": ["recipients", "delivered", "bounced"],
                "properties": {
                    name: {"type": "integer", "minimum": 0}
                    for name in ["recipients", "delivered", "bounced", "notSent"]
                },
                "description": "notSent is there when the job was canceled.",
            },
            "recipients": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["email", "name", "status", "detail"],
                    "allOf": [
                        {
                            "if": {"properties": {"status": {"const": "not-sent"}}},
                            "then": {"not": {"required": ["messageId"]}},
                            "else": {"required": ["messageId"]},
                        }
                    ],
                    "properties": {
                        "email": {"type": "string"},
                        "name": {"type": "string"},
                        "status": {"type": "string", "enum": ["delivered", "bounced", "not-sent"]},
                        "messageId": {
                            "type": "string",
                            "description": "Absent for a message that was not sent.",
                        },
                        "detail": {
                            "type": "string",
                            "description": "The SMTP reply, or why it was not sent.",
                        },
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
            "filename": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_FILENAME,
                "description": "The name the file was sent with, as a base name: what follows "
                "the last / or \\, printable characters only, at most "
                f"{MAX_FILENAME} characters (the extension kept); `upload` if none is left.",
            },
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


def schemas() -> dict[str, Any]:
    """SCHEMAS with the limits that are settings filled in: at most DEMO_MAX_RECIPIENTS."""
    bulk = SCHEMAS["BulkEmailRequest"]
    recipients = {**bulk["properties"]["recipients"], "maxItems": settings.DEMO_MAX_RECIPIENTS}
    properties = {**bulk["properties"], "recipients": recipients}
    return {**SCHEMAS, "BulkEmailRequest": {**bulk, "properties": properties}}
