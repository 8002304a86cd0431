"""A request whose Content-Type Django parses only when it is of a readable length.

A stopgap for Django itself: django.utils.http.parse_header_parameters reads a
Content-Type's parameters with the standard library's email parser, whose scan
for quotes takes time that grows with the square of the header's length, and
Django runs it while it builds every request, before any view or middleware (and
again for a multipart form). 8 KB of `";;;...` (one header line as gunicorn reads
it) costs tens of milliseconds of CPU for any URL. Delete this module when Django
parses parameters in one pass.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest
from django.core.handlers.wsgi import WSGIRequest

from playground.api.headers import MAX_CONTENT_TYPE


class BoundedRequest(WSGIRequest):
    """A Content-Type longer than the site reads is not parsed: the request has no
    content type, the API refuses it (431), and a form sent with it cannot be read."""

    def _set_content_type_params(self, meta: dict[str, Any]) -> None:
        self.content_type_too_long = len(meta.get("CONTENT_TYPE", "")) > MAX_CONTENT_TYPE
        if self.content_type_too_long:
            self.content_type, self.content_params = "", {}
            return
        super()._set_content_type_params(meta)  # type: ignore[misc]

    def _load_post_and_files(self) -> None:
        if self.content_type_too_long and self.method == "POST":
            raise BadRequest(
                f"its Content-Type is longer than the {MAX_CONTENT_TYPE} characters this site reads"
            )
        super()._load_post_and_files()
