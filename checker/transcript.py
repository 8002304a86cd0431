"""A flow from a pasted transcript: HTTP messages as `curl -i` and `curl -v` print them.

`curl -v` marks what it sent with "> " and what it received with "< " (its own notes
start with "* " and are skipped); `curl -i` prints the response alone, and a request
line (`POST /jobs HTTP/1.1`) with its headers may be pasted before it. Each response
is paired with the request before it; one printed without its request gets a GET of
the URL it came from when a Location before it named one, or no URL at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from checker.exchanges import MAX_BODY, BadInput, Exchange, Request, Response

REQUEST_LINE = re.compile(r"^([A-Z][A-Z-]{1,15}) (\S+) HTTP/\d(?:\.\d)?$")
STATUS_LINE = re.compile(r"^(HTTP/\d(?:\.\d)?) (\d{3})(?: (.*))?$")
HEADER = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$")
# More messages than one job's flow needs, few enough to check at once.
MAX_MESSAGES = 1000


@dataclass
class Message:
    start: re.Match[str]
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    in_body: bool = False

    @property
    def is_response(self) -> bool:
        return self.start.re is STATUS_LINE


def read(text: str) -> list[Exchange]:
    messages = split(text)
    if not any(message.is_response for message in messages):
        raise BadInput(
            "No HTTP response found: paste what curl -i or curl -v printed, each "
            "response starting with its status line (HTTP/1.1 202 Accepted)."
        )
    exchanges: list[Exchange] = []
    pending: Message | None = None
    for message in messages:
        if not message.is_response:
            pending = message
            continue
        if message.start.group(2).startswith("1"):
            continue  # an interim answer (100 Continue): the final one follows
        request = to_request(pending, exchanges)
        exchanges.append(Exchange(request, to_response(message)))
        pending = None
    return exchanges


def split(text: str) -> list[Message]:
    messages: list[Message] = []
    current: Message | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw
        if line.startswith(("* ", "{ [", "} [")) or line == "*":
            continue
        if line.startswith(("> ", "< ")) or line in (">", "<"):
            line = line[2:]
        start = REQUEST_LINE.match(line) or STATUS_LINE.match(line)
        if start:
            current = Message(start)
            messages.append(current)
            if len(messages) > MAX_MESSAGES:
                raise BadInput(f"More than {MAX_MESSAGES} HTTP messages: paste one flow.")
            continue
        if current is None:
            if line.strip():
                raise BadInput(
                    f"Line {number} comes before any request or status line: "
                    f"{line[:80]!r}. A transcript starts with one (HTTP/1.1 202 Accepted)."
                )
            continue
        if not current.in_body:
            if not line.strip():
                current.in_body = True
                continue
            header = HEADER.match(line)
            if header is None:
                raise BadInput(f"Line {number} is not a header field: {line[:80]!r}.")
            current.headers.append((header.group(1), header.group(2)))
        else:
            current.body.append(line)
    return messages


def to_request(message: Message | None, before: list[Exchange]) -> Request:
    if message is None:
        # curl -i prints no request: a poll of where the last answer pointed, if it did.
        url = ""
        if before:
            last = before[-1]
            where = last.response.header("Location") or last.response.header("Operation-Location")
            url = last.resolve(where) if where else ""
        return Request(method="GET" if url else "", url=url)
    method, target = message.start.group(1), message.start.group(2)
    host = next((v for k, v in message.headers if k.lower() == "host"), "")
    url = target if "://" in target else (f"http://{host}{target}" if host else target)
    return Request(method, url, tuple(message.headers), body_of(message))


def to_response(message: Message) -> Response:
    return Response(
        status=int(message.start.group(2)),
        reason=message.start.group(3) or "",
        headers=tuple(message.headers),
        body=body_of(message),
        http_version=message.start.group(1),
    )


def body_of(message: Message) -> str:
    return "\n".join(message.body).strip("\n")[:MAX_BODY]
