from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.proxies import from_trusted_proxy

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

# The powerful browser features the site never uses, denied to its pages (and to
# anything they might frame), so a script that got in could not ask for them either.
# Only features Chromium recognises: an unknown one is a console warning on every page.
# Not listed: clipboard-write, which the "copy link" controls use.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "compute-pressure",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "identity-credentials-get",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "storage-access",
        "usb",
        "window-management",
        "xr-spatial-tracking",
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


class PermissionsPolicyMiddleware:
    """Permissions-Policy on every response, static files and CORS preflights included.

    It comes right after SecurityMiddleware in MIDDLEWARE, before anything that can
    answer early (the CORS preflight, WhiteNoise).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class ForwardedProtoMiddleware:
    """X-Forwarded-Proto only from a trusted proxy (DJANGO_TRUSTED_PROXIES).

    Django believes the header as a whole (SECURE_PROXY_SSL_HEADER); removing it from
    anyone else's request, first in MIDDLEWARE, keeps a client that connects directly
    from claiming https, whatever it sends.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)
