"""RFC 9457 problem details: every error the demo API can answer, in one place.

Each problem type is a URL on this site, the anchor of its entry on the API page
(/api/#problem-<slug>), so a developer who meets one can read what it means.
Requests are refused by raising Rejected (intake) or an error of the job layer;
api.protocol.api_view turns either into the answer. A failed job's
error (a Job.ErrorCode) maps to its problem type too, for the job's `error` member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control

from config.site import absolute_url
from jobs.models import Job

PROBLEM_CONTENT_TYPE = "application/problem+json"
# A problem lists at most this many errors, and says how many more there were: a
# request with thousands of wrong fields gets an answer of bounded size.
MAX_ERRORS = 50


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str


JOB_ERROR_DESCRIPTIONS = {
    Job.ErrorCode.ALL_BOUNCED: "Nothing could be delivered.",
    Job.ErrorCode.CANCELED: "A client sent DELETE.",
    Job.ErrorCode.WORKER_LOST: "Every attempt's worker died before finishing; retries are bounded.",
    Job.ErrorCode.UPLOAD_MISSING: "Send the file again.",
    Job.ErrorCode.INTERNAL_ERROR: "A bug; the log has details.",
}

PROBLEM_TYPES = {
    problem.slug: problem
    for problem in [
        ProblemType(
            "malformed-json",
            400,
            "Malformed JSON",
            "The body is not valid JSON (or nests arrays and objects too deeply to read).",
        ),
        ProblemType(
            "malformed-form",
            400,
            "Malformed form",
            "The multipart/form-data body cannot be parsed: no boundary, a broken part, "
            "or more fields or files than the server reads.",
        ),
        ProblemType(
            "invalid-content-length",
            400,
            "Invalid Content-Length",
            "The Content-Length header is not a number of bytes, or the body ended before "
            "that many bytes arrived (so none of it is used).",
        ),
        ProblemType(
            "length-required",
            411,
            "Length required",
            "A file must be sent with a Content-Length header; a body without one "
            "(chunked transfer coding) is not read.",
        ),
        ProblemType(
            "body-too-large",
            413,
            "Request body too large",
            "The body is larger than the server reads into memory (DATA_UPLOAD_MAX_MEMORY_SIZE).",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "The Content-Type is not one this endpoint reads, or not a media type at all; "
            "the Accept-Post header lists them.",
        ),
        ProblemType(
            "invalid-request",
            422,
            "The request is not valid",
            "Fields are missing or wrong; each entry of errors names one: a body field with "
            "a JSON pointer, a form field with field, a request header with header, a query "
            "parameter with parameter.",
        ),
        ProblemType(
            "header-too-large",
            431,
            "Request header too large",
            "A header the API reads (Content-Type, Content-Length, Content-Disposition) is "
            "longer than it reads; the errors entry names it and its limit.",
        ),
        ProblemType(
            "too-many-recipients",
            413,
            "Too many recipients",
            "A bulk email has more recipients than the demo accepts.",
        ),
        ProblemType(
            "file-too-large", 413, "File too large", "The file is larger than the demo accepts."
        ),
        ProblemType("not-found", 404, "Not found", "No such API endpoint."),
        ProblemType(
            "job-not-found",
            404,
            "Job not found",
            "No job has this id (or it was pruned long ago). Under OData, a canceled job's "
            "status monitor answers this too: OData says it does once canceled.",
        ),
        ProblemType(
            "job-expired",
            410,
            "Job expired",
            "The job finished longer ago than the retention period; its data was deleted.",
        ),
        ProblemType(
            "result-not-available",
            409,
            "No result",
            "The job has not succeeded (yet): poll its status monitor.",
        ),
        ProblemType(
            "job-already-finished",
            409,
            "The job already finished",
            "A finished job cannot be canceled, nor one that has done all its work (every "
            "message sent, the whole file read): what was done cannot be undone, so the job "
            "ends as its work did. The detail names its monitor and, if it succeeds, its result.",
        ),
        ProblemType(
            "idempotency-key-reused",
            422,
            "Idempotency-Key reused",
            "The key was first used with a different request body.",
        ),
        ProblemType(
            "idempotency-key-in-flight",
            409,
            "Request with this Idempotency-Key in progress",
            "The first request with this key is still being processed; retry shortly.",
        ),
        ProblemType(
            "rate-limited",
            429,
            "Too many requests",
            "This client sent more requests than its limit allows; wait the Retry-After "
            "seconds. A poll sooner than the Retry-After it was given counts several times.",
        ),
        ProblemType(
            "too-many-pending-jobs",
            429,
            "Too many pending jobs",
            "This client already has as many jobs pending as one client may; wait for one "
            "to finish (Retry-After says roughly when).",
        ),
        ProblemType(
            "too-much-pending-work",
            429,
            "Too much pending work",
            "This client's pending jobs, with this one, plan more seconds of work than one "
            "client may have queued; wait until enough of it is done (Retry-After says "
            "roughly when). A client with nothing pending may always start one job.",
        ),
        ProblemType(
            "upload-share-full",
            429,
            "Your uploads fill your share",
            "This client's uploads waiting for their jobs, with this one, are more bytes than "
            "one client may keep waiting; wait for one to be processed (Retry-After says "
            "roughly when). One upload always fits.",
        ),
        ProblemType(
            "storage-share-full",
            429,
            "Your pending jobs fill your share",
            "What this client's pending jobs will store, with this one, is more than one "
            "client may keep; wait for one to finish (Retry-After says roughly when). Older "
            "finished jobs are pruned early to make room, and answer 410.",
        ),
        ProblemType(
            "job-too-large",
            413,
            "The job would store too much",
            "The job alone would store more than one client may keep: a bulk email keeps "
            "each recipient's message as delivered, so its body counts once per recipient "
            "(and each placeholder once per use). Send fewer recipients or a shorter body.",
        ),
        ProblemType(
            "queue-full",
            503,
            "The queue is full",
            "More jobs are pending than the demo can finish in reasonable time, so it takes "
            "no more for now instead of answering a 202 it could not honour; Retry-After "
            "says when to try again.",
        ),
        ProblemType(
            "upload-storage-full",
            503,
            "No room for the upload",
            "The uploads waiting for their jobs fill the space the demo keeps for them; "
            "Retry-After says when to try again.",
        ),
        ProblemType(
            "monitor-unavailable",
            503,
            "The monitor is unavailable",
            "The job was submitted with ?outcome=monitor-503: its monitors answer its first "
            "polls with this, then recover. Poll again after Retry-After; the job goes on.",
        ),
        ProblemType(
            "monitor-throttled",
            429,
            "The monitor is throttled",
            "The job was submitted with ?outcome=monitor-429: its monitors answer its first "
            "polls with this, then recover. Poll again after Retry-After; the job goes on.",
        ),
        ProblemType(
            "method-not-allowed", 405, "Method not allowed", "The Allow header lists the methods."
        ),
        ProblemType(
            "respond-async-required",
            400,
            "Prefer: respond-async required",
            "An OData submit must send Prefer: respond-async: OData forbids a 202 without it, "
            "and the demo's jobs take too long to answer any other way.",
        ),
        ProblemType(
            "precondition-failed",
            412,
            "Precondition failed",
            "If-Match names none of the representation's current ETags: it changed since "
            "you read it. GET it again (without If-Match) for the current one.",
        ),
        # The checker's (/api/checks): a user's own flow, checked.
        ProblemType(
            "unreadable-flow",
            422,
            "The flow cannot be read",
            "The body is neither a HAR file nor a transcript the checker reads (not JSON, "
            "not HAR, no exchange, too many entries, too large, not UTF-8); the detail "
            "says which.",
        ),
        ProblemType(
            "check-refused",
            422,
            "The live check cannot be made",
            "The live check's description is wrong (no http or https URL, a bad method or "
            "header), or its target is not one the checker reaches: only globally routable "
            "addresses, never loopback, private, link-local or cloud metadata ones.",
        ),
        ProblemType(
            "check-not-found",
            404,
            "Check not found",
            "No check has this id: it expired, was deleted, or never was.",
        ),
        ProblemType(
            "checker-busy",
            503,
            "The checker is busy",
            "As many checks are waiting for the worker as it takes at once; Retry-After "
            "says when to try again.",
        ),
        # Not answered by requests: the reasons a job ends failed or canceled.
        *(
            ProblemType(code.value, 200, str(code.label), JOB_ERROR_DESCRIPTIONS[code])
            for code in Job.ErrorCode
        ),
    ]
}


@dataclass
class Rejected(Exception):
    """A request the API does not accept, and the problem to answer it with."""

    slug: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    # More errors than errors holds, found but not written out (the answer lists at
    # most MAX_ERRORS anyway).
    unlisted: int = 0


def problem_type_url(request: HttpRequest, slug: str) -> str:
    return absolute_url(request, f"{reverse('api:docs')}#problem-{slug}")


def problem(
    request: HttpRequest,
    slug: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    unlisted: int = 0,
) -> JsonResponse:
    kind = PROBLEM_TYPES[slug]
    body: dict[str, Any] = {
        "type": problem_type_url(request, slug),
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": absolute_url(request, request.get_full_path()),
    }
    if errors:
        body["errors"] = errors[:MAX_ERRORS]
        found = len(errors) + unlisted
        if found > MAX_ERRORS:
            body["detail"] += (
                f" The first {MAX_ERRORS} of {found} errors are listed; "
                f"{found - MAX_ERRORS} more are left out."
            )
    response = JsonResponse(body, status=kind.status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    patch_cache_control(response, no_store=True)
    return response


def rejection(request: HttpRequest, rejected: Rejected) -> JsonResponse:
    return problem(
        request,
        rejected.slug,
        rejected.detail,
        errors=rejected.errors,
        headers=rejected.headers,
        unlisted=rejected.unlisted,
    )


def job_error(request: HttpRequest, error: dict[str, str], *, instance: str) -> dict[str, str]:
    """A failed job's error as RFC 9457 fields, plus code and message for LRO clients.

    A job stores only the code (a Job.ErrorCode) and detail of its error.
    """
    return {
        "type": problem_type_url(request, error["code"]),
        "title": PROBLEM_TYPES[error["code"]].title,
        "detail": error["detail"],
        "instance": instance,
        "code": error["code"],
        "message": error["detail"],
    }
