from __future__ import annotations

from django.urls import path, register_converter

from playground import views
from playground.api import views as api

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

urlpatterns = [
    path("playground/", views.playground, name="playground"),
    path("playground/embed/", views.embed, name="embed"),
    path("playground/send", views.console_send, name="send"),
    path("playground/jobs/<str:job_id>/poll", views.console_poll, name="poll"),
    path("playground/jobs/<str:job_id>/cancel", views.console_cancel, name="cancel"),
    path("api/", api.api_docs, name="api-docs"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
    path("api/emails/bulk", api.bulk_email, name="api-bulk-email"),
    path("api/files/process", api.process_file, name="api-process-file"),
    path("api/jobs/<job_id:job_id>", api.job_monitor, name="api-job"),
    path("api/jobs/<job_id:job_id>/result", api.job_result, name="api-result"),
    path("api/operations/<job_id:job_id>", api.operation, name="api-operation"),
    # Anything else under /api/ answers a problem+json 404, not the site's HTML page.
    path("api/<path:rest>", api.api_not_found, name="api-not-found"),
]
