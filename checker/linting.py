"""Every message of a flow linted by httplint, REDbot's engine: its notes, as text.

httplint knows HTTP message by message (its checks of headers, caching, content
negotiation, ...); the flow rules in rules.py know what no one message shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import strip_tags
from httplint import HttpRequestLinter, HttpResponseLinter
from httplint.note import Note

from checker.exchanges import Exchange

# What each note says, made once per note class and values (see as_text); cleared when
# it holds MAX_TEXTS, since the values come from the messages checked.
_texts: dict[tuple[type, tuple[tuple[str, str], ...]], tuple[str, str]] = {}
MAX_TEXTS = 4096
# httplint's levels, named as the report names levels.
LEVELS = {"BAD": "error", "WARN": "warning", "INFO": "info", "GOOD": "good"}


@dataclass(frozen=True)
class LintNote:
    message: str  # "request" or "response"
    level: str
    name: str
    summary: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {
            "message": self.message,
            "level": self.level,
            "note": self.name,
            "summary": self.summary,
            "detail": self.detail,
        }


def lint(exchange: Exchange) -> list[LintNote]:
    request, response = exchange.request, exchange.response
    notes: list[LintNote] = []
    if request.method and request.url:
        requested = HttpRequestLinter()
        requested.process_request_topline(
            request.method.encode(), request.url.encode(), b"HTTP/1.1"
        )
        requested.process_headers(encoded(request.headers))
        requested.feed_content(request.body.encode())
        requested.finish_content(True)
        notes += [as_text("request", note) for note in requested.notes]
    answered = HttpResponseLinter()
    version = response.http_version.encode()
    answered.process_response_topline(
        version, str(response.status).encode(), response.reason.encode()
    )
    answered.process_headers(encoded(response.headers))
    answered.feed_content(response.body.encode())
    answered.finish_content(True)
    notes += [as_text("response", note) for note in answered.notes]
    return notes


def forget_texts() -> None:
    """Start from cold (the bench measures a first check so)."""
    _texts.clear()


def encoded(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in headers]


def as_text(message: str, note: Note) -> LintNote:
    # The same note with the same values reads the same: its text (Markdown rendered by
    # httplint, half of the cost of a check) is made once.
    key = (type(note), tuple(sorted((str(k), str(v)) for k, v in note.vars.items())))
    if key not in _texts:
        if len(_texts) >= MAX_TEXTS:
            _texts.clear()
        # Plain text: the report escapes it like any other input it shows.
        _texts[key] = (strip_tags(str(note.summary)), strip_tags(str(note.detail)).strip())
    summary, detail = _texts[key]
    return LintNote(
        message=message,
        level=LEVELS.get(note.level.name, note.level.name.lower()),
        name=type(note).__name__,
        summary=summary,
        detail=detail,
    )
