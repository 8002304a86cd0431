"""What the checker reads: a flow as a list of exchanges, each a request and its response.

Every way in (a HAR file, a pasted transcript) comes down to these; the rules, the
linter and the report read nothing else. Headers keep their order and their case as
sent; look them up with header() and headers(), which ignore case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

# A body the checker reads past this many bytes is cut: the rules need its start only.
MAX_BODY = 256 * 1024

Headers = tuple[tuple[str, str], ...]


class BadInput(Exception):
    """Input the checker cannot read; the message says what was wrong and where."""


def find(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), None)


def find_all(headers: Headers, name: str) -> list[str]:
    lowered = name.lower()
    return [value for key, value in headers if key.lower() == lowered]


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Headers = ()
    body: str = ""

    def header(self, name: str) -> str | None:
        return find(self.headers, name)


@dataclass(frozen=True)
class Response:
    status: int
    reason: str = ""
    headers: Headers = ()
    body: str = ""
    http_version: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        return find(self.headers, name)

    def headers_named(self, name: str) -> list[str]:
        return find_all(self.headers, name)

    @property
    def json(self) -> Any:
        """The body as JSON (problem+json, application/json, ...), or None."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Exchange:
    request: Request
    response: Response
    # Seconds since the first exchange started, when the source says (HAR does).
    started: float | None = None
    notes: tuple[str, ...] = field(default=())

    def resolve(self, reference: str) -> str:
        """A URL from this response (Location, a link in the body) made absolute."""
        return urljoin(self.request.url, reference)
