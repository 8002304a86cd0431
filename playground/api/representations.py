"""A job as the API shows it: JSON bodies and the headers that go with them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from playground import jobs
from playground.jobs import iso
from playground.models import Job
from playground.problems import absolute, job_error


def monitor_url(request: HttpRequest, job: Job) -> str:
    return absolute(request, reverse("playground:api-job", args=[job.public_id]))


def operation_url(request: HttpRequest, job: Job) -> str:
    return absolute(request, reverse("playground:api-operation", args=[job.public_id]))


def result_url(request: HttpRequest, job: Job) -> str:
    return absolute(request, reverse("playground:api-result", args=[job.public_id]))


def accepted_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    return {
        "jobId": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "createdAt": iso(job.created_at),
        "estimatedCompletionAt": iso(job.estimated_completion_at),
        "monitor": monitor_url(request, job),
        "operation": operation_url(request, job),
    }


def accepted_headers(request: HttpRequest, job: Job) -> dict[str, str]:
    return {
        "Location": monitor_url(request, job),
        "Content-Location": monitor_url(request, job),
        "Operation-Location": operation_url(request, job),
        "Retry-After": str(jobs.retry_after(job=job)),
    }


def error_body(request: HttpRequest, job: Job) -> dict[str, str] | None:
    if job.error is None:
        return None
    return job_error(request, job.error, instance=monitor_url(request, job))


def monitor_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    body = {
        **accepted_body(request, job),
        "message": job.message,
        "startedAt": iso(job.started_at),
        "updatedAt": iso(job.updated_at),
        "finishedAt": iso(job.finished_at),
    }
    if job.is_pending:
        body["cancel"] = {"method": "DELETE", "href": monitor_url(request, job)}
    if job.cancel_requested_at is not None:
        body["cancelRequestedAt"] = iso(job.cancel_requested_at)
    if (error := error_body(request, job)) is not None:
        body["error"] = error
    if job.status == Job.Status.FAILED and job.result is not None:
        # A failed bulk email still has a delivery report worth reading.
        body["report"] = job.result
    return body


def see_other_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {"jobId": job.public_id, "status": job.status}
    # Only a succeeded job has a result; a failed one's 303 points at its monitor.
    if job.status == Job.Status.SUCCEEDED:
        body["result"] = result_url(request, job)
    body["monitor"] = monitor_url(request, job)
    return body


def operation_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "percentComplete": job.progress,
        "createdDateTime": iso(job.created_at),
        "lastUpdatedDateTime": iso(job.updated_at),
    }
    if job.status == Job.Status.SUCCEEDED:
        body["resourceLocation"] = result_url(request, job)
    if (error := error_body(request, job)) is not None:
        body["error"] = error
    return body


def result_body(request: HttpRequest, job: Job) -> dict[str, Any]:
    return {
        "jobId": job.public_id,
        **(job.result or {}),
        "completedAt": iso(job.finished_at),
        "expiresAt": iso(job.expires_at),
        "monitor": monitor_url(request, job),
    }
