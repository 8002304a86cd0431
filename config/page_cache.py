"""Pages every reader gets the same bytes of, served as a cache would serve them.

A page's ETag is known before it is rendered: it is made from what the page is
made of (the content, the templates, the static manifest, the code, the settings
a page shows) and what picks the variant (the host, the path and query, the
request headers the page varies on). Any deploy changes it. A request that sends
it back in If-None-Match is answered 304 without rendering anything, and the
rendered page is kept in memory, per process, so the next reader gets it without
rendering either. Cache-Control lets a shared cache (a CDN in front) keep the page
and revalidate it with the same cheap 304.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags, quote_etag

# Short: content changes only on deploy, and revalidation is a cheap 304.
PAGE_MAX_AGE = 300
# Rendered pages kept per process; the least recently served go first. A page is a
# few tens of kilobytes, and a query string a reader types makes a page of its own.
MAX_PAGES = 256
# What a page is made of, besides the code.
SOURCE_DIRS = ("templates", "reference", "playground", "config")
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".md", ".yaml", ".yml", ".json", ".js", ".css")


@dataclass(frozen=True)
class StoredPage:
    content: bytes
    content_type: str


_pages: OrderedDict[str, StoredPage] = OrderedDict()
_lock = threading.Lock()


def _files(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from sorted(p for p in root.rglob("*") if p.suffix in SOURCE_SUFFIXES)


@functools.cache
def deployed_digest(content_dir: str) -> str:
    """A digest of every file a page is made of, read once per process."""
    base = Path(settings.BASE_DIR)
    roots = [base / name for name in SOURCE_DIRS]
    roots += [Path(content_dir), base / "requirements.lock"]
    # The manifest names every static file by its content's hash.
    roots.append(Path(settings.STATIC_ROOT) / "staticfiles.json")
    digest = hashlib.sha256()
    for path in _files(roots):
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _shown_setting_names() -> tuple[str, ...]:
    # Pages show the demo's limits and pace, and the site's own name and origin.
    return tuple(sorted(n for n in dir(settings) if n.startswith(("DEMO_", "SITE_"))))


def page_version() -> str:
    """What every page's ETag starts from: the deployed files and the settings pages show."""
    shown = repr([(name, getattr(settings, name)) for name in _shown_setting_names()])
    return f"{deployed_digest(str(settings.REFERENCE_CONTENT_DIR))}:{shown}"


def _variant(request: HttpRequest, vary: tuple[str, ...]) -> str:
    headers = [f"{name}={request.headers.get(name, '')[:200]}" for name in vary]
    return "\n".join([request.get_host(), request.get_full_path(), *headers])


def _matches(request: HttpRequest, etag: str) -> bool:
    # Weak comparison, as for any GET (RFC 9110 §13.1.2): GZipMiddleware weakens the tag.
    sent = request.headers.get("If-None-Match")
    if not sent:
        return False
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in parse_etags(sent))


def _with_cache_headers(response: HttpResponse, etag: str, vary: tuple[str, ...]) -> HttpResponse:
    response.headers["ETag"] = etag
    # No page holds anything of one reader's (the console's forms carry no CSRF
    # token), so a shared cache may keep them too.
    patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
    # GZipMiddleware compresses the 200 (and adds this); the 304 must say it too.
    patch_vary_headers(response, (*vary, "Accept-Encoding"))
    return response


def forget_pages() -> None:
    with _lock:
        _pages.clear()


ViewFunction = Callable[..., HttpResponse]


def cached_page(*, vary: tuple[str, ...] = ()) -> Callable[[ViewFunction], ViewFunction]:
    """Serve the view's 200s as described above; vary names the headers that pick a variant."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD") or settings.DEBUG:
                # Under DEBUG templates and content change under a running server.
                return view(request, *args, **kwargs)
            variant = _variant(request, vary)
            key = hashlib.sha256(f"{page_version()}\n{variant}".encode()).hexdigest()
            etag = quote_etag(key[:32])
            if _matches(request, etag):
                return _with_cache_headers(HttpResponseNotModified(), etag, vary)
            with _lock:
                stored = _pages.get(key)
                if stored is not None:
                    _pages.move_to_end(key)
            if stored is not None:
                response = HttpResponse(stored.content, content_type=stored.content_type)
                return _with_cache_headers(response, etag, vary)
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming:
                return response
            with _lock:
                _pages[key] = StoredPage(response.content, response["Content-Type"])
                while len(_pages) > MAX_PAGES:
                    _pages.popitem(last=False)
            return _with_cache_headers(response, etag, vary)

        return wrapper

    return decorator
