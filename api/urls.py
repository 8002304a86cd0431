"""Everything under /api/: one view per URL (views.py)."""

from __future__ import annotations

from django.urls import path, register_converter

from api import views

app_name = "api"


class JobIdConverter:
    """A job id of the form the API makes them (jobs.models.new_job_id), as the
    OpenAPI document's jobId pattern says: /api/jobs/<anything else> is no endpoint."""

    regex = "job_[A-Za-z0-9]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(JobIdConverter, "job_id")


class AnyPathConverter:
    """The rest of a path, whatever it holds: <path:> stops at a line break (. does not
    match one), and /api/ paths with one must get the API's 404 too, not the site's page."""

    regex = "(?s:.+)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AnyPathConverter, "any_path")

urlpatterns = [
    path("api/", views.api_docs, name="docs"),
    path("api/openapi.json", views.openapi, name="openapi"),
    path("api/emails/bulk", views.bulk_email, name="bulk-email"),
    path("api/files/process", views.process_file, name="process-file"),
    path("api/jobs/<job_id:job_id>", views.job_monitor, name="job"),
    path("api/jobs/<job_id:job_id>/result", views.job_result, name="result"),
    path("api/operations/<job_id:job_id>", views.operation, name="operation"),
    path("api/operations/<job_id:job_id>:cancel", views.operation_cancel, name="operation-cancel"),
    # The same jobs under the other conventions (conventions.py lists them).
    path("api/conventions", views.registry, name="conventions"),
    *[
        path(f"api/{prefix}/{target}", view, {"kind": kind}, name=f"{prefix}-{name}")
        for prefix, view in [
            ("azure", views.azure_submit),
            ("request-reply", views.request_reply_submit),
            ("aip151", views.aip151_submit),
            ("job-resource", views.job_resource_submit),
            ("odata", views.odata_submit),
        ]
        for target, kind, name in [
            ("emails/bulk", "bulk-email", "bulk-email"),
            ("files/process", "file-processing", "process-file"),
        ]
    ],
    path(
        "api/request-reply/status/<job_id:job_id>",
        views.request_reply_status,
        name="request-reply-status",
    ),
    path(
        "api/aip151/operations/<job_id:job_id>",
        views.aip151_operation,
        name="aip151-operation",
    ),
    path(
        "api/aip151/operations/<job_id:job_id>:cancel",
        views.aip151_cancel,
        name="aip151-cancel",
    ),
    path(
        "api/job-resource/jobs/<job_id:job_id>",
        views.job_resource,
        name="job-resource-job",
    ),
    path("api/odata/monitor/<job_id:job_id>", views.odata_monitor, name="odata-monitor"),
    # Anything else under /api/ answers a problem+json 404, not the site's HTML page.
    path("api/<any_path:rest>", views.api_not_found, name="not-found"),
]
