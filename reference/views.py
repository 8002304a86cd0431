"""Pages of the reference: the index, one page per status code, and their JSON."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from config.page_cache import cached_page
from config.site import HtmxHttpRequest, site_origin
from reference.catalog import get_catalog
from reference.schema import Catalog, StatusPage
from reference.which_code import UnknownAnswers, Walk, get_guide


def _matching(catalog: Catalog, query: str) -> list[tuple[str, str, list[StatusPage]]]:
    words = query.lower().split()

    def matches(page: StatusPage) -> bool:
        # A page is found by what it is about, not only by the words of its title and summary.
        haystack = " ".join((page.title, page.summary, *page.keywords)).lower()
        # Digits narrow by code ("4" is the 4xx class, "50" is 500 to 509); words search text.
        return all(
            str(page.code).startswith(word) if word.isdigit() else word in haystack
            for word in words
        )

    groups = [
        (key, name, [p for p in pages if matches(p)]) for key, name, pages in catalog.by_class()
    ]
    return [group for group in groups if group[2]]


def _swapped(request: HttpRequest) -> bool:
    # What request.htmx says; the page cache asks before HtmxMiddleware has run.
    return bool(HtmxDetails(request))


def _which_code_variant(request: HttpRequest) -> tuple[bool, bool]:
    htmx = HtmxDetails(request)
    return bool(htmx), htmx.history_restore_request


@require_safe
@cached_page(vary=("HX-Request",), query=("q",), variant=_swapped)
def index(request: HtmxHttpRequest) -> HttpResponse:
    catalog = get_catalog()
    query = request.GET.get("q", "").strip()[:100]
    groups = _matching(catalog, query)
    context = {
        "groups": groups,
        "query": query,
        "match_count": sum(len(pages) for _, _, pages in groups),
        "featured": catalog.get(202),
    }
    # The filter box asks for just the list when htmx drives it.
    template = "reference/index.html#codes" if request.htmx else "reference/index.html"
    return render(request, template, context)


def page_as_json(page: StatusPage, request: HttpRequest) -> dict[str, Any]:
    origin = site_origin(request)
    catalog = get_catalog()
    return {
        "code": page.code,
        "title": page.title,
        "class": page.status_class,
        "className": page.class_name,
        "kind": page.kind,
        "summary": page.summary,
        "canonicalUrl": f"{origin}{reverse('reference:status', args=[page.code])}",
        "spec": [vars(ref) for ref in page.spec],
        "constants": {constant.language: constant.value for constant in page.constants},
        "sections": [
            {
                "id": section.id,
                "heading": section.heading,
                "url": f"{origin}{reverse('reference:status', args=[page.code])}#{section.id}",
                "markdown": section.markdown,
                "html": section.html,
            }
            for section in page.sections
            if section.source == "prose"
        ],
        "examples": [
            {
                "id": example.id,
                "title": example.title,
                "description": example.description,
                "request": example.request.text,
                "response": example.response.text,
            }
            for example in page.examples
        ],
        "references": [vars(ref) for ref in page.references],
        "related": [
            {
                "code": code,
                "title": catalog.pages[code].title,
                "url": f"{origin}{reverse('reference:status', args=[code])}",
            }
            for code in page.related
        ],
    }


def _json(page: StatusPage, request: HttpRequest) -> HttpResponse:
    return JsonResponse(page_as_json(page, request), json_dumps_params={"indent": 2})


def not_found(request: HttpRequest, code: str | None = None) -> HttpResponse:
    catalog = get_catalog()
    nearby: list[StatusPage] = []
    if code and code.isdigit():
        nearby = [page for page in catalog if page.status_class == f"{code[0]}xx"][:12]
    context = {"requested": code, "nearby": nearby, "featured": catalog.get(202)}
    return render(request, "reference/404.html", context, status=404)


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


@require_safe
@cached_page(vary=("Accept",), variant=_wants_json)
def status_page(request: HttpRequest, code: str) -> HttpResponse:
    page = get_catalog().get(int(code))
    if page is None:
        return not_found(request, code)
    if _wants_json(request):
        return _json(page, request)
    catalog = get_catalog()
    context = {
        "page": page,
        "related": [catalog.pages[related] for related in page.related],
        "neighbours": _neighbours(catalog, page),
    }
    return render(request, "reference/status.html", context)


@require_safe
@cached_page()
def status_json(request: HttpRequest, code: str) -> HttpResponse:
    page = get_catalog().get(int(code))
    if page is None:
        return not_found(request, code)
    return _json(page, request)


def _neighbours(catalog: Catalog, page: StatusPage) -> tuple[StatusPage | None, StatusPage | None]:
    codes = sorted(catalog.pages)
    position = codes.index(page.code)
    previous = catalog.pages[codes[position - 1]] if position > 0 else None
    following = catalog.pages[codes[position + 1]] if position + 1 < len(codes) else None
    return previous, following


@require_safe
@cached_page()
def robots_txt(request: HttpRequest) -> HttpResponse:
    body = render_to_string("reference/robots.txt", {"site_origin": site_origin(request)})
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def _which_code_url(slugs: tuple[str, ...]) -> str:
    if not slugs:
        return reverse("reference:which-code")
    return reverse("reference:which-code-answers", args=["/".join(slugs)])


def _which_code_title(walk: Walk) -> str:
    if walk.result:
        return f"Answer {walk.result.code} {walk.result.title} — Which code should I return?"
    assert walk.question is not None
    if not walk.steps:
        return "Which code should I return? A guide for HTTP APIs"
    return f"{walk.question.text} — Which code should I return?"


@require_safe
@cached_page(vary=("HX-Request", "HX-History-Restore-Request"), variant=_which_code_variant)
def which_code(request: HtmxHttpRequest, answers: str = "") -> HttpResponse:
    """One step of "Which code should I return?": a question, or the answer it led to."""
    guide = get_guide()
    try:
        walk = guide.walk(tuple(answers.split("/")) if answers else ())
    except UnknownAnswers as error:
        raise Http404("No such answer") from error
    # A history restore after a cache miss wants the whole page, HX-Request or not.
    swapped = bool(request.htmx) and not request.htmx.history_restore_request
    context = {
        "guide": guide,
        "walk": walk,
        "swapped": swapped,
        "start_url": _which_code_url(()),
        "trail": [(step, _which_code_url(step.asked_after)) for step in walk.steps],
        "options": [
            (answer, _which_code_url((*walk.slugs, answer.slug)))
            for answer in (walk.question.answers if walk.question else ())
        ],
        "section_url": (
            f"{reverse('reference:status', args=[walk.result.code])}#{walk.result.section_id}"
            if walk.result
            else ""
        ),
        "page_title": _which_code_title(walk),
    }
    template = "reference/which_code.html#step" if swapped else "reference/which_code.html"
    return render(request, template, context)
