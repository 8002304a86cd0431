"""Pages every reader gets the same bytes of, served as a cache would serve them.

A page's ETag is known before it is rendered: it is made from what the page is
made of (the content, the templates, the static manifest, the code, the settings
a page shows) and what picks the variant (the host, the path, the query
parameters and request headers the view reads). Any deploy changes it.

- `cached_page` marks a view whose 200s are such pages: it answers a request that
  sends the tag back in If-None-Match with a 304, without rendering anything.
- `PageCacheMiddleware`, just inside WhiteNoise, keeps each rendered page in
  memory, per process, with the headers the inner middleware gave it, compressed
  once with Brotli and gzip, so the next reader gets it (or its 304) without
  anything else running. Only what the view reads picks a page (a query parameter
  it does not read makes none), and the pages and their compressed bodies are
  bounded in count and bytes, so strangers' URLs cannot make it grow; pages a
  search picked are kept apart, so strangers' searches cannot push out the rest.

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
# few tens of kilobytes; the bytes are bounded too, whatever the pages weigh.
MAX_PAGES = 256
MAX_PAGE_BYTES = 16 * 1024 * 1024
# Compressed bodies, kept by what they compress: a page's variants that render the
# same bytes share them.
MAX_ENCODED_BYTES = 8 * 1024 * 1024
# Pages a query picked (a search) are kept apart, in a shelf of their own with bounds
# of their own: strangers' queries replace each other there, never the pages every
# reader gets (whose best compression takes about a second to make again).
MAX_SEARCHED_PAGES = 32
MAX_SEARCHED_PAGE_BYTES = 2 * 1024 * 1024
MAX_SEARCHED_ENCODED_BYTES = 1024 * 1024
# Brotli's best takes tens of times as long as gzip's (about a second for /202/ on a
# busy machine): worth it for a page every reader gets, not for one a stranger's
# query picked (a search), so those get a quick one, some 10% larger.
BEST_QUALITY = 11
QUICK_QUALITY = 5
# A query value longer than this picks no page of its own: views cut theirs shorter.
MAX_QUERY_VALUE = 200
# What a page is made of, besides the code.
SOURCE_DIRS = ("templates", "reference", "playground", "config")
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".md", ".yaml", ".yml", ".json", ".js", ".css")
# The headers a stored page keeps; the outer middleware adds its own on every answer.
NOT_KEPT = {"content-length", "content-encoding"}

Variant = Callable[[HttpRequest], object]


@dataclass(frozen=True)
class PageRule:
    """What picks a page's variant, as its view declared it (see cached_page)."""

    vary: tuple[str, ...]
    query: tuple[str, ...]
    variant: Variant | None

    def key(self, request: HttpRequest) -> str:
        """The variant's key: only what the view reads, so nothing else makes a new page."""
        if self.variant is not None:
            chosen = [repr(self.variant(request))]
        else:
            chosen = [f"{name}={request.headers.get(name, '')[:200]}" for name in self.vary]
        asked = [
            f"{name}={value[: MAX_QUERY_VALUE + 1]}"
            for name in self.query
            # The last, as QueryDict.get reads it.
            for value in request.GET.getlist(name)[-1:]
        ]
        picked = "\n".join([page_version(), request.get_host(), request.path, *chosen, *asked])
        return hashlib.sha256(picked.encode()).hexdigest()

    def picked_by_query(self, request: HttpRequest) -> bool:
        return any(name in request.GET for name in self.query)


@dataclass
class StoredPage:
    """A 200 that cached_page marked: its tag, the headers it was given, its bytes."""

    etag: str
    headers: list[tuple[str, str]]
    content: bytes
    quality: int = BEST_QUALITY
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.digest = hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content) + sum(len(k) + len(v) for k, v in self.headers)

    def body(self, coding: str) -> bytes:
        """The page in this coding, compressed once for every page of the same bytes."""
        where = (self.digest, coding, self.quality)
        shelf = _encoded if self.quality == BEST_QUALITY else _searched_encoded
        with _lock:
            encoded = shelf.get(where)
            if encoded is not None:
                shelf.move_to_end(where)
                return encoded
        if coding == "br":
            encoded = brotli.compress(self.content, mode=brotli.MODE_TEXT, quality=self.quality)
        else:
            encoded = gzip.compress(self.content, compresslevel=9, mtime=0)
        with _lock:
            shelf[where] = encoded
            _evict()
        return encoded


_pages: OrderedDict[str, StoredPage] = OrderedDict()
_encoded: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
_searched: OrderedDict[str, StoredPage] = OrderedDict()
_searched_encoded: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
# Per host and path: what picks its variant, learnt from its first rendering.
_rules: dict[tuple[str, str], PageRule] = {}
_lock = threading.Lock()


def _evict() -> None:
    """Drop the least recently served pages and bodies beyond the bounds; holding _lock."""
    for pages, count, size in [
        (_pages, MAX_PAGES, MAX_PAGE_BYTES),
        (_searched, MAX_SEARCHED_PAGES, MAX_SEARCHED_PAGE_BYTES),
    ]:
        page_bytes = sum(page.size for page in pages.values())
        while pages and (len(pages) > count or page_bytes > size):
            page_bytes -= pages.popitem(last=False)[1].size
    for encoded, size in [
        (_encoded, MAX_ENCODED_BYTES),
        (_searched_encoded, MAX_SEARCHED_ENCODED_BYTES),
    ]:
        encoded_bytes = sum(len(body) for body in encoded.values())
        while encoded and encoded_bytes > size:
            encoded_bytes -= len(encoded.popitem(last=False)[1])
    # Rules are per path a page answered, a short list; a bound all the same.
    if len(_rules) > 4 * MAX_PAGES:
        _rules.clear()


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
        _encoded.clear()
        _searched.clear()
        _searched_encoded.clear()
        _rules.clear()


ViewFunction = Callable[..., HttpResponse]


def cached_page(
    *, vary: tuple[str, ...] = (), query: tuple[str, ...] = (), variant: Variant | None = None
) -> Callable[[ViewFunction], ViewFunction]:
    """Mark the view's 200s as pages (see above).

    vary names the headers that pick a variant, and variant (if given) what the view
    makes of them: the key holds that, not the headers' bytes. query names the query
    parameters the view reads; any other is no part of the page, so a URL with it is
    answered with the page without it.
    """
    rule = PageRule(vary=vary, query=query, variant=variant)

    def decorator(view: ViewFunction) -> ViewFunction:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD") or settings.DEBUG:
                # Under DEBUG templates and content change under a running server.
                return view(request, *args, **kwargs)
            etag = quote_etag(rule.key(request)[:32])
            if _matches(request, etag):
                return _with_cache_headers(HttpResponseNotModified(), etag, vary)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                _with_cache_headers(response, etag, vary)
                response.page_cache_rule = rule  # type: ignore[attr-defined]
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
        where = (request.get_host(), request.path)
        rule = _rules.get(where)
        if rule is not None:
            key = rule.key(request)
            shelf = _searched if rule.picked_by_query(request) else _pages
            with _lock:
                page = shelf.get(key)
                if page is not None:
                    shelf.move_to_end(key)
            if page is not None:
                return _answer(request, page)
        response = self.get_response(request)
        rule = getattr(response, "page_cache_rule", None)
        if rule is None:
            return response
        searched = rule.picked_by_query(request)
        page = StoredPage(
            etag=response.headers["ETag"],
            headers=[(k, v) for k, v in response.headers.items() if k.lower() not in NOT_KEPT],
            content=response.content,
            quality=QUICK_QUALITY if searched else BEST_QUALITY,
        )
        with _lock:
            _rules[where] = rule
            (_searched if searched else _pages)[rule.key(request)] = page
            _evict()
        return _answer(request, page)
