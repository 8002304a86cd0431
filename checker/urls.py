"""The checker's pages, and the same as an API under /api/checks."""

from __future__ import annotations

from django.urls import path, register_converter

from checker.views import api_checks, kept, recorded

app_name = "checker"


class CheckIdConverter:
    """A check id of the form the checker makes them (checker.models.new_id), as the
    OpenAPI document's checkId pattern says: anything else is no endpoint (under /api/,
    the API's problem+json 404)."""

    regex = "[A-Za-z0-9_-]{16,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CheckIdConverter, "check_id")

urlpatterns = [
    path("check/", recorded.check, name="check"),
    path("check/live", kept.start_live, name="live"),
    path("check/status/<check_id:check_id>", kept.status, name="status"),
    path("check/reports/<check_id:check_id>", kept.kept_report, name="report"),
    path("api/checks", api_checks.checks_collection, name="api-checks"),
    path("api/checks/live", api_checks.live_checks, name="api-live"),
    path("api/checks/<check_id:check_id>", api_checks.check_monitor, name="api-check"),
    path("api/checks/<check_id:check_id>/report", api_checks.check_report, name="api-report"),
]
