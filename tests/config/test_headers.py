"""The site-wide security headers, on every kind of response the site gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.templatetags.static import static
from django.test import Client

from config.middleware import PERMISSIONS_POLICY

# The powerful features the site never uses; each must be denied to every origin.
DENIED = ["camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"]

# Each kind of response: how to ask for it, and the status and media type it answers.
KINDS: dict[str, tuple[Callable[[Client], Any], int, str]] = {
    "page": (lambda client: client.get("/202/"), 200, "text/html"),
    "embed": (lambda client: client.get("/playground/embed/"), 200, "text/html"),
    "api-json": (lambda client: client.get("/api/openapi.json"), 200, "application/json"),
    "problem": (
        lambda client: client.get("/api/jobs/job_AAAAAAAAAAAAAAAAAAAA"),
        404,
        "application/problem+json",
    ),
    "preflight": (
        lambda client: client.options(
            "/api/emails/bulk",
            headers={"Origin": "https://docs.example", "Access-Control-Request-Method": "POST"},
        ),
        204,
        "",
    ),
    "static": (lambda client: client.get(static("css/site.css")), 200, "text/css"),
    "health": (lambda client: client.get("/healthz"), 503, "application/json"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_response_carries_the_security_headers(kind: str) -> None:
    ask, status, media_type = KINDS[kind]
    response = ask(Client())
    assert response.status_code == status
    if media_type:
        assert response["Content-Type"].split(";")[0] == media_type

    policy = response["Permissions-Policy"]
    assert policy == PERMISSIONS_POLICY
    directives = dict(item.strip().split("=", 1) for item in policy.split(","))
    for feature in DENIED:
        assert directives[feature] == "()", feature

    # Today's headers stay.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    if kind in ("static", "preflight"):
        # Answered early (WhiteNoise, the CORS middleware), before the CSP and framing
        # middleware: no document, nothing to frame or to run a script in.
        return
    csp = response["Content-Security-Policy"]
    assert "unsafe-" not in csp
    assert "script-src 'self'" in csp
    if kind == "embed":
        assert "X-Frame-Options" not in response
        assert "frame-ancestors *" in csp
    else:
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in csp
