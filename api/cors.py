"""CORS for /api/: any origin may call the demo API from a browser, without credentials."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

API_PREFIX = "/api/"
ALLOW_METHODS = "GET, HEAD, POST, DELETE, OPTIONS"
ALLOW_HEADERS = "Content-Type, Content-Disposition, Idempotency-Key, Prefer, If-None-Match"
# Without this list a browser script could not read where its job went.
EXPOSE_HEADERS = (
    "Location, Content-Location, Operation-Location, Retry-After, Preference-Applied, ETag, "
    "AsyncResult"
)
# What every other path under /api/ resolves to: a problem+json 404 for any method.
NOT_FOUND = "api:not-found"


class ApiCorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if is_preflight(request) and is_endpoint(request):
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response["Access-Control-Max-Age"] = "600"
        else:
            # A preflight to a path that is no endpoint gets the 404 any request there
            # gets: the browser then refuses the request it was about to send.
            response = self.get_response(request)
            response["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        # "*" never carries cookies, which this API does not use anyway.
        response["Access-Control-Allow-Origin"] = "*"
        return response


def is_preflight(request: HttpRequest) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def is_endpoint(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name != NOT_FOUND
