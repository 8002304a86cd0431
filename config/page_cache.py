"""Pages every reader gets the same bytes of, served as a cache would serve them.

A page's ETag is known before it is rendered: it is made from what the page is
made of (the content, the templates, the static manifest, the code, the settings
a page shows) and what picks the variant (the host, the path and query, the
request headers the page varies on). Any deploy changes it.

- `cached_page` marks a view whose 200s are such pages: it answers a request that
  sends the tag back in If-None-Match with a 304, without rendering anything.
- `PageCacheMiddleware`, just inside WhiteNoise, keeps each rendered page in
  memory, per process, with the headers the inner middleware gave it, compressed
  once with Brotli and gzip, so the next reader gets it (or its 304) without
  anything else running.

Cache-Control lets a shared cache (a CDN in front) keep the page and revalidate it
with the same cheap 304.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import brotli  # type: ignore[import-untyped]
from django.conf import settings
from django.core.signals import setting_changed
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
# The headers a stored page keeps; the outer middleware adds its own on every answer.
NOT_KEPT = {"content-length", "content-encoding"}


@dataclass
class StoredPage:
    """A 200 that cached_page marked: its tag, the headers it was given, its bytes."""

    etag: str
    headers: list[tuple[str, str]]
    content: bytes
    # Compressed once, when a reader first asks for that coding.
    encoded: dict[str, bytes] = field(default_factory=dict)

    def body(self, coding: str) -> bytes:
        if coding not in self.encoded:
            if coding == "br":
                self.encoded[coding] = brotli.compress(self.content, mode=brotli.MODE_TEXT)
            else:
                self.encoded[coding] = gzip.compress(self.content, compresslevel=9, mtime=0)
        return self.encoded[coding]


_pages: OrderedDict[str, StoredPage] = OrderedDict()
# Per host and path: the headers its view varies on, learnt from its first rendering.
_varies: dict[tuple[str, str], tuple[str, ...]] = {}
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
def page_version() -> str:
    """What every page's ETag starts from: the deployed files and the settings pages show."""
    # Pages show the demo's limits and pace, and the site's own name and origin.
    names = sorted(n for n in dir(settings) if n.startswith(("DEMO_", "SITE_")))
    shown = repr([(name, getattr(settings, name)) for name in names])
    return f"{deployed_digest(str(settings.REFERENCE_CONTENT_DIR))}:{shown}"


def _settings_changed(**kwargs: Any) -> None:
    # Tests change settings under a running process; a deploy restarts it.
    page_version.cache_clear()
    forget_pages()


setting_changed.connect(_settings_changed)


def _key(request: HttpRequest, vary: tuple[str, ...]) -> str:
    headers = [f"{name}={request.headers.get(name, '')[:200]}" for name in vary]
    variant = "\n".join([page_version(), request.get_host(), request.get_full_path(), *headers])
    return hashlib.sha256(variant.encode()).hexdigest()


def _matches(request: HttpRequest, etag: str) -> bool:
    # Weak comparison, as for any GET (RFC 9110 §13.1.2): a compressed page's tag is weak.
    sent = request.headers.get("If-None-Match")
    if not sent:
        return False
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in parse_etags(sent))


def _with_cache_headers(response: HttpResponse, etag: str, vary: tuple[str, ...]) -> HttpResponse:
    response.headers["ETag"] = etag
    # No page holds anything of one reader's (the console's forms carry no CSRF
    # token), so a shared cache may keep them too.
    patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
    # Pages are sent compressed to those who ask; the 304 must say so too.
    patch_vary_headers(response, (*vary, "Accept-Encoding"))
    return response


def forget_pages() -> None:
    with _lock:
        _pages.clear()
        _varies.clear()


ViewFunction = Callable[..., HttpResponse]


def cached_page(*, vary: tuple[str, ...] = ()) -> Callable[[ViewFunction], ViewFunction]:
    """Mark the view's 200s as pages (see above); vary names the headers that pick a variant."""

    def decorator(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD") or settings.DEBUG:
                # Under DEBUG templates and content change under a running server.
                return view(request, *args, **kwargs)
            etag = quote_etag(_key(request, vary)[:32])
            if _matches(request, etag):
                return _with_cache_headers(HttpResponseNotModified(), etag, vary)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                _with_cache_headers(response, etag, vary)
                response.page_cache_vary = vary  # type: ignore[attr-defined]
            return response

        return wrapper

    return decorator


def _coding(request: HttpRequest) -> str:
    accepted = {
        c.split(";")[0].strip() for c in request.headers.get("Accept-Encoding", "").split(",")
    }
    return "br" if "br" in accepted else "gzip" if "gzip" in accepted else ""


def _answer(request: HttpRequest, page: StoredPage) -> HttpResponse:
    coding = _coding(request)
    if _matches(request, page.etag):
        response: HttpResponse = HttpResponseNotModified()
        kept = {"etag", "cache-control", "vary"}
        for name, value in page.headers:
            if name.lower() in kept:
                response.headers[name] = value
    else:
        response = HttpResponse(page.body(coding) if coding else page.content)
        for name, value in page.headers:
            response.headers[name] = value
        if coding:
            response.headers["Content-Encoding"] = coding
    if coding:
        # One tag for every coding of the page: weak (RFC 9110 §8.8.3).
        response.headers["ETag"] = "W/" + page.etag
    return response


class PageCacheMiddleware:
    """Answer the pages `cached_page` marked from memory, before the rest of the stack.

    It sits just inside GZipMiddleware: the pages it answers are compressed already
    (Content-Encoding set), which GZipMiddleware leaves alone; anything else passes
    through it untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or settings.DEBUG:
            return self.get_response(request)
        where = (request.get_host(), request.get_full_path())
        vary = _varies.get(where)
        if vary is not None:
            key = _key(request, vary)
            with _lock:
                page = _pages.get(key)
                if page is not None:
                    _pages.move_to_end(key)
            if page is not None:
                return _answer(request, page)
        response = self.get_response(request)
        page_vary = getattr(response, "page_cache_vary", None)
        if page_vary is None:
            return response
        page = StoredPage(
            etag=response.headers["ETag"],
            headers=[(k, v) for k, v in response.headers.items() if k.lower() not in NOT_KEPT],
            content=response.content,
        )
        with _lock:
            _varies[where] = page_vary
            _pages[_key(request, page_vary)] = page
            while len(_pages) > MAX_PAGES:
                _pages.popitem(last=False)
        return _answer(request, page)
