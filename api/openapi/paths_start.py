"""The paths that start a job: POST /api/emails/bulk and POST /api/files/process,
which answer 202 Accepted (or 303 with Prefer: wait) and share their problems."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from api.headers import (
    IDEMPOTENCY_KEY_PATTERN,
    MAX_CONTENT_DISPOSITION,
    MAX_CONTENT_LENGTH,
    MAX_CONTENT_TYPE,
    MAX_IDEMPOTENCY_KEY,
    MAX_PREFER,
    MAX_WAIT,
)
from api.openapi.components import (
    JOB_RETRY_AFTER,
    JSON,
    NO_STORE,
    PREFERENCE_APPLIED,
    RETRY_AFTER,
    URL,
    header,
    job_links,
    options_operation,
    problem_response,
    ref,
    response,
    response_ref,
)
from api.presets import OUTCOME_PARAMETER, OUTCOMES

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry safely: the same key and body return the original job (or, once it "
    "finished, its 303); the same key with another body is 422; while the first request with "
    "the key is still being processed, 409. A key is the client's own: the same key from "
    "another client is another key, with a job of its own. "
    "The key is a structured-field string (RFC 8941): "
    'printable ASCII in double quotes, with \\" and \\\\ escaped, whose value is the key; '
    'a bare key of visible ASCII without spaces, `"` or `\\` is read as itself (as Stripe '
    f'sends it), so `"k-1"` and `k-1` are the same key. At most {MAX_IDEMPOTENCY_KEY} '
    "characters. Anything else (control characters, non-ASCII, unbalanced quotes, other "
    "escapes, an empty string) is refused with 422 naming the header. A header that is "
    "empty, or only spaces, is no key: the request is sent without one.",
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
}
PREFER = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "description": "`respond-async` (the default behaviour, acknowledged) and/or `wait=N` "
    f"(N up to {MAX_WAIT}): answer the final outcome if the job finishes within N seconds. "
    "As RFC 7240 says, a preference the API cannot read (another name, a wait that is not "
    "whole seconds, a control character) is ignored, never refused: it is missing from "
    f"Preference-Applied. So is a Prefer longer than {MAX_PREFER} characters (several "
    "Prefer headers counted together): none of it is read. So is a wait the API does not "
    "do: a replayed Idempotency-Key never waits, and only a few requests per server "
    "process and per client wait at once (the others are answered at once).",
    "schema": {"type": "string"},
    "examples": {"wait": {"value": "respond-async, wait=5"}},
}

OUTCOME = {
    "name": OUTCOME_PARAMETER,
    "in": "query",
    "required": False,
    "description": "An outcome preset, to see what a client does with it (every preset is "
    "listed, with what it does, at /api/conventions): "
    + "; ".join(f"`{value}`: {preset.summary}" for value, preset in OUTCOMES.items())
    + " Recorded on the job: every convention's monitor honours it. Anything else (an "
    "empty value, an unknown one, two of them, any other query parameter) is refused with "
    "422 naming the parameter.",
    "schema": {"type": "string", "enum": list(OUTCOMES)},
}


def rfc9110_started(accepted_example: str) -> dict[str, Any]:
    """How the RFC 9110 submit URLs answer a job started: 202, or 303 with Prefer: wait."""
    return {
        "202": response(
            "Accepted: the job is committed and queued. A replayed Idempotency-Key (without "
            "`Prefer: wait`) gets the original job's 202 again, with its current status.",
            headers={
                "Location": header(URL, "The status monitor, /api/jobs/{jobId}."),
                "Content-Location": header(
                    URL,
                    "Same as Location: the body is the monitor's representation of the job, "
                    "what a GET of the monitor answers at once.",
                ),
                "Operation-Location": header(URL, "The operation, /api/operations/{jobId}."),
                "Retry-After": JOB_RETRY_AFTER,
                "Cache-Control": NO_STORE,
                "Preference-Applied": PREFERENCE_APPLIED,
            },
            schema=ref("JobStatus"),
            examples=(accepted_example,),
            links=job_links("GetJobStatus", "CancelJob", "GetJobResult", "GetOperation"),
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
            links=job_links("GetJobStatus", "GetJobResult"),
        ),
    }


def start_responses(
    started: dict[str, Any], problems: dict[str, Any], *, uploads: bool = False
) -> dict[str, Any]:
    """What a POST endpoint answers: a job started (its convention's way), or a problem
    (the endpoint's own, by status, and the shared ones) before anything is stored."""
    responses: dict[str, Any] = {
        **started,
        "405": response_ref("MethodNotAllowed"),
        "429": problem_response(
            "Too Many Requests: this client started (or canceled) more than "
            f"{settings.DEMO_JOBS_PER_MINUTE} jobs in a minute, already has "
            f"{settings.DEMO_MAX_PENDING_PER_CLIENT} jobs pending, or its pending jobs with "
            f"this one would plan more than {settings.DEMO_MAX_PENDING_WORK_PER_CLIENT} s of "
            f"work or store more than {settings.DEMO_MAX_STORED_BYTES_PER_CLIENT} bytes"
            + (
                ", or its uploads waiting for their jobs would hold more than "
                f"{settings.DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT} bytes"
                if uploads
                else ""
            )
            + ". Nothing was stored.",
            "rateLimited",
            "tooManyPendingJobs",
            "tooMuchPendingWork",
            "storageShareFull",
            *(("uploadShareFull",) if uploads else ()),
            headers={"Retry-After": RETRY_AFTER},
        ),
        "503": problem_response(
            f"Service Unavailable: {settings.DEMO_MAX_PENDING_JOBS} jobs are pending, more than "
            "the demo can finish in reasonable time, so it takes no more for now instead of "
            "answering a 202 it could not honour"
            + (
                "; or the uploads waiting for their jobs fill their space"
                f" ({settings.DEMO_MAX_STORED_UPLOAD_BYTES} bytes)"
                if uploads
                else ""
            )
            + ". Nothing was stored.",
            "queueFull",
            *(("uploadStorageFull",) if uploads else ()),
            headers={"Retry-After": RETRY_AFTER},
        ),
        "431": problem_response(
            "Request Header Fields Too Large: a header the API reads is longer than it reads "
            f"(Content-Type {MAX_CONTENT_TYPE} characters, Content-Length {MAX_CONTENT_LENGTH}, "
            f"Content-Disposition {MAX_CONTENT_DISPOSITION}); it was not parsed. Nothing was "
            "stored.",
            "headerTooLarge",
        ),
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
        "Wrong (or no) Content-Type, or one that is not a media type (type/subtype and "
        '"; name=value" parameters in ASCII, RFC 9110 section 8.3.1); Accept-Post lists '
        "what is read.",
        "unsupportedMediaType",
        "notAMediaType",
        headers={
            "Accept-Post": header({"type": "string", "const": accept_post}, "Media types read.")
        },
    )


def submit_parameters(*, prefer: bool) -> list[dict[str, Any]]:
    """What a submit URL reads besides its body; Prefer only where it changes the answer."""
    return [IDEMPOTENCY_KEY, *([PREFER] if prefer else []), OUTCOME]


def bulk_email_path(
    *,
    operation_id: str = "sendBulkEmail",
    options_id: str = "bulkEmailOptions",
    started: dict[str, Any] | None = None,
    prefer: bool = True,
    summary: str = "Send one templated email to many recipients, in the background.",
) -> dict[str, Any]:
    """POST of a bulk email; by default the RFC 9110 convention's, at /api/emails/bulk."""
    responses = start_responses(
        rfc9110_started("bulkEmailAccepted") if started is None else started,
        {
            "400": problem_response(
                "The body is not valid JSON (in UTF-8, without NaN or Infinity), a "
                "Content-Length that is not a number, or a body that ended before it.",
                "malformedJson",
                "invalidContentLength",
                "bodyCutShort",
            ),
            "413": problem_response(
                f"More than {settings.DEMO_MAX_RECIPIENTS} recipients, a body larger than "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, or a job that would store more "
                f"than the {settings.DEMO_MAX_STORED_BYTES_PER_CLIENT} bytes one client may "
                "keep (each recipient's message is kept as delivered).",
                "tooManyRecipients",
                "bodyTooLarge",
                "jobTooLarge",
            ),
            "415": unsupported_media_type(JSON),
            "422": problem_response(
                "Invalid fields (each entry of errors points at one): a control character in "
                "any text, a line break in a subject or name; an Idempotency-Key that is not "
                "a key, or one reused with a different body (or another outcome); an unknown "
                "outcome.",
                "invalidFields",
                "subjectWithLineBreak",
                "controlCharacter",
                "invalidIdempotencyKey",
                "idempotencyKeyReused",
                "invalidOutcome",
            ),
        },
    )
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": submit_parameters(prefer=prefer),
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
        "options": options_operation(options_id, "POST"),
    }


def process_file_path(
    *,
    operation_id: str = "processFile",
    options_id: str = "processFileOptions",
    started: dict[str, Any] | None = None,
    prefer: bool = True,
    summary: str = "Digest a file (size, SHA-256, lines, words, type) in the background.",
) -> dict[str, Any]:
    """POST of a file; by default the RFC 9110 convention's, at /api/files/process."""
    responses = start_responses(
        rfc9110_started("fileAccepted") if started is None else started,
        {
            "400": problem_response(
                "A form that cannot be read, a Content-Length that is not a number, or a body "
                "that ended before it.",
                "malformedForm",
                "invalidContentLength",
                "bodyCutShort",
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
                "No file in the form, an empty file, a file part whose Content-Type is not a "
                "media type, an Idempotency-Key that is not a key, or one reused with a "
                "different body (or another outcome); an unknown outcome.",
                "noFile",
                "emptyFile",
                "invalidIdempotencyKey",
                "idempotencyKeyReused",
                "invalidOutcome",
            ),
        },
        uploads=True,
    )
    upload = {
        "type": "string",
        "contentMediaType": "application/octet-stream",
        # In bytes: an empty file is refused (422), a larger one too (413).
        "minLength": 1,
        "maxLength": settings.DEMO_MAX_UPLOAD_BYTES,
    }
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": submit_parameters(prefer=prefer),
            "requestBody": {
                "required": True,
                "description": "The file as the form field `file`, or as the raw body with "
                "its own Content-Type and a Content-Length (Content-Disposition may carry "
                "its filename). An empty file is refused, and so is a body that ends before "
                "its Content-Length (400): a truncated file is never digested. The file is "
                "stored under its job's id, never under the name it was sent with; that name "
                "is only shown, as a base name (see FileReport.filename). The raw body may "
                "have any Content-Type but the two form types: application/octet-stream and "
                'text/plain below stand for all of them, as OpenAPI cannot say "any but" '
                "(a `*/*` would promise application/x-www-form-urlencoded too, which is "
                "refused with 415).",
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": upload},
                        }
                    },
                    # Standing for every other media type (OpenAPI has no "any but").
                    "application/octet-stream": {"schema": upload},
                    "text/plain": {
                        "schema": upload,
                        "examples": {"textFile": {"$ref": "#/components/examples/textFile"}},
                    },
                },
            },
            "responses": responses,
        },
        "options": options_operation(options_id, "POST"),
    }
