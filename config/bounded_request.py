"""A request whose Content-Type Django parses only when it is of a readable length.

A stopgap for Django itself: django.utils.http.parse_header_parameters reads a
Content-Type's parameters with the standard library's email parser, whose scan
for quotes takes time that grows with the square of the header's length, and
Django runs it while it builds every request, before any view or middleware (and
again for a multipart form). 8 KB of `";;;...` (one header line as gunicorn reads
it) costs tens of milliseconds of CPU for any URL. The same parse raises ValueError
for an RFC 2231 parameter with an unknown charset, which would answer 500. Delete
this module when Django parses parameters in one pass and without raising.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import BadRequest
from django.core.handlers.wsgi import WSGIRequest

# The longest Content-Type the site parses, for any URL (the API answers a longer one 431).
MAX_CONTENT_TYPE = 1024


class BoundedRequest(WSGIRequest):
    """A Content-Type longer than the site reads is not parsed, nor one Django cannot
    parse: the request has no content type, the API judges the header itself (431 for
    a long one), and a form sent with it cannot be read (400)."""

    def _set_content_type_params(self, meta: dict[str, Any]) -> None:
        self.unreadable_content_type = ""
        if len(meta.get("CONTENT_TYPE", "")) > MAX_CONTENT_TYPE:
            self.unreadable_content_type = (
                f"its Content-Type is longer than the {MAX_CONTENT_TYPE} characters this site reads"
            )
        else:
            try:
                super()._set_content_type_params(meta)  # type: ignore[misc]
            except ValueError as error:
                self.unreadable_content_type = f"its Content-Type cannot be read ({error})"
        if self.unreadable_content_type:
            self.content_type, self.content_params = "", {}

    def _load_post_and_files(self) -> None:
        if self.unreadable_content_type and self.method == "POST":
            raise BadRequest(self.unreadable_content_type)
        super()._load_post_and_files()
