"""An in-process HTTP client for the demo API: what the playground console sends with.

send() builds a real request and runs it through Django's full middleware stack
with a handler of its own, so what the console shows is exactly what the API
answered (status, every header, body), without the web server calling itself
over HTTP, which could deadlock a single-worker server. It only sends what the
allow-list below permits, and the sub-request never ends the calling request's
database connection (see _release).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase

from api.clients import client_address
from api.conventions import CONVENTIONS
from api.headers import HEADER_LIMITS
from config.bounded_request import BoundedRequest


def _prefix(template: str) -> str:
    return template.partition("{jobId}")[0]


# The only requests the console may send: method and a path pattern on this site's demo
# API: every convention's submit URLs, monitors and cancels.
ALLOWED_REQUESTS: dict[str, tuple[str, ...]] = {
    "POST": (
        *(path for convention in CONVENTIONS for path in convention.submit.values()),
        *(_prefix(c.cancel.path) for c in CONVENTIONS if c.cancel and c.cancel.method == "POST"),
    ),
    "GET": ("/api/jobs/", *(_prefix(convention.monitor) for convention in CONVENTIONS)),
    "DELETE": tuple(
        _prefix(c.cancel.path) for c in CONVENTIONS if c.cancel and c.cancel.method == "DELETE"
    ),
}
# Request headers the console forwards; anything else the reader types is dropped.
FORWARDED_HEADERS = ("Content-Type", "Accept", "Idempotency-Key", "Prefer", "If-None-Match")
# The longest header the console sends: what the API reads of it, else one header line
# as gunicorn reads it. Django parses a request's Content-Type when it builds the request,
# in time that grows with the square of its length, so nothing longer is built at all.
MAX_FORWARDED_HEADER = 8190
MAX_CONSOLE_BODY = 1024 * 1024
# One line on each response header a reader of a 202 flow should understand.
HEADER_NOTES = {
    "location": "Where to poll: the job's status monitor (or, on a 303, the result).",
    "retry-after": "How many seconds to wait before the next poll.",
    "content-location": "The status representation in this body lives at this URL.",
    "operation-location": "The same job as a long-running operation, for the other polling style.",
    "preference-applied": "The server honoured the request's Prefer header.",
    "asyncresult": "OData: the request finished; this is the status its final response has.",
}

# The response headers that carry the 202 protocol (where to poll, when, what the answer
# is and how long it stays true): an exchange shows these first, the rest behind a fold.
PROTOCOL_HEADERS = (
    "Location",
    "Content-Location",
    "Operation-Location",
    "Retry-After",
    "ETag",
    "Cache-Control",
    "Preference-Applied",
    "AsyncResult",
    "Content-Type",
)
_PROTOCOL_NAMES = frozenset(name.lower() for name in PROTOCOL_HEADERS)


class RequestRefused(ValueError):
    """The client was asked for something outside its allow-list."""


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    body_note: str = ""

    @property
    def status_line(self) -> str:
        return f"HTTP/1.1 {self.status} {self.reason}"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.response_headers if key.lower() == lowered), None)

    @property
    def request_target(self) -> str:
        """What a request line names (RFC 9112's origin-form): the URL's path and query."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def protocol_headers(self) -> list[tuple[str, str]]:
        """The response headers among PROTOCOL_HEADERS, in the order the API sent them."""
        return [
            (name, value)
            for name, value in self.response_headers
            if name.lower() in _PROTOCOL_NAMES
        ]

    @property
    def notes(self) -> list[tuple[str, str, str]]:
        """(header, value, explanation) for the response headers worth explaining."""
        return [
            (name, value, HEADER_NOTES[name.lower()])
            for name, value in self.response_headers
            if name.lower() in HEADER_NOTES
        ]

    @property
    def _job(self) -> dict[str, Any]:
        """The members that describe the job: the body's, an AIP-151 Operation's metadata,
        or the job a problem carries."""
        data = self.json
        if not isinstance(data, dict):
            return {}
        metadata = data.get("metadata")
        if isinstance(metadata, dict) and "done" in data:
            return metadata
        job = data.get("job")
        if isinstance(job, dict) and isinstance(data.get("status"), int):
            # A problem that carries the job: request-reply's failed status endpoint.
            return job
        return data

    @property
    def job_state(self) -> str:
        """The job's state as this answer tells it: queued, running, succeeded, failed, ..."""
        status = self._job.get("status")
        if (final := self.header("AsyncResult")) is not None:
            # OData's monitor once done: 200, the final response's status in AsyncResult.
            return "succeeded" if final.startswith("2") else "failed"
        if self.status in (302, 303):
            # A monitor's redirect means done: succeeded, unless its body says it failed.
            return status if status in ("failed", "canceled") else "succeeded"
        if isinstance(status, str):
            # The Azure guidelines spell states their way: Running, NotStarted (queued).
            return "queued" if status.lower() == "notstarted" else status.lower()
        return "error" if self.status >= 400 else ""

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    @property
    def progress(self) -> int | None:
        """The job's progress (0 to 100) while this answer reports a pending job."""
        data = self._job
        if self.job_state in ("queued", "running"):
            value = data.get("progress", data.get("percentComplete"))
            return value if isinstance(value, int) else None
        return None

    @property
    def message(self) -> str:
        message = self._job.get("message")
        return message if isinstance(message, str) else ""

    @property
    def curl(self) -> str:
        """The same request as a shell command that sends the body byte for byte.

        --data-raw, not --data-binary: curl reads a body that starts with @ from the
        file it names, so a reader's body could make their own curl upload a local file.
        """
        parts = ["curl", "-i"]
        if self.method != "GET":
            parts += ["-X", self.method]
        parts.append(self.url)
        for name, value in self.request_headers:
            parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data-raw", self.request_body]
        return " ".join(shlex.quote(part) for part in parts)


def _allowed(method: str, path: str) -> bool:
    return any(path.startswith(prefix) for prefix in ALLOWED_REQUESTS.get(method, ()))


class _InProcessHandler(BaseHandler):
    def __init__(self) -> None:
        super().__init__()
        self.load_middleware()


_handler: _InProcessHandler | None = None


def _get_handler() -> _InProcessHandler:
    global _handler
    if _handler is None:
        _handler = _InProcessHandler()
    return _handler


def _release(response: HttpResponseBase) -> None:
    """Free what the response holds, as response.close() would, but without its signal.

    close() announces request_finished, and its receiver close_old_connections
    would end the database connection of the request that called us, in the
    middle of it (inside its transaction, with ATOMIC_REQUESTS). Django's test
    client avoids the same signal for the same reason. The caller's own request
    still finishes, and announces it, as usual.
    """
    for close in getattr(response, "_resource_closers", []):
        close()


def _pretty(body: bytes, content_type: str) -> tuple[str, str]:
    if not body:
        return "", ""
    if "json" in content_type:
        try:
            return json.dumps(json.loads(body), indent=2, ensure_ascii=False), ""
        except ValueError:
            pass
    try:
        return body.decode("utf-8"), ""
    except UnicodeDecodeError:
        return "", f"{len(body)} bytes of binary content"


def send(
    *,
    origin_request: HttpRequest,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> Exchange:
    """Send one request to the demo API in process and capture the whole answer."""
    parts = urlsplit(url)
    path = parts.path
    if parts.netloc and parts.netloc != origin_request.get_host():
        raise RequestRefused(f"the console only talks to this site, not {parts.netloc}")
    if not _allowed(method, path) or ".." in path:
        raise RequestRefused(f"the console cannot send {method} {path}")
    if len(body) > MAX_CONSOLE_BODY:
        raise RequestRefused("the request body is larger than the console sends")
    headers = {
        name: value
        for name, value in (headers or {}).items()
        if name in FORWARDED_HEADERS and value
    }
    for name, value in headers.items():
        limit = HEADER_LIMITS.get(name, MAX_FORWARDED_HEADER)
        if len(value) > limit:
            raise RequestRefused(
                f"the {name} header has {len(value)} characters; the API reads at most {limit}"
            )
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": origin_request.get_host().split(":")[0],
        "SERVER_PORT": origin_request.get_port(),
        "HTTP_HOST": origin_request.get_host(),
        # The reader's address, not the console's: the API's limits count the console's
        # requests against the reader who made them.
        "REMOTE_ADDR": client_address(origin_request),
        "wsgi.url_scheme": origin_request.scheme,
        "wsgi.input": BytesIO(body),
        "wsgi.errors": BytesIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        if name == "Content-Type":
            environ["CONTENT_TYPE"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    # As the site's WSGI application builds it: a Content-Type Django cannot parse is
    # the API's to judge, not a 500.
    response: HttpResponseBase = _get_handler().get_response(BoundedRequest(environ))
    content = b"".join(response) if response.streaming else response.content  # type: ignore[attr-defined]
    _release(response)
    pretty, note = _pretty(content, response.get("Content-Type", ""))
    absolute = f"{origin_request.scheme}://{origin_request.get_host()}{path}"
    if parts.query:
        absolute += f"?{parts.query}"
    return Exchange(
        method=method,
        url=absolute,
        request_headers=tuple(headers.items()),
        request_body=body.decode("utf-8", errors="replace"),
        status=response.status_code,
        reason=response.reason_phrase or HTTPStatus(response.status_code).phrase,
        response_headers=tuple(response.items()),
        response_body=pretty,
        body_note=note,
    )
