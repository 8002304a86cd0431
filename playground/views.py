"""The playground page: where readers fire the 202 examples at the demo API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from reference.content import get_catalog


@require_safe
def playground(request: HttpRequest) -> HttpResponse:
    page = get_catalog().pages[202]
    return render(request, "playground/playground.html", {"page": page, "examples": page.examples})
