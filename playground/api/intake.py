"""Reading and checking a POST before anything is accepted or stored.

Each reader returns what the job needs or raises Rejected with the problem to
answer (playground.api.protocol.api_view turns it into application/problem+json).
The headers a POST may carry (Prefer, Idempotency-Key: playground/api/headers.py)
are read first. Errors Django raises while reading a body (too large for
memory, a broken multipart form) are rejections too, never the framework's HTML 400.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from playground import jobs
from playground.api.headers import Submission, read_submission
from playground.api.problems import Rejected
from playground.jobs import Recipient
from playground.models import new_job_id

MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_NAME = 100
PLACEHOLDERS = {"name", "email"}
# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
CHUNK = 64 * 1024
CONTENT_LENGTH = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class BulkEmailRequest:
    submission: Submission
    subject: str
    body: str
    recipients: list[Recipient]
    fingerprint: str


@dataclass(frozen=True)
class StoredUpload:
    submission: Submission
    # The id the job will have; the file is at jobs.upload_path(public_id=stored_as).
    stored_as: str
    filename: str
    content_type: str
    size: int
    fingerprint: str


# -- Bulk email ------------------------------------------------------------------


def media_type(request: HttpRequest) -> str:
    return request.content_type.split(";")[0].strip().lower() if request.content_type else ""


def read_bulk_email(request: HttpRequest) -> BulkEmailRequest:
    kind = media_type(request)
    if kind != "application/json" and not kind.endswith("+json"):
        raise Rejected(
            "unsupported-media-type",
            "Send the bulk email as application/json, not "
            f"{kind or 'a body without Content-Type'}.",
            headers={"Accept-Post": "application/json"},
        )
    try:
        data = json.loads(_body(request))
    except (ValueError, UnicodeDecodeError) as error:
        raise Rejected("malformed-json", f"The body is not valid JSON: {error}.") from None
    except RecursionError:
        raise Rejected(
            "malformed-json", "The body nests arrays or objects too deeply to be read."
        ) from None
    if not isinstance(data, dict):
        raise Rejected(
            "invalid-request",
            "The body must be a JSON object.",
            [{"pointer": "", "detail": "Expected an object with subject, body and recipients."}],
        )
    recipients = data.get("recipients")
    if isinstance(recipients, list) and len(recipients) > settings.DEMO_MAX_RECIPIENTS:
        raise Rejected(
            "too-many-recipients",
            f"{len(recipients)} recipients; the demo accepts at most "
            f"{settings.DEMO_MAX_RECIPIENTS} per job.",
        )
    errors: list[dict[str, str]] = []
    for name in sorted(set(data) - {"subject", "body", "recipients"}):
        errors.append({"pointer": f"/{name}", "detail": "Unknown field."})
    subject = _text(data, "subject", MAX_SUBJECT, errors, header=True)
    body = _text(data, "body", MAX_BODY, errors)
    if body is not None:
        _check_placeholders(body, errors)
    checked = _recipients(recipients, errors)
    if errors or subject is None or body is None:
        raise Rejected("invalid-request", "Some fields are missing or invalid.", errors)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return BulkEmailRequest(
        # The body is checked first: its problems are what a client most needs to hear.
        submission=read_submission(request),
        subject=subject,
        body=body,
        recipients=checked,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise Rejected(
            "body-too-large", f"The body is larger than the {limit} bytes this API reads."
        ) from None


def _text(
    data: dict[str, Any],
    name: str,
    limit: int,
    errors: list[dict[str, str]],
    *,
    header: bool = False,
) -> str | None:
    value = data.get(name)
    problem = None
    if not isinstance(value, str) or not value.strip():
        problem = "Required: a non-empty string."
    elif len(value) > limit:
        problem = f"At most {limit} characters."
    elif not _storable(value):
        problem = "Not valid Unicode text (it contains an unpaired surrogate)."
    elif header and value.splitlines() != [value]:
        # It becomes a mail header, where a line break would start a new header:
        # every mail backend refuses it (BadHeaderError), so refuse it now.
        problem = "A single line: no line breaks."
    if problem is not None:
        errors.append({"pointer": f"/{name}", "detail": problem})
        return None
    return value


def _storable(text: str) -> bool:
    # JSON may escape a lone surrogate ("\ud800"): no message containing one can be
    # encoded, so the job would only fail later, in the worker.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_placeholders(body: str, errors: list[dict[str, str]]) -> None:
    # Only plain {name} and {email}: str.format could otherwise reach attributes
    # ({name.__class__}) of the values it formats.
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(body)
            if name is not None
        ]
    except ValueError as error:
        errors.append({"pointer": "/body", "detail": f"Broken placeholder: {error}."})
        return
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS or spec or conversion:
            errors.append(
                {
                    "pointer": "/body",
                    "detail": f"Unknown placeholder {{{name}}}: use {{name}} or {{email}} "
                    "(write {{ and }} for literal braces).",
                }
            )


def _recipients(value: Any, errors: list[dict[str, str]]) -> list[Recipient]:
    if not isinstance(value, list) or not value:
        errors.append({"pointer": "/recipients", "detail": "Required: a non-empty array."})
        return []
    recipients = []
    for index, item in enumerate(value):
        pointer = f"/recipients/{index}"
        if isinstance(item, str):
            item = {"email": item}
        elif isinstance(item, dict):
            pointer += "/email"
            for extra in sorted(set(item) - {"email", "name"}):
                errors.append(
                    {"pointer": f"/recipients/{index}/{extra}", "detail": "Unknown field."}
                )
        else:
            errors.append({"pointer": pointer, "detail": "Expected an address or {email, name}."})
            continue
        email = item.get("email")
        if not isinstance(email, str):
            errors.append({"pointer": pointer, "detail": "Required: an email address (a string)."})
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append({"pointer": pointer, "detail": f"Not an email address: {email!r}."})
            continue
        name = item.get("name", email.partition("@")[0])
        if not isinstance(name, str) or len(name) > MAX_NAME or not _storable(name):
            errors.append(
                {
                    "pointer": f"/recipients/{index}/name",
                    "detail": f"A string of at most {MAX_NAME} characters.",
                }
            )
            continue
        recipients.append(Recipient(email=email, name=name))
    return recipients


# -- File processing -------------------------------------------------------------


def store_upload(request: HttpRequest) -> StoredUpload:
    """Store the uploaded file (multipart "file" field or the raw body) for its job.

    The file is stored under the id its job will have, before the job exists; if
    the job is not created after all, jobs.accept_file_processing deletes it.
    """
    stored_as = new_job_id()
    destination = jobs.upload_path(public_id=stored_as)
    limit = settings.DEMO_MAX_UPLOAD_BYTES
    kind = media_type(request)
    if not kind or kind == "application/x-www-form-urlencoded":
        raise Rejected(
            "unsupported-media-type",
            'Send the file as multipart/form-data (field "file") or as the raw body '
            "with its own Content-Type.",
            headers={"Accept-Post": "multipart/form-data, */*"},
        )
    declared = _content_length(request)
    overhead = MULTIPART_OVERHEAD if kind == "multipart/form-data" else 0
    if declared > limit + overhead:
        raise _too_large(declared)
    destination.parent.mkdir(parents=True, exist_ok=True)
    empty: dict[str, str]
    if kind == "multipart/form-data":
        upload = _form_file(request)
        if upload.size is not None and upload.size > limit:
            raise _too_large(upload.size)
        filename = Path(upload.name or "upload").name
        content_type = upload.content_type or "application/octet-stream"
        chunks = upload.chunks(CHUNK)
        empty = {"field": "file", "detail": "The file is empty."}
    else:
        filename = _disposition_filename(request.headers.get("Content-Disposition", ""))
        content_type = request.META.get("CONTENT_TYPE") or kind
        chunks = iter(lambda: request.read(CHUNK), b"")
        empty = {"pointer": "", "detail": "The body (the file) is empty."}
    fingerprint = hashlib.sha256(f"{filename}\n{content_type}\n".encode())
    size = 0
    try:
        with destination.open("wb") as stored:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise _too_large(size, at_least=True)
                fingerprint.update(chunk)
                stored.write(chunk)
        if size == 0:
            # Nothing to digest: a job would "succeed" at describing no file at all.
            raise Rejected("invalid-request", "There is no file to process.", [empty])
        submission = read_submission(request)
    except BaseException:
        # Refused, or the client went away mid-upload: nothing of it stays.
        destination.unlink(missing_ok=True)
        raise
    return StoredUpload(
        submission=submission,
        stored_as=stored_as,
        filename=filename,
        content_type=content_type,
        size=size,
        fingerprint=fingerprint.hexdigest(),
    )


def _content_length(request: HttpRequest) -> int:
    # Django reads a body without Content-Length (chunked transfer coding) as empty,
    # so such an upload would silently become an empty file.
    value = request.headers.get("Content-Length", "").strip()
    if not value:
        raise Rejected(
            "length-required",
            "Send the file with a Content-Length header; a body without one is not read.",
        )
    if not CONTENT_LENGTH.fullmatch(value):
        raise Rejected(
            "invalid-content-length", f"Content-Length {value!r} is not a number of bytes."
        )
    significant = value.lstrip("0") or "0"
    # int() refuses more than 4300 digits; anything near that is too large anyway.
    return int(significant) if len(significant) <= 18 else 10**18


def _form_file(request: HttpRequest) -> UploadedFile:
    try:
        upload = request.FILES.get("file")
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as error:
        raise Rejected("malformed-form", f"The form cannot be read: {error}") from None
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise Rejected(
            "body-too-large", f"The form's fields are larger than the {limit} bytes this API reads."
        ) from None
    if upload is None:
        raise Rejected(
            "invalid-request",
            "No file in the form.",
            [{"field": "file", "detail": "Required: the file to process."}],
        )
    return upload


def _too_large(size: int, *, at_least: bool = False) -> Rejected:
    limit = settings.DEMO_MAX_UPLOAD_BYTES
    more = "more than " if at_least else ""
    return Rejected("file-too-large", f"{more}{size} bytes; the demo accepts at most {limit}.")


def _disposition_filename(header: str) -> str:
    message = Message()
    message["Content-Disposition"] = header or "attachment"
    return Path(message.get_filename() or "upload").name
