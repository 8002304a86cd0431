"""What the checker's views share: what the page always shows, the form's cap, and 303."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control

from checker.rules import RULES

# The most the checker reads of one upload or paste.
MAX_INPUT = 2 * 1024 * 1024


def page_context() -> dict[str, object]:
    """What the checker's page shows whatever was asked: the forms and the rules."""
    return {
        "rules": RULES.values(),
        "max_input": MAX_INPUT,
        "keep_days": settings.CHECKER_KEEP_DAYS,
        "allow_local": settings.CHECKER_ALLOW_LOCAL,
    }


def is_form(request: HttpRequest) -> bool:
    return request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded")


def see_other(url: str) -> HttpResponse:
    """303 See Other: GET this URL next (a form's answer, a finished check's report)."""
    answer = HttpResponseRedirect(url, status=303)
    patch_cache_control(answer, no_store=True)
    return answer
