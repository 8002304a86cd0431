from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site_origin(request: HttpRequest) -> str:
    """The public origin for canonical links: SITE_URL, or the one the request came in on."""
    return settings.SITE_URL or f"{request.scheme}://{request.get_host()}"


def site(request: HttpRequest) -> dict[str, str]:
    return {"site_origin": site_origin(request), "site_name": "HTTP 202 Accepted, explained"}
