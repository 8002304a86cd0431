"""The request headers a POST that starts a job may carry: Prefer (RFC 7240),
Idempotency-Key, and the body's Content-Type, Content-Length and Content-Disposition;
and its one query parameter, the outcome preset.

All are read before anything is created, so a header the API cannot use never
fails a request whose job is already committed. A header that does not parse is
refused, except Prefer: a server ignores the preferences it cannot use (RFC 7240).

Each header has a length past which none of it is parsed (HEADER_LIMITS): a longer
one is refused with 431 (an Idempotency-Key with the 422 of any key too long), and a
longer Prefer is ignored. Below it, each is read in one pass: split outside quoted
strings and scanned, never matched by a pattern that could try it more than one way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest

from api.presets import OUTCOME_PARAMETER, OUTCOMES
from api.problems import Rejected
from config.bounded_request import MAX_CONTENT_TYPE

# Prefer: wait=N is honoured up to this many seconds; a request should not hang longer.
MAX_WAIT = 10
MAX_IDEMPOTENCY_KEY = 255
# The longest value of each header the API reads: a longer one is not parsed at all.
# Each is far above what a client sends (a multipart boundary is at most 70 characters,
# a file name 255), so the cost of reading any header stays small and bounded.
# (The Content-Type's is the site's own: no request of any URL parses a longer one.)
MAX_CONTENT_DISPOSITION = 4096
# 20 digits: more bytes than any disk holds.
MAX_CONTENT_LENGTH = 20
# A quoted key whose every character is escaped: two characters each, and its quotes.
MAX_IDEMPOTENCY_KEY_HEADER = 2 + 2 * MAX_IDEMPOTENCY_KEY
# Several Prefer lines arrive joined by commas; past this they are ignored together.
MAX_PREFER = 1024
HEADER_LIMITS = {
    "Content-Type": MAX_CONTENT_TYPE,
    "Content-Disposition": MAX_CONTENT_DISPOSITION,
    "Content-Length": MAX_CONTENT_LENGTH,
    "Idempotency-Key": MAX_IDEMPOTENCY_KEY_HEADER,
    "Prefer": MAX_PREFER,
}
DIGITS = re.compile(r"[0-9]+")
# Optional whitespace (RFC 9110 section 5.6.3): what surrounds a field value or its parts.
OWS = " \t"
# A run of text without quotes, or a quoted string (closed, or running to the end):
# the branches start differently, and in a quoted string a backslash and what it
# escapes are one step, so the text is cut into segments one way only.
SEGMENTS = re.compile(r'[^"]+|"(?:[^"\\]|\\.)*"?', re.DOTALL)
ESCAPED = re.compile(r"\\(.)")
# A media type (RFC 9110 section 8.3.1): type/subtype, then any number of parameters,
# each matched where the last one ended (see is_media_type). ASCII only (obs-text, the
# obsolete bytes above 0x7F, is not read). Within a parameter each character can be
# read one way only: whitespace, ";", a token and "=" are told apart by their first
# character, and in a quoted string a backslash starts a pair and is no qdtext.
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
TYPE_SUBTYPE = re.compile(rf"{TOKEN}/{TOKEN}")
PARAMETER = re.compile(rf"[ \t]*;[ \t]*(?:{TOKEN}=(?:{TOKEN}|{QUOTED}))?")
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
    # The ?outcome= preset (a Job.Preset value), or "".
    preset: str = ""

    def fingerprint(self, body: str) -> str:
        """What an Idempotency-Key is compared with: the body's digest, and the preset
        when there is one (the same body with another preset is another request)."""
        if not self.preset:
            return body
        return hashlib.sha256(f"{body}\noutcome={self.preset}".encode()).hexdigest()


def read_submission(request: HttpRequest) -> Submission:
    return Submission(
        preferences=read_prefer(request),
        idempotency_key=_idempotency_key(request),
        preset=read_preset(request),
    )


def read_preset(request: HttpRequest) -> str:
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


def read_header(request: HttpRequest, name: str) -> str:
    """The value of a header the API reads, refused (431) when longer than its limit,
    before any of it is parsed."""
    value = request.headers.get(name, "")
    limit = HEADER_LIMITS[name]
    if len(value) > limit:
        detail = f"{len(value)} characters; this API reads at most {limit}."
        raise Rejected(
            "header-too-large",
            f"The {name} header is too long: {detail}",
            [{"header": name, "detail": detail}],
        )
    return value


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """text cut at each separator that is not inside a quoted string (RFC 9110 section
    5.6.4). In a quoted string a backslash escapes the next character; a quoted string
    that is never closed runs to the end of text."""
    if '"' not in text:
        return text.split(separator)
    pieces, current = [], []
    # Runs of text and quoted strings, in turn: only the runs can hold a separator.
    for segment in SEGMENTS.findall(text):
        if segment.startswith('"'):
            current.append(segment)
            continue
        first, *rest = segment.split(separator)
        current.append(first)
        for piece in rest:
            pieces.append("".join(current))
            current = [piece]
    pieces.append("".join(current))
    return pieces


def unquote(value: str) -> str:
    """value without its double quotes and backslash escapes, if it is quoted."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return ESCAPED.sub(r"\1", value[1:-1])
    return value


def parse_parameter(text: str) -> tuple[str, str]:
    """A name=value pair (a preference, a parameter): the lower-cased name and the value,
    unquoted, with spaces and tabs around either dropped."""
    name, _, value = text.partition("=")
    return name.strip(OWS).lower(), unquote(value.strip(OWS))


def parse_prefer(header: str) -> dict[str, str]:
    """The preferences of a Prefer header (RFC 7240): lower-cased names and their values.

    Several Prefer headers arrive joined by commas, like any list header. Spaces and
    tabs may surround "=", values may be quoted, parameters after ";" are ignored, and
    of a preference given twice only the first counts. Anything else (a control
    character, say) makes a preference one the API does not know: it is ignored.
    """
    preferences: dict[str, str] = {}
    for element in split_outside_quotes(header, ","):
        name, value = parse_parameter(split_outside_quotes(element, ";")[0])
        if name and name not in preferences:
            preferences[name] = value
    return preferences


def read_prefer(request: HttpRequest) -> Preferences:
    header = request.headers.get("Prefer", "")
    # A server ignores the preferences it cannot use (RFC 7240), so a Prefer header
    # longer than the API reads is no error: it is not read, and none is applied.
    preferences = parse_prefer(header) if len(header) <= MAX_PREFER else {}
    wait = preferences.get("wait", "")
    seconds = None
    # Only ASCII digits: str.isdigit() also accepts "²", which int() refuses. A bad wait
    # is ignored like any preference the API cannot use.
    if DIGITS.fullmatch(wait):
        significant = wait.lstrip("0")
        seconds = MAX_WAIT if len(significant) > 3 else min(int(significant or "0"), MAX_WAIT)
    return Preferences(respond_async="respond-async" in preferences, wait=seconds)


def require_respond_async(request: HttpRequest) -> None:
    """Refuse a submit without Prefer: respond-async, before any job is made.

    OData 4.01 section 11.6: "A service MUST NOT reply to a Data Service Request with
    202 Accepted if the request has not included the respond-async preference." The
    demo's jobs take minutes and it never holds a connection for them, so a request
    without the preference has no answer but this refusal.
    """
    if not read_prefer(request).respond_async:
        raise Rejected(
            "respond-async-required",
            "This submit follows OData 4.01, which answers 202 Accepted only to a request "
            "with Prefer: respond-async; send that header (no job was started).",
        )


def is_media_type(text: str) -> bool:
    """Whether text is a media type (RFC 9110 section 8.3.1): type/subtype, then any
    number of `OWS ";" OWS [name=value]`, the value a token or a quoted string.

    One parameter at a time, each from where the last one ended: no pattern repeats
    the parameters, so none can try to split the text among them in more than one way
    (the whitespace between two ";" was once read every way it could be split).
    """
    match = TYPE_SUBTYPE.match(text)
    while match is not None and match.end() < len(text):
        match = PARAMETER.match(text, match.end())
    return match is not None


def read_media_type(request: HttpRequest, *, accept_post: str) -> str:
    """The body's type/subtype from Content-Type, lower-cased ("" when there is none).

    A Content-Type that is not a media type is refused (415), never guessed at.
    """
    value = read_header(request, "Content-Type").strip(OWS)
    if value and not is_media_type(value):
        raise Rejected(
            "unsupported-media-type",
            f"Content-Type {value!r} is not a media type: write type/subtype, then any "
            '"; name=value" parameters (RFC 9110 section 8.3.1), in ASCII.',
            headers={"Accept-Post": accept_post},
        )
    return value.partition(";")[0].strip(OWS).lower()


def read_content_length(request: HttpRequest) -> int | None:
    """Content-Length in bytes (None when absent); anything but digits is refused."""
    value = read_header(request, "Content-Length").strip(OWS)
    if not value:
        return None
    if not DIGITS.fullmatch(value):
        raise Rejected(
            "invalid-content-length", f"Content-Length {value!r} is not a number of bytes."
        )
    return int(value)


def read_disposition_filename(request: HttpRequest) -> str:
    """The file name a Content-Disposition header gives (RFC 6266), "" when none.

    filename* (RFC 8187: UTF-8 or ISO-8859-1, percent-encoded) wins over filename, as
    RFC 6266 asks. The header only names the file, so it is read leniently: what cannot
    be read gives no name, never an error.
    """
    names: dict[str, str] = {}
    for parameter in split_outside_quotes(read_header(request, "Content-Disposition"), ";")[1:]:
        name, value = parse_parameter(parameter)
        names.setdefault(name, value)
    encoded = names.get("filename*", "")
    charset, _, rest = encoded.partition("'")
    _language, _, characters = rest.partition("'")
    if charset.lower() in ("utf-8", "iso-8859-1") and characters:
        return unquote_to_bytes(characters).decode(charset, errors="replace")
    return names.get("filename", "")


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
    key: str | None = None
    if len(value) > MAX_IDEMPOTENCY_KEY_HEADER:
        # Longer than any key can be written, quotes and escapes included: not parsed.
        problem: str | None = (
            f"A key is at most {MAX_IDEMPOTENCY_KEY} characters; this header has {len(value)}."
        )
    else:
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
