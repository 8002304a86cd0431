from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from reference.views import not_found


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return not_found(request)
