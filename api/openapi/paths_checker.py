"""The checker's endpoints (/api/checks): a user's own flow checked, from a recorded
flow or live; their schemas and examples. The checker app serves them; they follow
every rule of this document (CORS, OPTIONS, HEAD, 405, problems)."""

from __future__ import annotations

from typing import Any

from api.openapi.components import (
    ETAG,
    JSON,
    NO_CACHE,
    NO_STORE,
    RETRY_AFTER,
    URL,
    cache_control,
    head_operation,
    header,
    not_modified,
    options_operation,
    problem_response,
    ref,
    response,
    response_ref,
)
from api.openapi.examples import EXAMPLE_ORIGIN, example
from api.openapi.paths_follow import IF_NONE_MATCH
from api.openapi.problem_examples import problem_example

CHECKS = "/api/checks"
CHECK_ID = "Q2hlY2sgaWQgZXhhbXBsZQ"
CHECK = f"{CHECKS}/{CHECK_ID}"
LEVELS = ["error", "warning", "advice", "info"]
CONVENTIONS = ["rfc9110", "azure", "request-reply", "aip151", "job-resource", "odata", "none"]

CHECK_PATH_PARAMETER = {
    "name": "checkId",
    "in": "path",
    "required": True,
    "description": "The check's id: 128 random bits, URL-safe base64; nobody can guess it.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,32}$"},
}
HEADERS = {
    "type": "array",
    "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]},
    "description": "[name, value] pairs in the order sent; credentials are `(redacted)`.",
}

SCHEMAS: dict[str, Any] = {
    "CheckReport": {
        "type": "object",
        "description": "The report of a flow: the convention recognised, the flow rules' "
        "findings and httplint's notes on every exchange.",
        "required": ["convention", "counts", "findings", "exchanges"],
        "properties": {
            "convention": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "enum": CONVENTIONS},
                    "name": {"type": "string"},
                },
            },
            "counts": {
                "type": "object",
                "required": LEVELS,
                "properties": {level: {"type": "integer", "minimum": 0} for level in LEVELS},
            },
            "findings": {"type": "array", "items": ref("CheckFinding")},
            "exchanges": {"type": "array", "items": ref("CheckedExchange")},
        },
    },
    "CheckFinding": {
        "type": "object",
        "required": ["rule", "level", "sentence", "link", "exchange", "detail"],
        "properties": {
            "rule": {"type": "string", "description": "The rule's stable id, listed on /check/."},
            "level": {"type": "string", "enum": LEVELS},
            "sentence": {"type": "string"},
            "link": {"type": "string", "description": "The section of the reference about it."},
            "exchange": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "The exchange it is about (from 0), or null for the whole flow.",
            },
            "detail": {"type": "string"},
        },
    },
    "CheckedExchange": {
        "type": "object",
        "required": ["request", "response", "findings", "httplint"],
        "properties": {
            "request": {
                "type": "object",
                "required": ["method", "url", "headers"],
                "properties": {
                    "method": {"type": "string"},
                    "url": {"type": "string"},
                    "headers": HEADERS,
                },
            },
            "response": {
                "type": "object",
                "required": ["status", "reason", "headers", "body"],
                "properties": {
                    "status": {"type": "integer"},
                    "reason": {"type": "string"},
                    "headers": HEADERS,
                    "body": {"type": "string", "description": "Cut at 256 KiB."},
                },
            },
            "findings": {"type": "array", "items": {"type": "string"}},
            "httplint": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["message", "level", "note", "summary", "detail"],
                    "properties": {
                        "message": {"type": "string", "enum": ["request", "response"]},
                        "level": {"type": "string"},
                        "note": {"type": "string", "description": "httplint's note name."},
                        "summary": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
    "KeptCheckReport": {
        "description": "A kept check's report: what CheckReport says (absent when nothing was "
        "recorded), and what real client libraries concluded when the recorded answers were "
        "replayed to them.",
        "allOf": [
            {
                "type": "object",
                "required": ["id", "kind", "expires", "stopped", "notSent", "clients"],
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"type": "string", "enum": ["live", "recorded"]},
                    "expires": {"type": "string", "format": "date-time"},
                    "stopped": {
                        "type": ["string", "null"],
                        "description": "Why a live check stopped short (a refused address, "
                        "a target that did not answer), else null.",
                    },
                    "notSent": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The credentials (headers, query parameters) a live "
                        "check left out of its submit.",
                    },
                    "clients": {"type": "array", "items": ref("ClientConclusion")},
                },
            },
            {
                "anyOf": [
                    ref("CheckReport"),
                    {"not": {"required": ["exchanges"]}},
                ]
            },
        ],
    },
    "ClientConclusion": {
        "type": "object",
        "required": ["client", "name", "verdict", "sentence"],
        "properties": {
            "client": {"type": "string", "description": "A client of /api/conventions' table."},
            "name": {"type": "string"},
            "verdict": {
                "type": ["string", "null"],
                "description": "What it concluded (a verdict of the compatibility table), or "
                "null when it could not run on this server.",
            },
            "sentence": {"type": "string"},
        },
    },
    "CheckAccepted": {
        "type": "object",
        "required": ["id", "status", "monitor"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["queued"]},
            "monitor": URL,
        },
    },
    "CheckStatus": {
        "type": "object",
        "required": ["id", "kind", "status", "exchanges", "report"],
        "properties": {
            "id": {"type": "string"},
            "kind": {"type": "string", "enum": ["live", "recorded"]},
            "status": {"type": "string", "enum": ["queued", "running"]},
            "exchanges": {"type": "integer", "minimum": 0, "description": "Recorded so far."},
            "report": {**URL, "description": "Where the report will be."},
        },
    },
    "LiveCheck": {
        "type": "object",
        "required": ["url"],
        "properties": {
            "url": {**URL, "maxLength": 2000, "description": "The submit URL to send."},
            "method": {"type": "string", "default": "POST", "pattern": "^[A-Za-z]{1,16}$"},
            "headers": {
                "description": "Sent with the submit. Credentials (Authorization, Cookie, "
                "headers named like keys, tokens or secrets) are left out, and named in the "
                "report's notSent.",
                "oneOf": [
                    {"type": "object", "additionalProperties": {"type": "string"}},
                    HEADERS,
                ],
            },
            "body": {
                "description": "The submit's body: a string as is, anything else as JSON "
                "(Content-Type: application/json unless headers say otherwise)."
            },
        },
    },
}

EXAMPLES: dict[str, Any] = {
    "checkAccepted": example(
        "Accepted",
        {"id": CHECK_ID, "status": "queued", "monitor": f"{EXAMPLE_ORIGIN}{CHECK}"},
    ),
    "checkRunning": example(
        "Running",
        {
            "id": CHECK_ID,
            "kind": "live",
            "status": "running",
            "exchanges": 2,
            "report": f"{EXAMPLE_ORIGIN}{CHECK}/report",
        },
    ),
    "liveCheck": example(
        "A live check",
        {
            "url": "https://api.example.com/jobs",
            "method": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": {"n": 1},
        },
    ),
}

PROBLEM_EXAMPLES: dict[str, Any] = {
    "unreadableFlow": problem_example(
        "unreadable-flow",
        "This JSON is not a HAR file: it has no log.entries list.",
        CHECKS,
    ),
    "checkRefused": problem_example(
        "check-refused",
        "api.example.com resolves to 10.0.0.7, private: a check reaches only public addresses.",
        f"{CHECKS}/live",
    ),
    "checkNotFound": problem_example(
        "check-not-found",
        f"No check {CHECK_ID}: it expired, was deleted, or never was.",
        CHECK,
    ),
    "checkerBusy": problem_example(
        "checker-busy",
        "20 checks are waiting for the worker, the most it takes at once; try again in 30 s.",
        f"{CHECKS}/live",
    ),
    "checkRateLimited": problem_example(
        "rate-limited", "10 live checks an hour per client; try again in 360 s.", f"{CHECKS}/live"
    ),
}

REPORT_CACHE = cache_control("private, max-age=300", "the same until it expires, for you only.")
RATE_LIMITED = problem_response(
    "Too Many Requests: this client (an IPv4 address, or an IPv6 /64) started more checks "
    "this hour than it may, or (live checks) the target host was checked as often as the "
    "site checks one host in an hour.",
    "checkRateLimited",
    headers={"Retry-After": RETRY_AFTER},
)
BUSY = problem_response(
    "Service Unavailable: as many checks wait for the worker as it takes at once.",
    "checkerBusy",
    headers={"Retry-After": RETRY_AFTER},
)
NOT_FOUND = problem_response(
    "No check has this id (check-not-found): it expired, was deleted, or never was; or the "
    "id is not of the form the checker makes, so no endpoint has this URL (not-found).",
    "checkNotFound",
    "notFound",
)


def check_options(operation_id: str, *methods: str) -> dict[str, Any]:
    """OPTIONS of a check's URL: a checkId not of the checker's form names no endpoint."""
    operation = options_operation(operation_id, *methods)
    operation["responses"]["404"] = problem_response(
        "Not Found: the checkId is not of the form the checker makes, so no endpoint has "
        "this URL and every method, a preflight included, answers this problem (not-found).",
        "notFound",
    )
    return operation


def accepted(description: str) -> dict[str, Any]:
    return response(
        description,
        headers={
            "Location": header(URL, "The check's monitor."),
            "Retry-After": RETRY_AFTER,
            "Cache-Control": NO_STORE,
        },
        schema=ref("CheckAccepted"),
        examples=("checkAccepted",),
    )


def checks_path() -> dict[str, Any]:
    post = {
        "operationId": "checkFlow",
        "summary": "Check a recorded flow: a HAR file, or a transcript as curl -i or -v print it.",
        "description": "The body is the flow itself, read up to 2 MiB: JSON is read as HAR "
        "1.2, anything else as a transcript. The report answers at once and nothing is kept. "
        "With `?keep=1` the flow is kept (redacted) for a link and replayed to real client "
        "libraries by the worker: 202, and the check's monitor.",
        "tags": ["checker"],
        "parameters": [
            {
                "name": "keep",
                "in": "query",
                "required": False,
                "description": "1 to keep the report at a link and replay the flow to clients.",
                "schema": {"type": "string", "enum": ["1", "true", "yes", "on"]},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": {"type": "object", "required": ["log"]}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
        "responses": {
            "200": response(
                "The report.",
                headers={"Cache-Control": NO_STORE},
                schema=ref("CheckReport"),
            ),
            "202": accepted("Kept: the replay is queued; poll the monitor in Location."),
            "405": response_ref("MethodNotAllowed"),
            "422": problem_response(
                "The body is no flow the checker reads; the detail says why.", "unreadableFlow"
            ),
            "429": RATE_LIMITED,
            "503": BUSY,
        },
    }
    return {"post": post, "options": options_operation("checksOptions", "POST")}


def live_checks_path() -> dict[str, Any]:
    post = {
        "operationId": "startLiveCheck",
        "summary": "Check an API live: the site sends the submit and follows the flow.",
        "description": "Accepted at once (202); the worker sends the submit, polls the "
        "monitor it names as Retry-After says (at most 30 s a time, 30 polls, 5 minutes), "
        "fetches the result, then replays the recorded answers to real client libraries. "
        "Only globally routable addresses are reached, each checked when connecting.",
        "tags": ["checker"],
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": ref("LiveCheck"),
                    "examples": {"liveCheck": {"$ref": "#/components/examples/liveCheck"}},
                }
            },
        },
        "responses": {
            "202": accepted("Accepted: poll the monitor in Location."),
            "405": response_ref("MethodNotAllowed"),
            "422": problem_response(
                "The description is wrong or its target is not one the checker reaches.",
                "checkRefused",
            ),
            "429": RATE_LIMITED,
            "503": BUSY,
        },
    }
    return {"post": post, "options": options_operation("liveChecksOptions", "POST")}


def check_monitor_path() -> dict[str, Any]:
    get = {
        "200": response(
            "The check is queued or running: Retry-After says when to look again.",
            headers={"Cache-Control": NO_CACHE, "ETag": ETAG, "Retry-After": RETRY_AFTER},
            schema=ref("CheckStatus"),
            examples=("checkRunning",),
        ),
        "303": response(
            "See Other: the check is done; its report is in Location.",
            headers={"Location": header(URL, "The report."), "Cache-Control": NO_STORE},
        ),
        "304": not_modified_check(),
        "404": NOT_FOUND,
        "405": response_ref("MethodNotAllowed"),
    }
    return {
        "parameters": [CHECK_PATH_PARAMETER],
        "get": {
            "operationId": "getCheck",
            "summary": "The check's monitor: 200 while it runs, then 303 to the report.",
            "tags": ["checker"],
            "parameters": [IF_NONE_MATCH],
            "responses": get,
        },
        "head": {**head_operation("headCheck", get), "parameters": [IF_NONE_MATCH]},
        "options": check_options("checkOptions", "GET"),
    }


def not_modified_check() -> dict[str, Any]:
    answer = not_modified(NO_CACHE)
    # The check still runs: when to look again, as on the 200.
    answer["headers"]["Retry-After"] = RETRY_AFTER
    return answer


def check_report_path() -> dict[str, Any]:
    get = {
        "200": response(
            "The report, kept until `expires`.",
            # Tagged by ConditionalGetMiddleware, on GET only (not HEAD).
            headers={"Cache-Control": REPORT_CACHE, "ETag": {**ETAG, "required": False}},
            schema=ref("KeptCheckReport"),
        ),
        "303": response(
            "See Other: the check is still running; its monitor is in Location.",
            headers={"Location": header(URL, "The monitor."), "Cache-Control": NO_STORE},
        ),
        "304": not_modified(REPORT_CACHE),
        "404": NOT_FOUND,
        "405": response_ref("MethodNotAllowed"),
    }
    return {
        "parameters": [CHECK_PATH_PARAMETER],
        "get": {
            "operationId": "getCheckReport",
            "summary": "A kept check's report, with what real client libraries concluded.",
            "tags": ["checker"],
            "parameters": [IF_NONE_MATCH],
            "responses": get,
        },
        # ConditionalGetMiddleware tags GET only: no ETag, and so no 304, for HEAD.
        "head": head_operation("headCheckReport", {k: v for k, v in get.items() if k != "304"}),
        "delete": {
            "operationId": "deleteCheckReport",
            "summary": "Delete the report (and its check) before it expires.",
            "tags": ["checker"],
            "responses": {
                "204": response("Deleted."),
                "404": NOT_FOUND,
                "405": response_ref("MethodNotAllowed"),
            },
        },
        "options": check_options("checkReportOptions", "GET", "DELETE"),
    }


def checker_paths() -> dict[str, Any]:
    return {
        CHECKS: checks_path(),
        f"{CHECKS}/live": live_checks_path(),
        f"{CHECKS}/{{checkId}}": check_monitor_path(),
        f"{CHECKS}/{{checkId}}/report": check_report_path(),
    }
