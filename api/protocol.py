"""HTTP mechanics every endpoint of the demo API shares, apart from the views.

The api_view decorator answers OPTIONS and wrong methods (405 + Allow) and turns
every refusal into application/problem+json: a Rejected raised while reading the
request (intake), or an error of the job layer, through ERROR_TYPES. Views only
say what a request means.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from api import presets
from api.problems import Rejected, problem, rejection
from api.representations import monitor_url, result_url, retry_after_header
from jobs import admission, idempotency, lifecycle
from jobs.models import Job

View = Callable[..., HttpResponse]

# The job layer's errors and the problem type each is answered with.
ERROR_TYPES: dict[type[Exception], str] = {
    lifecycle.JobNotFound: "job-not-found",
    lifecycle.JobExpired: "job-expired",
    lifecycle.JobFinished: "job-already-finished",
    lifecycle.ResultNotAvailable: "result-not-available",
    idempotency.KeyReused: "idempotency-key-reused",
    idempotency.KeyInFlight: "idempotency-key-in-flight",
    admission.QueueFull: "queue-full",
    admission.ClientBusy: "too-many-pending-jobs",
    admission.StorageFull: "upload-storage-full",
    admission.TooMuchWork: "too-much-pending-work",
    admission.UploadShareFull: "upload-share-full",
    admission.StorageShareFull: "storage-share-full",
    admission.JobTooLarge: "job-too-large",
    presets.MonitorUnavailable: "monitor-unavailable",
    presets.MonitorThrottled: "monitor-throttled",
}
# A busy monitor (an outcome preset) asks for the next poll this many seconds later.
BUSY_RETRY_AFTER = 1


def api_view(*methods: str) -> Callable[[View], View]:
    """Like require_http_methods, but OPTIONS is answered and every refusal is a problem."""
    allowed = [*methods, *(["HEAD"] if "GET" in methods else []), "OPTIONS"]
    allow = ", ".join(allowed)

    def decorator(view: View) -> View:
        # No cookies or credentials are involved, so there is nothing for CSRF to protect.
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = allow
                return response
            if request.method not in allowed:
                detail = f"{request.method} is not allowed here; use {allow}."
                return problem(request, "method-not-allowed", detail, headers={"Allow": allow})
            try:
                return view(request, *args, **kwargs)
            except Rejected as rejected:
                return rejection(request, rejected)
            except (
                lifecycle.JobError,
                idempotency.IdempotencyError,
                admission.AdmissionError,
            ) as error:
                return rejection(request, rejected_for(request, error))

        return wrapper

    return decorator


def rejected_for(
    request: HttpRequest,
    error: lifecycle.JobError | idempotency.IdempotencyError | admission.AdmissionError,
) -> Rejected:
    """The problem that answers an error of the job layer."""
    detail, headers = str(error), {}
    if isinstance(error, admission.AdmissionRefused):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, idempotency.KeyInFlight):
        headers["Retry-After"] = "1"
    if isinstance(error, presets.MonitorBusy):
        headers["Retry-After"] = str(BUSY_RETRY_AFTER)
    if isinstance(error, lifecycle.ResultNotAvailable) and error.job is not None:
        # Point at where the job's state can be read, and say when to look again.
        detail = f"{detail}; see its status monitor {monitor_url(request, error.job)}."
        if error.job.is_pending:
            headers["Retry-After"] = retry_after_header(job=error.job)
    if isinstance(error, lifecycle.JobFinished) and error.job is not None:
        # Too late to cancel: say where to read what the job did.
        detail = f"{detail} Its status monitor: {monitor_url(request, error.job)}"
        if error.job.is_pending:
            detail += f"; its result, once it succeeds: {result_url(request, error.job)}"
        elif error.job.status == Job.Status.SUCCEEDED:
            detail += f"; its result: {result_url(request, error.job)}"
        detail += "."
    return Rejected(ERROR_TYPES[type(error)], detail, headers=headers)
