"""What real client libraries conclude about a job, under each convention: the measured tables."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from config.page_cache import cached_page


@require_safe
@cached_page()
def clients(request: HttpRequest) -> HttpResponse:
    return render(request, "playground/clients.html")
