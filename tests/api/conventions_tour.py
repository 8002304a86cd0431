"""The part of test_openapi's tour that provokes every documented response of the
conventions other than RFC 9110, and of the ?outcome= presets
on every monitor, /api/jobs and /api/operations included."""

from __future__ import annotations

import itertools
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.conventions import CONVENTIONS
from api.headers import MAX_CONTENT_TYPE
from jobs.models import IdempotencyKey, Job
from tests.helpers import ApiClient, make_email_payload, run_worker

JSON = "application/json"
# Longer than the API reads: refused (431) before any of it is parsed.
LONG_TYPE = "text/plain; x=" + "a" * MAX_CONTENT_TYPE
SUBMITTED = {
    "azure": 202,
    "request-reply": 202,
    "aip151": 200,
    "job-resource": 201,
    "odata": 202,
}
FRESH = itertools.count()


def job_id_of(response: Any) -> str:
    body = response.json()
    return str(body.get("jobId") or body.get("id") or body["name"].removeprefix("operations/"))


def fresh_limits(settings: Any) -> None:
    """A count of its own for the next limit tripped: the first request passes."""
    settings.DEMO_LIMITS_PATH = settings.DEMO_LIMITS_PATH.with_name(
        f"conventions-{next(FRESH)}.sqlite3"
    )


def tour_submit(
    api: ApiClient, settings: Any, bulk: str, files: str, accepted: int, prefer: str = ""
) -> None:
    """Every answer of one convention's two submit URLs, refusals included; every request
    carries the Prefer the convention requires (OData's respond-async), if any."""
    preferring = {"Prefer": prefer} if prefer else {}
    if prefer:
        for url in [bulk, files]:
            refused = api.post_json(url, make_email_payload())
            assert refused.status_code == 400, url
    assert api.post_json(bulk, make_email_payload(), headers=preferring).status_code == accepted
    upload = SimpleUploadedFile("notes.txt", b"hello world\n", content_type="text/plain")
    answer = api.request("POST", files, data={"file": upload}, headers=preferring)
    assert answer.status_code == accepted
    key = {"Idempotency-Key": "conventions-tour", **preferring}
    requests: list[tuple[str, dict[str, Any]]] = [
        (bulk, {"data": json.dumps(make_email_payload()), "content_type": JSON}),
        (files, {"data": b"x", "content_type": "text/plain"}),
    ]
    for url, request in requests:
        assert api.request("POST", url, **request, headers=key).status_code == accepted
        IdempotencyKey.objects.filter(key="conventions-tour").update(job=None)
        assert api.request("POST", url, **request, headers=key).status_code == 409
        IdempotencyKey.objects.filter(key="conventions-tour").delete()
        outcome = f"{url}?outcome=nope"
        assert api.request("POST", outcome, **request, headers=preferring).status_code == 422
        settings.DEMO_MAX_PENDING_PER_CLIENT = 1
        assert api.request("POST", url, **request, headers=preferring).status_code == 429
        settings.DEMO_MAX_PENDING_PER_CLIENT = 100_000
        settings.DEMO_MAX_PENDING_JOBS = 1
        assert api.request("POST", url, **request, headers=preferring).status_code == 503
        settings.DEMO_MAX_PENDING_JOBS = 100_000
    bulk_problems = [
        (400, "{", JSON),
        (413, json.dumps(make_email_payload(*[f"u{i}@example.test" for i in range(6)])), JSON),
        (415, "hello", "text/plain"),
        (431, "hello", LONG_TYPE),
        (422, json.dumps({"subject": "", "body": "Hi", "recipients": []}), JSON),
    ]
    for status, data, content_type in bulk_problems:
        answer = api.request("POST", bulk, data=data, content_type=content_type, headers=preferring)
        assert answer.status_code == status
    file_problems: list[tuple[int, dict[str, Any]]] = [
        (400, {"data": b"--x\r\n", "content_type": "multipart/form-data"}),
        (411, {"data": b"", "content_type": "text/plain", "CONTENT_TYPE": "text/plain"}),
        (413, {"data": b"x" * 5000, "content_type": "application/octet-stream"}),
        (415, {"data": "a=b", "content_type": "application/x-www-form-urlencoded"}),
        (431, {"data": b"x", "content_type": LONG_TYPE}),
        (422, {"data": {"other": "value"}}),
    ]
    for status, request in file_problems:
        assert api.request("POST", files, **request, headers=preferring).status_code == status


def submit(api: ApiClient, *, outcome: str = "", recipients: tuple[str, ...] = ()) -> str:
    query = f"?outcome={outcome}" if outcome else ""
    response = api.post_json(f"/api/emails/bulk{query}", make_email_payload(*recipients))
    assert response.status_code == 202
    return job_id_of(response)


MONITORS = [
    "/api/jobs/{}",
    "/api/operations/{}",
    "/api/request-reply/status/{}",
    "/api/aip151/operations/{}",
    "/api/job-resource/jobs/{}",
    "/api/odata/monitor/{}",
]


def tour_monitors(api: ApiClient) -> None:
    """Every monitor: pending, its 304 and 412, the presets' 503, 429 and 410, done."""
    pending = submit(api)
    for template in MONITORS:
        url = template.format(pending)
        first = api.get(url)
        assert first.status_code in (200, 202) and first["Retry-After"].isdigit()
        assert api.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
        assert api.get(url, headers={"If-Match": '"stale"'}).status_code == 412
        assert api.get(template.format("job_nope")).status_code == 404
    for outcome, status in [("monitor-503", 503), ("monitor-429", 429)]:
        busy = submit(api, outcome=outcome)
        for template in MONITORS:
            # Each GET is followed by a HEAD: the two polls the preset refuses.
            refused = api.get(template.format(busy))
            assert refused.status_code == status and refused["Retry-After"] == "1"
            Job.objects.filter(public_id=busy).update(monitor_answers=0)
        Job.objects.filter(public_id=busy).update(monitor_answers=2)
        assert api.get(MONITORS[0].format(busy)).status_code == 200
    dated = submit(api, outcome="retry-after-date")
    assert api.get(MONITORS[2].format(dated))["Retry-After"].endswith(" GMT")
    failed = submit(api, recipients=("x@bounce.example.test",))
    gone = submit(api, outcome="gone-after-done")
    run_worker()
    # Request-reply persists a failure at its status endpoint: 422 for what was submitted,
    # 200 with the status for the site's own (a worker lost).
    assert api.get(MONITORS[2].format(failed)).status_code == 422
    lost = Job.objects.get(public_id=submit(api))
    lost.finish(
        status=Job.Status.FAILED,
        error={"code": Job.ErrorCode.WORKER_LOST.value, "detail": "Its worker stopped."},
        now=timezone.now(),
    )
    lost.save()
    assert api.get(MONITORS[2].format(lost.public_id)).status_code == 200
    assert api.get(MONITORS[2].format(pending)).status_code == 303
    odata = MONITORS[5]
    assert api.get(odata.format(pending))["AsyncResult"] == "200"
    whole = api.get(odata.format(pending), headers={"Accept": "application/http"})
    assert whole["Content-Type"] == "application/http"
    assert api.get(odata.format(failed))["AsyncResult"] == "422"
    for template in MONITORS:
        assert api.get(template.format(gone)).status_code == 410
    assert api.get(f"/api/jobs/{gone}/result").status_code == 410


# Each convention's own cancel, by method and URL template, and what it answers when
# the job was canceled at once (queued): OData's 204 leaves a monitor that answers 404.
CANCELS = [
    ("POST", "/api/operations/{}:cancel", 200),
    ("DELETE", "/api/request-reply/status/{}", 200),
    ("POST", "/api/aip151/operations/{}:cancel", 200),
    ("DELETE", "/api/job-resource/jobs/{}", 200),
    ("DELETE", "/api/odata/monitor/{}", 204),
]


def tour_cancels(api: ApiClient, settings: Any) -> None:
    """Every answer of the conventions' own cancels: Azure's and AIP-151's :cancel, the
    DELETEs of the request-reply status endpoint, the job resource and the OData monitor."""
    for method, template, canceled in CANCELS:
        queued = submit(api)
        assert api.request(method, template.format(queued)).status_code == canceled
        assert api.request(method, template.format(queued)).status_code == 409
        assert api.request(method, template.format("job_nope")).status_code == 404
    assert api.get(f"/api/odata/monitor/{queued}").status_code == 404
    for method, template, _ in CANCELS:
        if method == "DELETE":
            running = submit(api)
            # As a worker would have it when the DELETE comes: running, so it stops at
            # its next step.
            Job.objects.filter(public_id=running).update(status=Job.Status.RUNNING)
            assert api.request(method, template.format(running)).status_code == 202
    gone = submit(api, outcome="gone-after-done")
    api.delete(f"/api/jobs/{gone}")
    assert api.get(f"/api/jobs/{gone}").status_code == 410
    for method, template, _ in CANCELS:
        assert api.request(method, template.format(gone)).status_code == 410
    target = submit(api)
    for method, template, _ in CANCELS:
        fresh_limits(settings)
        settings.DEMO_JOBS_PER_MINUTE = 1
        url = template.format(target)
        statuses = [api.request(method, url).status_code for _ in range(2)]
        settings.DEMO_JOBS_PER_MINUTE = 100_000
        assert statuses[-1] == 429, (url, statuses)


def tour_registry(api: ApiClient) -> None:
    first = api.get("/api/conventions")
    assert first.status_code == 200
    assert [c["id"] for c in first.json()["conventions"]] == [c.id for c in CONVENTIONS]
    assert api.get("/api/conventions", headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert api.get("/api/conventions", headers={"If-Match": '"stale"'}).status_code == 412


def tour_conventions(api: ApiClient, settings: Any) -> tuple[list[str], list[str]]:
    """Every response of the conventions' paths but their OPTIONS, 405 and poll limits;
    returns a URL of each of their paths (for the tour's methods) and of each monitor
    (for its poll limits)."""
    for convention in CONVENTIONS[1:]:
        tour_submit(
            api,
            settings,
            convention.submit["bulk-email"],
            convention.submit["file-processing"],
            SUBMITTED[convention.id],
            convention.prefer,
        )
    tour_monitors(api)
    tour_cancels(api, settings)
    tour_registry(api)
    job = submit(api)
    monitors = [template.format(job) for template in MONITORS[2:]]
    submits = [c.submit[example] for c in CONVENTIONS[1:] for example in c.submit]
    others = [
        f"/api/operations/{job}:cancel",
        f"/api/aip151/operations/{job}:cancel",
        "/api/conventions",
    ]
    return [*submits, *monitors, *others], monitors
