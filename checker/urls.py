"""The checker's pages, and the same as an API under /api/checks."""

from __future__ import annotations

from django.urls import path

from checker.views import api_checks, kept, recorded

app_name = "checker"

urlpatterns = [
    path("check/", recorded.check, name="check"),
    path("check/live", kept.start_live, name="live"),
    path("check/status/<str:check_id>", kept.status, name="status"),
    path("check/reports/<str:check_id>", kept.kept_report, name="report"),
    path("api/checks", api_checks.checks_collection, name="api-checks"),
    path("api/checks/live", api_checks.live_checks, name="api-live"),
    path("api/checks/<str:check_id>", api_checks.check_monitor, name="api-check"),
    path("api/checks/<str:check_id>/report", api_checks.check_report, name="api-report"),
]
