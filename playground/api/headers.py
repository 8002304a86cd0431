"""The request headers a POST that starts a job may carry: Prefer (RFC 7240), Idempotency-Key.

Both are read before the body and before anything is created, so a header the
API cannot use never fails a request whose job is already committed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.http import HttpRequest

from playground.api.problems import Rejected

# Prefer: wait=N is honoured up to this many seconds; a request should not hang longer.
MAX_WAIT = 10
MAX_IDEMPOTENCY_KEY = 255
# One element of a comma-separated header list, or the part of a preference before
# its first ";": a quoted-string may contain both separators (RFC 9110 section 5.6).
LIST_ELEMENT = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')
BEFORE_PARAMETERS = re.compile(r'(?:[^;"]|"(?:[^"\\]|\\.)*")*')
DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Preferences:
    respond_async: bool
    # Seconds to wait for the outcome, already capped at MAX_WAIT; None when not asked.
    wait: int | None


@dataclass(frozen=True)
class Submission:
    """What any POST that starts a job says besides its body."""

    preferences: Preferences
    idempotency_key: str | None


def read_submission(request: HttpRequest) -> Submission:
    return Submission(preferences=read_prefer(request), idempotency_key=_idempotency_key(request))


def parse_prefer(header: str) -> dict[str, str]:
    """The preferences of a Prefer header (RFC 7240): lower-cased names and their values.

    Several Prefer headers arrive joined by commas, like any list header. Whitespace
    may surround "=", values may be quoted, parameters after ";" are ignored, and of
    a preference given twice only the first counts.
    """
    preferences: dict[str, str] = {}
    for element in LIST_ELEMENT.findall(header):
        match = BEFORE_PARAMETERS.match(element)
        name, _, value = (match.group() if match else "").partition("=")
        name, value = name.strip().lower(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if name and name not in preferences:
            preferences[name] = value
    return preferences


def read_prefer(request: HttpRequest) -> Preferences:
    preferences = parse_prefer(request.headers.get("Prefer", ""))
    wait = preferences.get("wait", "")
    seconds = None
    # Only ASCII digits: str.isdigit() also accepts "²", which int() refuses. A server
    # ignores a preference it cannot use (RFC 7240), so a bad wait is no error.
    if DIGITS.fullmatch(wait):
        significant = wait.lstrip("0")
        seconds = MAX_WAIT if len(significant) > 3 else min(int(significant or "0"), MAX_WAIT)
    return Preferences(respond_async="respond-async" in preferences, wait=seconds)


def _idempotency_key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        detail = f"Idempotency-Key is at most {MAX_IDEMPOTENCY_KEY} characters."
        raise Rejected(
            "invalid-request", "Idempotency-Key too long.", [{"pointer": "", "detail": detail}]
        )
    return key
