"""The request headers a POST that starts a job may carry: Prefer (RFC 7240),
Idempotency-Key, and the body's Content-Type, Content-Length and Content-Disposition;
and its one query parameter, the outcome preset.

All are read before anything is created, so a header the API cannot use never
fails a request whose job is already committed. A header that does not parse is
refused, except Prefer: a server ignores the preferences it cannot use (RFC 7240).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.http import HttpRequest

from playground.api.problems import Rejected
from playground.conventions import OUTCOME_PARAMETER, OUTCOMES

# Prefer: wait=N is honoured up to this many seconds; a request should not hang longer.
MAX_WAIT = 10
MAX_IDEMPOTENCY_KEY = 255
# One element of a comma-separated header list, or the part of a preference before
# its first ";": a quoted-string may contain both separators (RFC 9110 section 5.6).
LIST_ELEMENT = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')
BEFORE_PARAMETERS = re.compile(r'(?:[^;"]|"(?:[^"\\]|\\.)*")*')
DIGITS = re.compile(r"[0-9]+")
# Optional whitespace (RFC 9110 section 5.6.3): what surrounds a field value or its parts.
OWS = " \t"
# A media type (RFC 9110 section 8.3.1): type/subtype, then ";"-separated name=value
# parameters; ASCII only (obs-text, the obsolete bytes above 0x7F, is not read).
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
MEDIA_TYPE = re.compile(rf"{TOKEN}/{TOKEN}(?:[ \t]*;[ \t]*(?:{TOKEN}=(?:{TOKEN}|{QUOTED}))?)*")
# Idempotency-Key is a structured-field string (RFC 8941: printable ASCII in double
# quotes, \" and \\ escaped); like Stripe, a bare key of visible ASCII without " or \ too.
# The key is the string's value, at most MAX_IDEMPOTENCY_KEY characters either way.
BARE_KEY = rf"[!#-\[\]-~]{{1,{MAX_IDEMPOTENCY_KEY}}}"
QUOTED_KEY = rf'"(?:[ !#-\[\]-~]|\\["\\]){{1,{MAX_IDEMPOTENCY_KEY}}}"'
# The header's value, as the OpenAPI document states it: a key with optional whitespace
# around it, or only whitespace (nothing at all included), which is no key.
IDEMPOTENCY_KEY_PATTERN = rf"^[ \t]*(?:(?:{BARE_KEY}|{QUOTED_KEY})[ \t]*)?$"


@dataclass(frozen=True)
class Preferences:
    respond_async: bool
    # Seconds to wait for the outcome, already capped at MAX_WAIT; None when not asked.
    wait: int | None


@dataclass(frozen=True)
class Submission:
    """What any POST that starts a job says besides its body (and its ?outcome= preset)."""

    preferences: Preferences
    idempotency_key: str | None
    # An outcome preset (playground.conventions.OUTCOMES), or "".
    outcome: str = ""

    def fingerprint(self, body: str) -> str:
        """What an Idempotency-Key is compared with: the body's digest, and the outcome
        preset when there is one (the same body with another preset is another request)."""
        if not self.outcome:
            return body
        return hashlib.sha256(f"{body}\noutcome={self.outcome}".encode()).hexdigest()


def read_submission(request: HttpRequest) -> Submission:
    return Submission(
        preferences=read_prefer(request),
        idempotency_key=_idempotency_key(request),
        outcome=read_outcome(request),
    )


def read_outcome(request: HttpRequest) -> str:
    """The ?outcome= preset a submit URL was given ("" without one).

    An unknown, empty or repeated outcome is refused, and so is any other query
    parameter: as with the body's fields, what the API would ignore is an error.
    """
    unknown = sorted(name for name in request.GET if name != OUTCOME_PARAMETER)
    if unknown:
        raise Rejected(
            "invalid-request",
            f"A submit URL takes no query parameter but {OUTCOME_PARAMETER}.",
            [{"parameter": name[:40], "detail": "Unknown query parameter."} for name in unknown],
        )
    values = request.GET.getlist(OUTCOME_PARAMETER)
    known = ", ".join(OUTCOMES)
    if len(values) > 1:
        problem = f"Give one outcome, not {len(values)}; the outcomes are {known}."
    elif values and values[0] not in OUTCOMES:
        problem = f"{values[0][:40]!r} is no outcome; the outcomes are {known}."
    else:
        return values[0] if values else ""
    raise Rejected(
        "invalid-request",
        f"The {OUTCOME_PARAMETER} query parameter is not valid: {problem}",
        [{"parameter": OUTCOME_PARAMETER, "detail": problem}],
    )


def parse_prefer(header: str) -> dict[str, str]:
    """The preferences of a Prefer header (RFC 7240): lower-cased names and their values.

    Several Prefer headers arrive joined by commas, like any list header. Spaces and
    tabs may surround "=", values may be quoted, parameters after ";" are ignored, and
    of a preference given twice only the first counts. Anything else (a control
    character, say) makes a preference one the API does not know: it is ignored.
    """
    preferences: dict[str, str] = {}
    for element in LIST_ELEMENT.findall(header):
        match = BEFORE_PARAMETERS.match(element)
        name, _, value = (match.group() if match else "").partition("=")
        name, value = name.strip(OWS).lower(), value.strip(OWS)
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


def read_media_type(request: HttpRequest, *, accept_post: str) -> str:
    """The body's type/subtype from Content-Type, lower-cased ("" when there is none).

    A Content-Type that is not a media type is refused (415), never guessed at.
    """
    value = request.META.get("CONTENT_TYPE", "").strip(OWS)
    if value and not MEDIA_TYPE.fullmatch(value):
        raise Rejected(
            "unsupported-media-type",
            f"Content-Type {value!r} is not a media type: write type/subtype, then any "
            '"; name=value" parameters (RFC 9110 section 8.3.1), in ASCII.',
            headers={"Accept-Post": accept_post},
        )
    return value.partition(";")[0].strip(OWS).lower()


def read_content_length(request: HttpRequest) -> int | None:
    """Content-Length in bytes (None when absent); anything but digits is refused."""
    value = request.headers.get("Content-Length", "").strip(OWS)
    if not value:
        return None
    if not DIGITS.fullmatch(value):
        raise Rejected(
            "invalid-content-length", f"Content-Length {value!r} is not a number of bytes."
        )
    significant = value.lstrip("0") or "0"
    # int() refuses more than 4300 digits; anything near that is too large anyway.
    return int(significant) if len(significant) <= 18 else 10**18


def cut_short(declared: int | None, *, received: int | None = None) -> Rejected:
    """The body ended before the length its Content-Length announced (the client stopped
    sending, or the connection broke): none of it is used."""
    announced = f"the {declared} bytes its Content-Length announced"
    if received is not None:
        detail = f"The body ended after {received} of {announced}"
    elif declared is not None:
        detail = f"The body ended before {announced} (the connection broke)"
    else:
        detail = "The body could not be read to its end (the connection broke)"
    return Rejected("invalid-content-length", f"{detail}; none of it is used.")


def _idempotency_key(request: HttpRequest) -> str | None:
    value = request.headers.get("Idempotency-Key", "").strip(OWS)
    if not value:
        return None
    key = _sf_string(value) if value.startswith('"') else value
    problem = _key_problem(value, key)
    if problem is not None:
        raise Rejected(
            "invalid-request",
            f"The Idempotency-Key header is not valid: {problem}",
            [{"header": "Idempotency-Key", "detail": problem}],
        )
    return key


def _sf_string(value: str) -> str | None:
    """The value of a structured-field string (RFC 8941 section 4.2.5); None if it is not one."""
    if len(value) < 2 or value[-1] != '"':
        return None
    chars, escaped = [], False
    for char in value[1:-1]:
        if escaped and char not in '"\\':
            return None
        if not escaped and char == '"':
            return None
        escaped = not escaped and char == "\\"
        if not escaped:
            chars.append(char)
    return None if escaped else "".join(chars)


def _key_problem(value: str, key: str | None) -> str | None:
    """What makes an Idempotency-Key value unusable, or None; key is what it names."""
    odd = next((char for char in value if not " " <= char <= "~"), None)
    if odd is not None:
        return f"{odd!r} is not printable ASCII (U+0020 to U+007E)."
    if key is None:
        return (
            'Not a structured-field string: printable ASCII in double quotes, with \\" and '
            "\\\\ escaped, and nothing after the closing quote (RFC 8941)."
        )
    if not value.startswith('"') and any(char in ' "\\' for char in value):
        return (
            'Without quotes a key is visible ASCII with no space, " or \\; send such a key '
            "as a quoted structured-field string."
        )
    if not key:
        return "The quoted string is empty; a key has at least one character."
    if len(key) > MAX_IDEMPOTENCY_KEY:
        return f"A key is at most {MAX_IDEMPOTENCY_KEY} characters; this one has {len(key)}."
    return None
