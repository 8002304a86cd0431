"""What both apps need about the site itself: its public origin and the htmx request type.

It lives in config/ so that playground never reaches into reference (or the
other way round) for these.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

SITE_NAME = "HTTP 202 Accepted, explained"


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware."""

    htmx: HtmxDetails


def site_origin(request: HttpRequest) -> str:
    """The public origin for canonical links: SITE_URL, or the one the request came in on."""
    return settings.SITE_URL or f"{request.scheme}://{request.get_host()}"


def absolute_url(request: HttpRequest, path: str) -> str:
    return f"{site_origin(request)}{path}"


def site_context(request: HttpRequest) -> dict[str, str]:
    """Context processor: every template may link to the site's own origin."""
    return {"site_origin": site_origin(request), "site_name": SITE_NAME}


def iso_utc(moment: datetime | None) -> str | None:
    """A moment as the site's JSON writes it (the API, /healthz): UTC, milliseconds, a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
