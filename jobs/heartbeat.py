"""Worker liveness: each worker writes a heartbeat; /healthz reports the freshest one.

Without a live worker the demo API would accept jobs that never finish, so the
health check says so.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from config.site import iso_utc
from jobs.models import WorkerHeartbeat


def record_heartbeat(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"pid": os.getpid(), "seen_at": timezone.now()}
    )


def worker_health(*, now: datetime | None = None) -> dict[str, Any]:
    """What /healthz reports about the workers: ok when one was seen recently."""
    now = now or timezone.now()
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    stale_after = timedelta(seconds=settings.DEMO_WORKER_STALE_AFTER)
    if latest is None:
        return {"status": "error", "detail": "No worker has ever started."}
    age = (now - latest.seen_at).total_seconds()
    fresh = latest.seen_at > now - stale_after
    return {
        "status": "ok" if fresh else "error",
        "lastSeenAt": iso_utc(latest.seen_at),
        "secondsSinceSeen": round(age, 1),
        **({} if fresh else {"detail": "No worker has been seen recently."}),
    }
