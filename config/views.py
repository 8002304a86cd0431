"""Site-wide views that belong to no app: the health check and the 404 handler."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from jobs.admission import queue_depth
from jobs.heartbeat import worker_health
from reference.catalog import get_catalog
from reference.views import not_found

logger = logging.getLogger(__name__)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return not_found(request)


# HEAD too: uptime monitors often probe with HEAD.
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, dict[str, Any]] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception:  # any failure is what this endpoint reports
        # The driver's message names the host, port or file; the log has it, the public does not.
        logger.exception("/healthz: the database did not answer")
        healthy = False
        checks["database"] = {"status": "error", "detail": "database unavailable"}
    checks["content"] = {"status": "ok", "pages": len(get_catalog().pages)}
    if healthy:
        # How full the queue is: beyond the limit, new jobs are answered 503.
        depth = queue_depth()
        checks["queue"] = {"status": "ok" if depth["pending"] < depth["limit"] else "full", **depth}
    if healthy:
        # Without a live worker the demo API would accept jobs that never finish.
        checks["worker"] = worker_health()
        healthy = checks["worker"]["status"] == "ok"
    response = JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
    if not healthy:
        response["Retry-After"] = "10"
    patch_cache_control(response, no_store=True)
    return response
