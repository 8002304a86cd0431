"""Pieces every part of the document reuses: media types, headers, responses, and the
OPTIONS and HEAD operations that every URL has."""

from __future__ import annotations

from typing import Any

from api.cors import ALLOW_HEADERS, ALLOW_METHODS, EXPOSE_HEADERS
from api.headers import MAX_WAIT

JSON = "application/json"
PROBLEM = "application/problem+json"


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
# A job's own Retry-After: delay-seconds, or with ?outcome=retry-after-date an HTTP-date
# (IMF-fixdate, RFC 9110 section 5.6.7), the two forms of RFC 9110 section 10.2.3.
SECONDS_OR_DATE = {
    "type": "string",
    "pattern": "^([1-9][0-9]*|(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    "[0-9]{2}:[0-9]{2}:[0-9]{2} GMT)$",
}
JOB_RETRY_AFTER = header(
    SECONDS_OR_DATE,
    "When to poll first: whole seconds (at least 1), or an HTTP-date for a job submitted "
    "with `?outcome=retry-after-date`.",
)
PENDING_RETRY_AFTER = header(
    SECONDS_OR_DATE,
    "While the job is queued or running: whole seconds before polling again, or an "
    "HTTP-date for a job submitted with `?outcome=retry-after-date`.",
    required=False,
)
PREFERENCE_APPLIED = header(
    {"type": "string", "pattern": "^(respond-async(, wait=[0-9]+)?|wait=[0-9]+)$"},
    "The preferences of the Prefer header that were honoured: `respond-async` and/or "
    f"`wait=N` (N capped at {MAX_WAIT}). Absent when Prefer asked for neither; `wait` is "
    "absent from a 202 that did not wait (a replayed Idempotency-Key, or no place to wait: "
    "only a few requests wait at once, per server process and per client).",
    required=False,
)
# Added to every response by api.cors.ApiCorsMiddleware.
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
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A response with the CORS headers every /api/ response carries; examples by name."""
    answer: dict[str, Any] = {
        "description": description,
        "headers": {**(headers or {}), **CORS_HEADERS},
    }
    if links:
        answer["links"] = links
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
    """What HEAD gets: the same status and headers as GET, no body (so no links from it)."""
    if "$ref" in answer:
        answer = RESPONSES[answer["$ref"].rsplit("/", 1)[1]]
    return {key: value for key, value in answer.items() if key not in {"content", "links"}}


# Where a job's URLs lead, as OpenAPI links: the operation and why, by link name.
JOB_LINKS = {
    "GetJobStatus": ("getJobStatus", "The status monitor: poll it until it answers 303."),
    "CancelJob": ("cancelJob", "Cancel the job while it is pending."),
    "GetJobResult": ("getJobResult", "The result, once the job succeeded (409 until then)."),
    "GetOperation": ("getOperation", "The same job as the Azure guidelines' status monitor."),
    "CancelOperation": ("cancelOperation", "Cancel the job (the Azure status monitor's :cancel)."),
    "GetRequestReplyStatus": (
        "getRequestReplyStatus",
        "The same job's request-reply status endpoint: 200 until it answers 303.",
    ),
    "GetAipOperation": ("getAipOperation", "The same job as an AIP-151 Operation."),
    "CancelAipOperation": ("cancelAipOperation", "Cancel the job (AIP-151's :cancel)."),
    "GetJobResource": ("getJobResource", "The same job as a job resource: 200 every time."),
    "CancelJobResource": ("cancelJobResource", "Cancel the job (DELETE on the job resource)."),
    "CancelRequestReply": (
        "cancelRequestReply",
        "Cancel the job (DELETE on the request-reply status endpoint).",
    ),
    "GetODataMonitor": (
        "getODataMonitor",
        "The same job's OData status monitor: 202 until it answers 200 with AsyncResult.",
    ),
    "CancelODataRequest": ("cancelODataRequest", "Cancel the job (DELETE on the OData monitor)."),
}


def job_links(*names: str, id_field: str = "jobId") -> dict[str, Any]:
    """Links to the named operations on the job whose id the body's id_field holds."""
    return {
        name: {
            "operationId": JOB_LINKS[name][0],
            "parameters": {"jobId": f"$response.body#/{id_field}"},
            "description": JOB_LINKS[name][1],
        }
        for name in names
    }


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
    return problem_response(
        "Precondition Failed: If-Match names none of the current ETags (the representation "
        "changed since you read it).",
        "preconditionFailed",
    )


def response_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


RESPONSES: dict[str, Any] = {
    "RateLimited": problem_response(
        "Too Many Requests: this client (an IPv4 address, or an IPv6 /64), or all the "
        "clients of its IPv6 /48 together, went over a rate limit. Polling a job sooner "
        "than the Retry-After it was given counts several times against it.",
        "rateLimited",
        headers={"Retry-After": RETRY_AFTER},
    ),
    "JobNotFound": problem_response(
        "No job has this id (problem type job-not-found); or the id is not of the form this "
        "API makes, `job_` then letters and digits, so no endpoint has this URL (not-found).",
        "jobNotFound",
        "notFound",
    ),
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


# -- OPTIONS and HEAD ------------------------------------------------------------


def allow_list(*methods: str) -> str:
    # In the order the API's allow_methods decorator lists them (the tests compare).
    return ", ".join([*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"])


def options_operation(operation_id: str, *methods: str, job_id: bool = False) -> dict[str, Any]:
    """OPTIONS of one path; job_id when the path has a {jobId}, which may name no endpoint."""
    allow = allow_list(*methods)
    preflight_only = "Only on a CORS preflight (a request with Access-Control-Request-Method)."
    not_found = {
        "404": problem_response(
            "Not Found: the jobId is not of the form this API makes (`job_` then letters and "
            "digits), so no endpoint has this URL and every method, a preflight included, "
            "answers this problem (not-found). OPTIONS does not look the job up: an id of that "
            "form answers 204 whether or not its job exists.",
            "notFound",
        )
    }
    return {
        "operationId": operation_id,
        "summary": f"The methods this URL answers ({allow}); CORS preflight.",
        "description": "A plain OPTIONS answers 204 with `Allow`. A CORS preflight (with "
        "`Access-Control-Request-Method`) is answered before the view runs, for every path "
        "of this document: 204 with the Access-Control-Allow-* headers instead. Any other "
        "path under /api/ is no endpoint: OPTIONS there, a preflight included, gets the "
        "problem+json 404 every method gets.",
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
            },
            **(not_found if job_id else {}),
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
