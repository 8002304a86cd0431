from __future__ import annotations

from django.urls import path, register_converter

from playground.api import conventions
from playground.api import views as api
from playground.views import console, embed, limits

app_name = "playground"


class JobIdConverter:
    """A job id of the form the API makes them (playground.models.new_job_id), as the
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
    path("playground/", console.playground, name="playground"),
    path("playground/embed/", embed.embed, name="embed"),
    path("playground/send", console.console_send, name="send"),
    path("playground/jobs/<str:job_id>/poll", console.console_poll, name="poll"),
    path("playground/jobs/<str:job_id>/cancel", console.console_cancel, name="cancel"),
    # The embed's own: the only routes other sites may frame.
    path("playground/embed/send", embed.embed_send, name="embed-send"),
    path("playground/embed/jobs/<str:job_id>/poll", embed.embed_poll, name="embed-poll"),
    path("playground/embed/jobs/<str:job_id>/cancel", embed.embed_cancel, name="embed-cancel"),
    path("playground/limits/", limits.limits_page, name="limits"),
    path("playground/limits/trip", limits.trip_limit, name="trip-limit"),
    path("api/", api.api_docs, name="api-docs"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
    path("api/emails/bulk", api.bulk_email, name="api-bulk-email"),
    path("api/files/process", api.process_file, name="api-process-file"),
    path("api/jobs/<job_id:job_id>", api.job_monitor, name="api-job"),
    path("api/jobs/<job_id:job_id>/result", api.job_result, name="api-result"),
    path("api/operations/<job_id:job_id>", api.operation, name="api-operation"),
    # The same jobs under the other conventions (playground/conventions.py lists them).
    path("api/conventions", conventions.registry, name="api-conventions"),
    *[
        path(f"api/{prefix}/{target}", view, {"kind": kind}, name=f"api-{prefix}-{name}")
        for prefix, view in [
            ("azure", conventions.azure_submit),
            ("request-reply", conventions.request_reply_submit),
            ("aip151", conventions.aip151_submit),
            ("job-resource", conventions.job_resource_submit),
        ]
        for target, kind, name in [
            ("emails/bulk", "bulk-email", "bulk-email"),
            ("files/process", "file-processing", "process-file"),
        ]
    ],
    path(
        "api/request-reply/status/<job_id:job_id>",
        conventions.request_reply_status,
        name="api-request-reply-status",
    ),
    path(
        "api/aip151/operations/<job_id:job_id>",
        conventions.aip151_operation,
        name="api-aip151-operation",
    ),
    path(
        "api/aip151/operations/<job_id:job_id>:cancel",
        conventions.aip151_cancel,
        name="api-aip151-cancel",
    ),
    path(
        "api/job-resource/jobs/<job_id:job_id>",
        conventions.job_resource,
        name="api-job-resource-job",
    ),
    # Anything else under /api/ answers a problem+json 404, not the site's HTML page.
    path("api/<any_path:rest>", api.api_not_found, name="api-not-found"),
]
