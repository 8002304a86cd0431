"""Who may use the console, and how often: where a request comes from, and what it costs.

Every console view sends in-process requests to the demo API as the reader, or
renders a page tens of kilobytes long. Two checks run before any of that, and a
refusal is a page of a few hundred bytes:

- Where from. The browser's Sec-Fetch-Site says whether this site's own pages
  asked. Another site's page could otherwise make a visitor's browser load a
  poll URL from an <img> tag, spending the visitor's allowance at the API, or
  post the console's forms. A console page people link to or frame (an entry)
  also accepts another site's navigation to it: a link in someone's docs, the
  embed's <iframe>. A request without the header is an old browser or a script
  acting for itself; a POST without it is checked by its Origin.
- How often. Each client (as the API's limits key it) may make
  DEMO_CONSOLE_REQUESTS_PER_MINUTE console requests a minute, counted in the
  same shared store as the API's limits; past it the answer is 429 with
  Retry-After. A view that sends many API requests at once (the limits demo)
  costs as many.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Callable
from functools import wraps
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from api.clients import client_address
from jobs.ratestore import rate_store

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
PERIOD = 60.0
# Navigations another site's page may start: a link followed in the reader's tab.
LINKED = frozenset({"document"})
# ...and, for the embed, the <iframe> of the snippet doc writers paste.
FRAMED = frozenset({"document", "iframe"})
REFUSAL_TEMPLATE = "playground/refusal.html"


def foreign_page(request: HttpRequest, *, entry: frozenset[str] = frozenset()) -> str | None:
    """The page a request came from, when the browser says it is not one of this site's.

    Sec-Fetch-Site is what current browsers send; for a POST, Origin covers the
    others. "same-site" is another host of the same domain: still not this site.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # The browser's own word: no proxy between can make it disagree with itself.
        if fetch_site in ("same-origin", "none"):
            return None
        navigation = (
            request.method in ("GET", "HEAD")
            and request.headers.get("Sec-Fetch-Mode") == "navigate"
            and request.headers.get("Sec-Fetch-Dest") in entry
        )
        if navigation:
            return None
        return request.headers.get("Origin") or f"another site ({fetch_site})"
    if request.method in ("GET", "HEAD"):
        return None
    origin = request.headers.get("Origin")
    own = {f"{request.scheme}://{request.get_host()}", settings.SITE_URL}
    if origin is not None and origin not in own | set(settings.CSRF_TRUSTED_ORIGINS):
        return origin
    return None


def _spend(request: HttpRequest, *, cost: int) -> float:
    """Take cost from the client's console allowance: 0 when allowed, else seconds to wait."""
    limit = settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE
    key = f"console:{client_address(request)}"
    try:
        # More than a minute's allowance could never be granted: it costs the whole minute.
        return rate_store().take(key, cost=min(cost, limit), limit=limit, period=PERIOD)
    except (sqlite3.Error, DatabaseError, redis.RedisError, OSError):
        # The limits protect the site; they must never be what takes it down.
        logger.exception("The rate limit store failed; letting the console request through.")
        return 0.0


def refusal(
    request: HttpRequest,
    message: str,
    *,
    status: int,
    retry_after: int | None = None,
    framable: bool = False,
) -> HttpResponse:
    """A small page (or, for htmx, a fragment) saying why the console did nothing."""
    htmx = getattr(request, "htmx", False)
    again = request.get_full_path() if request.method in ("GET", "HEAD") else ""
    context = {"message": message, "status": status, "again": again if status == 403 else ""}
    template = f"{REFUSAL_TEMPLATE}#refusal" if htmx else REFUSAL_TEMPLATE
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    # It answers this one request (where it came from, how many came before): a cache
    # in front must not hand it to the next reader of the same URL.
    patch_cache_control(response, no_store=True)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if framable:
        # Said inside the embed's own frame rather than as the browser's error page.
        response.xframe_options_exempt = True
        response.frame_ancestors = "*"  # type: ignore[attr-defined]
    return response


def console_view(
    *,
    entry: frozenset[str] = frozenset(),
    cost: Callable[[HttpRequest], int] | None = None,
    framable: bool = False,
) -> Callable[[View], View]:
    """Run the view only for this site's own pages (and, for an entry, links and frames to
    it), within the client's console allowance; refuse small otherwise.

    The console sets no cookie and its forms carry no CSRF token: framed in another
    site's page, a browser that blocks third-party cookies would never send one
    back. Where a POST comes from is the check that replaces it.
    """

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            page = foreign_page(request, entry=entry)
            if page is not None:
                verb = "sends" if request.method == "POST" else "answers"
                message = (
                    f"Refused: this console {verb} only from this site's own pages, and this "
                    f"request came from {page}. Nothing was sent to the API. Call the demo "
                    "API directly instead: it answers any origin."
                )
                return refusal(request, message, status=403, framable=framable)
            wait = _spend(request, cost=cost(request) if cost else 1)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                limit = settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE
                message = (
                    f"Too many requests: this console answers {limit} requests a minute from "
                    f"one address. Nothing was sent to the API; try again in {seconds} s."
                )
                return refusal(request, message, status=429, retry_after=seconds, framable=framable)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
