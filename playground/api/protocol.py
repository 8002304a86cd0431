"""HTTP mechanics every endpoint of the demo API shares, apart from the views.

Methods (OPTIONS, 405 + Allow), JSON and conditional responses, and the request
headers a POST may carry: Prefer (RFC 7240) and Idempotency-Key. Both headers are
read before anything is created, so a header the API cannot use never fails a
request whose job is already committed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.csrf import csrf_exempt

from playground import jobs
from playground.models import Job
from playground.problems import Rejected, problem

# Prefer: wait=N is honoured up to this many seconds; a request should not hang longer.
MAX_WAIT = 10
MAX_IDEMPOTENCY_KEY = 255
# One element of a comma-separated header list, or the part of a preference before
# its first ";": a quoted-string may contain both separators (RFC 9110 section 5.6).
LIST_ELEMENT = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')
BEFORE_PARAMETERS = re.compile(r'(?:[^;"]|"(?:[^"\\]|\\.)*")*')
DIGITS = re.compile(r"[0-9]+")


View = Callable[..., HttpResponse]


def allow_methods(*methods: str) -> Callable[[View], View]:
    """Like require_http_methods, but OPTIONS is answered and 405 is a problem+json."""
    allowed = [*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"]
    allow = ", ".join(allowed)

    def decorator(view: View) -> View:
        # No cookies or credentials are involved, so there is nothing for CSRF to protect.
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = allow
                return response
            if request.method not in allowed:
                detail = f"{request.method} is not allowed here; use {allow}."
                return problem(request, "method-not-allowed", detail, headers={"Allow": allow})
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def json_response(body: dict[str, Any], *, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"indent": 2})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def monitored(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # A status must never be served stale, but an unchanged one can be a cheap 304.
    patch_cache_control(response, no_cache=True)
    response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    if conditional is not None and conditional.status_code == 304 and "Retry-After" in response:
        # Django's 304 keeps only the caching headers; a poller still needs its pace.
        conditional["Retry-After"] = response["Retry-After"]
    return conditional or response


@dataclass(frozen=True)
class Preferences:
    respond_async: bool
    # Seconds to wait for the outcome, already capped at MAX_WAIT; None when not asked.
    wait: int | None


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


def read_idempotency_key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        detail = f"Idempotency-Key is at most {MAX_IDEMPOTENCY_KEY} characters."
        raise Rejected(
            "invalid-request", "Idempotency-Key too long.", [{"pointer": "", "detail": detail}]
        )
    return key


def create_once(
    *, key: str | None, kind: str, fingerprint: str, create: Callable[[str | None], Job]
) -> Job:
    """Create the job, or return the one an identical earlier request with this key created."""
    if key is None:
        return create(None)
    try:
        earlier = jobs.claim_idempotency_key(kind=kind, key=key, fingerprint=fingerprint)
    except jobs.IdempotencyKeyReused:
        detail = "This Idempotency-Key was first used with a different request."
        raise Rejected("idempotency-key-reused", detail) from None
    except jobs.IdempotencyKeyInFlight:
        detail = "The first request with this Idempotency-Key is still being processed."
        raise Rejected("idempotency-key-in-flight", detail, headers={"Retry-After": "1"}) from None
    if earlier is not None:
        return earlier
    try:
        return create(key)
    except BaseException:
        jobs.release_idempotency_key(kind=kind, key=key)
        raise
