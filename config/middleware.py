from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Everything the site needs comes from its own origin: no CDN, no web fonts,
# no inline script. Framing is refused except where a view opts in.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            frame_ancestors = getattr(response, "frame_ancestors", "'none'")
            response["Content-Security-Policy"] = (
                f"{CONTENT_SECURITY_POLICY}; frame-ancestors {frame_ancestors}"
            )
        return response
