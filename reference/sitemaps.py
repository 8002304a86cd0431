from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from reference.content import StatusPage, get_catalog


class StatusPageSitemap(Sitemap[StatusPage]):
    def items(self) -> list[StatusPage]:
        return list(get_catalog())

    def location(self, item: StatusPage) -> str:
        return reverse("reference:status", args=[item.code])

    def priority(self, item: StatusPage) -> float:
        return 1.0 if item.code == 202 else 0.8 if item.is_full else 0.5


class FixedPagesSitemap(Sitemap[str]):
    def items(self) -> list[str]:
        return ["reference:index"]

    def location(self, item: str) -> str:
        return reverse(item)
