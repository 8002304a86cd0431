"""Reading and checking a POST before anything is accepted or stored.

Each reader returns what the job needs or raises Rejected with the problem to
answer (api.protocol.api_view turns it into application/problem+json).
The headers a POST may carry (Prefer, Idempotency-Key, Content-Type, ...) are
read with the other headers, not here. Errors Django raises while reading a body
(too large for memory, a broken multipart form, a body cut short) are rejections
too, never the framework's HTML 400 or a 500.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from api.headers import (
    Submission,
    cut_short,
    is_media_type,
    read_content_length,
    read_disposition_filename,
    read_media_type,
    read_submission,
)
from api.problems import MAX_ERRORS, Rejected
from api.text import is_address, text_problem
from jobs import lifecycle
from jobs.lifecycle import Recipient
from jobs.models import new_job_id

MAX_SUBJECT = 200
MAX_BODY = 10_000
MAX_NAME = 100
# As Django keeps a multipart upload's name: longer names lose the end of their stem.
MAX_FILENAME = 255
PLACEHOLDERS = {"name", "email"}
# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
CHUNK = 64 * 1024
JSON_TYPES = "application/json"
UPLOAD_TYPES = "multipart/form-data, */*"


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
    # The id the job will have; the file is at lifecycle.upload_path(public_id=stored_as).
    stored_as: str
    filename: str
    content_type: str
    size: int
    fingerprint: str


# -- Bulk email ------------------------------------------------------------------


def read_bulk_email(request: HttpRequest) -> BulkEmailRequest:
    kind = read_media_type(request, accept_post=JSON_TYPES)
    # application/json, or a +json suffix after a subtype name (RFC 6838 section 4.2.8).
    subtype = kind.partition("/")[2]
    if kind != "application/json" and not (subtype.endswith("+json") and subtype != "+json"):
        raise Rejected(
            "unsupported-media-type",
            "Send the bulk email as application/json, not "
            f"{kind or 'a body without Content-Type'}.",
            headers={"Accept-Post": JSON_TYPES},
        )
    try:
        # JSON is UTF-8 (RFC 8259 section 8.1); a byte order mark is ignored.
        data = json.loads(_body(request).decode("utf-8-sig"), parse_constant=_not_json)
    except UnicodeDecodeError as error:
        raise Rejected("malformed-json", f"The body is not UTF-8, as JSON is: {error}.") from None
    except ValueError as error:
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
    subject = _text(data, "subject", MAX_SUBJECT, errors, header=True)
    body = _text(data, "body", MAX_BODY, errors)
    if body is not None:
        _check_placeholders(body, errors)
    checked = _recipients(recipients, errors)
    # After the fields the API reads: a problem lists only its first errors, and those
    # must not all be about fields that a client could send by the thousand. Only the
    # listed ones are written out; the others are counted.
    unknown = sorted(set(data) - {"subject", "body", "recipients"})
    for name in unknown[:MAX_ERRORS]:
        errors.append({"pointer": _pointer(name), "detail": "Unknown field."})
    if errors or subject is None or body is None:
        raise Rejected(
            "invalid-request",
            "Some fields are missing or invalid.",
            errors,
            unlisted=max(0, len(unknown) - MAX_ERRORS),
        )
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    # The body is checked first: its problems are what a client most needs to hear.
    submission = read_submission(request)
    return BulkEmailRequest(
        submission=submission,
        subject=subject,
        body=body,
        recipients=checked,
        fingerprint=submission.fingerprint(hashlib.sha256(canonical.encode()).hexdigest()),
    )


def _not_json(constant: str) -> None:
    # Python's json reads NaN and Infinity, which JSON (RFC 8259) does not have.
    raise ValueError(f"{constant} is not a JSON value")


def _body(request: HttpRequest) -> bytes:
    declared = read_content_length(request)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        if declared is not None and limit is not None and declared > limit:
            raise RequestDataTooBig
        body = request.body
    except RequestDataTooBig:
        raise Rejected(
            "body-too-large", f"The body is larger than the {limit} bytes this API reads."
        ) from None
    except UnreadablePostError:
        raise cut_short(declared) from None
    if declared is not None and len(body) < declared:
        raise cut_short(declared, received=len(body))
    return body


def _pointer(*tokens: str | int) -> str:
    """A JSON Pointer (RFC 6901): "~" and "/" in member names escaped as ~0 and ~1."""
    return "".join("/" + str(token).replace("~", "~0").replace("/", "~1") for token in tokens)


def _text(
    data: dict[str, Any],
    name: str,
    limit: int,
    errors: list[dict[str, str]],
    *,
    header: bool = False,
) -> str | None:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        problem: str | None = "Required: a non-empty string."
    elif len(value) > limit:
        problem = f"At most {limit} characters."
    else:
        problem = text_problem(value, one_line=header)
    if problem is not None:
        errors.append({"pointer": f"/{name}", "detail": problem})
        return None
    return value


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
                    {"pointer": _pointer("recipients", index, extra), "detail": "Unknown field."}
                )
        else:
            errors.append({"pointer": pointer, "detail": "Expected an address or {email, name}."})
            continue
        email = item.get("email")
        if not isinstance(email, str):
            errors.append({"pointer": pointer, "detail": "Required: an email address (a string)."})
            continue
        if not is_address(email):
            errors.append({"pointer": pointer, "detail": f"Not an email address: {email!r}."})
            continue
        name = item.get("name", email.partition("@")[0])
        if not isinstance(name, str) or len(name) > MAX_NAME:
            problem: str | None = f"A string of at most {MAX_NAME} characters."
        else:
            problem = text_problem(name, one_line=True)
        if problem is not None:
            errors.append({"pointer": f"/recipients/{index}/name", "detail": problem})
            continue
        recipients.append(Recipient(email=email, name=name))
    return recipients


# -- File processing -------------------------------------------------------------


def store_upload(request: HttpRequest) -> StoredUpload:
    """Store the uploaded file (multipart "file" field or the raw body) for its job.

    The file is stored under the id its job will have, before the job exists; if
    the job is not created after all, lifecycle.accept_file_processing deletes it.
    """
    stored_as = new_job_id()
    destination = lifecycle.upload_path(public_id=stored_as)
    limit = settings.DEMO_MAX_UPLOAD_BYTES
    kind = read_media_type(request, accept_post=UPLOAD_TYPES)
    if not kind or kind == "application/x-www-form-urlencoded":
        raise Rejected(
            "unsupported-media-type",
            'Send the file as multipart/form-data (field "file") or as the raw body '
            "with its own Content-Type.",
            headers={"Accept-Post": UPLOAD_TYPES},
        )
    declared = _content_length(request)
    overhead = MULTIPART_OVERHEAD if kind == "multipart/form-data" else 0
    if declared > limit + overhead:
        raise _too_large(declared)
    destination.parent.mkdir(parents=True, exist_ok=True)
    empty: dict[str, str]
    if kind == "multipart/form-data":
        upload = _form_file(request, declared)
        if upload.size is not None and upload.size > limit:
            raise _too_large(upload.size)
        filename = base_name(upload.name or "")
        content_type = _part_type(upload)
        chunks = upload.chunks(CHUNK)
        empty = {"field": "file", "detail": "The file is empty."}
    else:
        filename = base_name(read_disposition_filename(request))
        content_type = request.META.get("CONTENT_TYPE") or kind
        chunks = _raw_chunks(request, declared)
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
        fingerprint=submission.fingerprint(fingerprint.hexdigest()),
    )


def _content_length(request: HttpRequest) -> int:
    # Django reads a body without Content-Length (chunked transfer coding) as empty,
    # so such an upload would silently become an empty file.
    declared = read_content_length(request)
    if declared is None:
        raise Rejected(
            "length-required",
            "Send the file with a Content-Length header; a body without one is not read.",
        )
    return declared


def _raw_chunks(request: HttpRequest, declared: int) -> Iterator[bytes]:
    """The raw body, chunk by chunk; refused if it ends before its Content-Length."""
    received = 0
    try:
        for chunk in iter(lambda: request.read(CHUNK), b""):
            received += len(chunk)
            yield chunk
    except UnreadablePostError:
        raise cut_short(declared) from None
    if received < declared:
        raise cut_short(declared, received=received)


def _form_file(request: HttpRequest, declared: int) -> UploadedFile:
    try:
        upload = request.FILES.get("file")
    except UnreadablePostError:
        raise cut_short(declared) from None
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


def _part_type(upload: UploadedFile) -> str:
    # Django keeps the part's own Content-Type as it came (parameters aside).
    content_type = upload.content_type or "application/octet-stream"
    if not is_media_type(content_type):
        detail = f"Its Content-Type {content_type!r} is not a media type (type/subtype)."
        raise Rejected(
            "invalid-request",
            "The file's Content-Type is not a media type.",
            [{"field": "file", "detail": detail}],
        )
    return content_type


def base_name(name: str) -> str:
    """The name a file is shown with, as Django keeps a multipart upload's: the last
    segment of a path (after / or \\), printable characters only, at most MAX_FILENAME
    long with its extension kept; "upload" when nothing is left."""
    name = "".join(char for char in re.split(r"[/\\]", name)[-1] if char.isprintable())
    if name in {"", ".", ".."}:
        return "upload"
    stem, extension = os.path.splitext(name)
    extension = extension[:MAX_FILENAME]
    return name if len(name) <= MAX_FILENAME else stem[: MAX_FILENAME - len(extension)] + extension
