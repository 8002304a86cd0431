"""The problem examples of the document (components/examples): one RFC 9457 body per
problem an endpoint answers, on the example origin."""

from __future__ import annotations

from typing import Any

from api.headers import MAX_CONTENT_TYPE
from api.openapi.examples import EXAMPLE_ORIGIN, JOB, MONITOR, example
from api.problems import PROBLEM_TYPES


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

PROBLEM_EXAMPLES: dict[str, Any] = {
    "rateLimited": problem_example(
        "rate-limited", "This client may send 20 new jobs a minute; try again in 3 s.", BULK
    ),
    "tooManyPendingJobs": problem_example(
        "too-many-pending-jobs",
        "You already have 3 jobs pending, the most one client may have; wait for one to finish.",
        BULK,
    ),
    "tooMuchPendingWork": problem_example(
        "too-much-pending-work",
        "Your pending jobs still plan 240 s of work; with this one's 62 s that is more than "
        "the 300 s one client may have queued.",
        BULK,
    ),
    "storageShareFull": problem_example(
        "storage-share-full",
        "Your pending jobs will store 4800000 bytes; with this one's 600000 that is more "
        "than the 5242880 one client may keep.",
        BULK,
    ),
    "uploadShareFull": problem_example(
        "upload-share-full",
        "Your uploads waiting for their jobs hold 10485760 bytes; with this one's 5242880 "
        "that is more than the 10485760 one client may keep waiting.",
        FILES,
    ),
    "queueFull": problem_example(
        "queue-full",
        "30 jobs are pending, the most this demo takes at once; try again later.",
        BULK,
    ),
    "uploadStorageFull": problem_example(
        "upload-storage-full",
        "The uploads waiting for their jobs fill the space the demo keeps for them.",
        FILES,
    ),
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
    "bodyCutShort": problem_example(
        "invalid-content-length",
        "The body ended after 5 of the 100 bytes its Content-Length announced; none of it is used.",
        FILES,
    ),
    "headerTooLarge": problem_example(
        "header-too-large",
        f"The Content-Type header is too long: 1100 characters; this API reads at most "
        f"{MAX_CONTENT_TYPE}.",
        BULK,
        errors=[
            {
                "header": "Content-Type",
                "detail": f"1100 characters; this API reads at most {MAX_CONTENT_TYPE}.",
            }
        ],
    ),
    "notAMediaType": problem_example(
        "unsupported-media-type",
        "Content-Type 'application/json; charset' is not a media type: write type/subtype, "
        'then any "; name=value" parameters (RFC 9110 section 8.3.1), in ASCII.',
        BULK,
    ),
    "jobNotFound": problem_example(
        "job-not-found", "There is no job job_nope.", "/api/jobs/job_nope"
    ),
    "notFound": problem_example(
        "not-found", "There is no API endpoint at /api/jobs/nope.", "/api/jobs/nope"
    ),
    "respondAsyncRequired": problem_example(
        "respond-async-required",
        "This submit follows OData 4.01, which answers 202 Accepted only to a request "
        "with Prefer: respond-async; send that header (no job was started).",
        "/api/odata/emails/bulk",
    ),
    "preconditionFailed": problem_example(
        "precondition-failed",
        f"If-Match names none of the current ETags of /api/jobs/{JOB} "
        '(it is "5d41402abc4b2a76b9719d911017c592" now).',
        f"/api/jobs/{JOB}",
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
    "jobTooLarge": problem_example(
        "job-too-large",
        "This job would store about 18200000 bytes (its messages as delivered, each "
        "recipient's rendered body); one client may keep 5242880.",
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
    "controlCharacter": problem_example(
        "invalid-request",
        "Some fields are missing or invalid.",
        BULK,
        errors=[{"pointer": "/subject", "detail": "No control characters: '\\x00' at 5."}],
    ),
    "invalidIdempotencyKey": problem_example(
        "invalid-request",
        "The Idempotency-Key header is not valid: '\\x01' is not printable ASCII "
        "(U+0020 to U+007E).",
        BULK,
        errors=[
            {
                "header": "Idempotency-Key",
                "detail": "'\\x01' is not printable ASCII (U+0020 to U+007E).",
            }
        ],
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
    "invalidOutcome": problem_example(
        "invalid-request",
        "The outcome query parameter is not valid: 'fast' is no outcome; the outcomes are "
        "retry-after-date, monitor-503, monitor-429, gone-after-done, lost-by-worker.",
        f"{BULK}?outcome=fast",
        errors=[
            {
                "parameter": "outcome",
                "detail": "'fast' is no outcome; the outcomes are retry-after-date, "
                "monitor-503, monitor-429, gone-after-done, lost-by-worker.",
            }
        ],
    ),
    "monitorUnavailable": problem_example(
        "monitor-unavailable",
        f"The monitors of job {JOB} do not answer its first 2 polls (outcome monitor-503); "
        "poll again after Retry-After.",
        f"/api/jobs/{JOB}",
    ),
    "monitorThrottled": problem_example(
        "monitor-throttled",
        f"The monitors of job {JOB} do not answer its first 2 polls (outcome monitor-429); "
        "poll again after Retry-After.",
        f"/api/jobs/{JOB}",
    ),
}
