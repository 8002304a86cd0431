from __future__ import annotations

from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from config import views as site_views
from reference import views as reference_views
from reference.sitemaps import FixedPagesSitemap, StatusPageSitemap

sitemaps = {"pages": FixedPagesSitemap, "codes": StatusPageSitemap}

urlpatterns = [
    path("", include("reference.urls")),
    path("", include("playground.urls")),
    # Before the API's: its /api/checks endpoints, ahead of the API's catch-all 404.
    path("", include("checker.urls")),
    path("", include("api.urls")),
    path("healthz", site_views.healthz, name="healthz"),
    path("robots.txt", reference_views.robots_txt, name="robots"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
]

handler404 = "config.views.page_not_found"
