"""File processing: read the upload one chunk per step; SHA-256, counts, detected type.

The work has no side effects, so each slice of the job (``jobs.running``)
simply reads the file again from the start, up to the step that is due. The
uploaded bytes are deleted when the job finishes, whatever the outcome.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import re
from pathlib import Path
from typing import Any

from jobs.models import Job
from jobs.work.steps import JobFailed, step

READ_STEPS = 8
# What a digest keeps besides the file's name and type: the rest of its input (size,
# stored path, steps) and its result (digest, counts, detected type).
KEPT_BYTES = 600
WORD = re.compile(rb"\S+")
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
]


def planned_steps(*, size: int) -> int:
    return READ_STEPS if size else 1


def stored_bytes(*, filename: str, content_type: str) -> int:
    """About how many bytes the job keeps besides the upload (which goes when it finishes):
    the file's name and declared type, in its input and again in its result."""
    return 2 * (len(filename.encode()) + len(content_type.encode())) + KEPT_BYTES


def detect_type(*, head: bytes, is_utf8: bool) -> str:
    for signature, media_type in SIGNATURES:
        if head.startswith(signature):
            return media_type
    if is_utf8 and b"\x00" not in head:
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def run(*, job: Job) -> dict[str, Any]:
    path = Path(job.input["path"])
    if not path.exists():
        raise JobFailed(
            code=Job.ErrorCode.UPLOAD_MISSING,
            detail="The stored upload could not be found; send the file again.",
        )
    size = path.stat().st_size
    steps = planned_steps(size=size)
    chunk_size = max(1, math.ceil(size / steps))
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    newlines = words = 0
    head = b""
    last = b""
    with path.open("rb") as upload:
        for number in range(1, steps + 1):
            chunk = upload.read(chunk_size)
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            words += len(WORD.findall(chunk))
            # A word split across two chunks was counted twice.
            if chunk[:1] and not chunk[:1].isspace() and last and not last.isspace():
                words -= 1
            if is_utf8:
                try:
                    decoder.decode(chunk, final=number == steps)
                except UnicodeDecodeError:
                    is_utf8 = False
            head = head or chunk[:16]
            last = chunk[-1:] or last
            read = min(size, number * chunk_size)
            step(
                job=job, name=f"read:{number}", done=number, message=f"Read {read} of {size} bytes."
            )
    return {
        "kind": Job.Kind.FILE_PROCESSING.value,
        "filename": job.input["filename"],
        "declaredType": job.input["contentType"],
        "detectedType": detect_type(head=head, is_utf8=is_utf8),
        "size": size,
        "sha256": digest.hexdigest(),
        # Like most editors: a last line without a final newline still counts.
        "lines": newlines + (1 if last and last != b"\n" else 0),
        "words": words,
    }
