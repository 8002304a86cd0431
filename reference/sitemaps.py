from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from reference.catalog import get_catalog
from reference.schema import StatusPage


class SiteSitemap(Sitemap[Any]):
    """Absolute URLs on SITE_URL when it is set, like canonical links; else the request's."""

    def get_protocol(self, protocol: str | None = None) -> str:
        if settings.SITE_URL:
            return urlsplit(settings.SITE_URL).scheme
        return super().get_protocol(protocol)

    def get_domain(self, site: Any = None) -> str:
        if settings.SITE_URL:
            return urlsplit(settings.SITE_URL).netloc
        return super().get_domain(site)


class StatusPageSitemap(SiteSitemap):
    def items(self) -> list[StatusPage]:
        return list(get_catalog())

    def location(self, item: StatusPage) -> str:
        return reverse("reference:status", args=[item.code])

    def priority(self, item: StatusPage) -> float:
        return 1.0 if item.code == 202 else 0.8 if item.is_full else 0.5


class FixedPagesSitemap(SiteSitemap):
    def items(self) -> list[str]:
        return [
            "reference:index",
            "reference:which-code",
            "playground:playground",
            "playground:clients",
            "api:docs",
        ]

    def location(self, item: str) -> str:
        return reverse(item)
