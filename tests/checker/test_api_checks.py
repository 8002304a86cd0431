"""The checker as an API (/api/checks): every answer the OpenAPI document gives for it,
provoked once and checked against the document, as the API's own tour does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import RequestFactory

from api.openapi import openapi_document
from checker import har
from tests.api.test_openapi import TouringClient, documented_responses, tour_methods
from tests.checker.test_flows import good_flow
from tests.checker.test_inputs import CURL_V
from tests.checker.test_kept import run_to_the_end
from tests.helpers import CHECKER_PATHS

JSON = "application/json"


@pytest.mark.django_db
def test_every_documented_answer_of_the_checker_is_real(settings: Any, their_api: str) -> None:
    settings.CHECKER_ALLOW_LOCAL = True
    settings.CHECKER_REPLAY_CLIENTS = ["naive-requests"]
    api = TouringClient()
    flow = json.dumps(har.write(good_flow(), started=datetime(2026, 1, 1, tzinfo=UTC)))

    # A recorded flow: its report at once; unreadable; kept for a link (202).
    assert api.request("POST", "/api/checks", data=flow, content_type=JSON).status_code == 200
    transcript = api.request("POST", "/api/checks", data=CURL_V, content_type="text/plain")
    assert transcript.json()["convention"]["id"] == "request-reply"
    unreadable = api.request("POST", "/api/checks", data='{"log": 1}', content_type=JSON)
    assert unreadable.status_code == 422
    kept = api.request("POST", "/api/checks?keep=1", data=flow, content_type=JSON)
    assert kept.status_code == 202

    # A live check: accepted; refused; its monitor while it runs, 304, then 303.
    live = {"url": f"{their_api}/jobs", "body": {"n": 1}}
    started = api.post_json("/api/checks/live", live)
    assert started.status_code == 202
    refused = api.post_json("/api/checks/live", {"url": "http://169.254.169.254/latest"})
    assert refused.status_code == 422 and "metadata" in refused.json()["detail"]
    monitor = started["Location"]
    running = api.get(monitor)
    assert running.status_code == 200 and running.json()["status"] == "queued"
    assert api.get(monitor, headers={"If-None-Match": running["ETag"]}).status_code == 304
    report_url = running.json()["report"]
    assert api.get(report_url).status_code == 303  # not yet: back to the monitor
    run_to_the_end(started.json()["id"])
    done = api.get(monitor)
    assert done.status_code == 303 and done["Location"] == report_url
    report = api.get(report_url)
    assert report.status_code == 200 and report.json()["kind"] == "live"
    assert api.get(report_url, headers={"If-None-Match": report["ETag"]}).status_code == 304

    # Kept reports go when asked; then nothing is there.
    assert api.delete(report_url).status_code == 204
    assert api.get(report_url).status_code == 404
    assert api.get(monitor).status_code == 404
    assert api.delete(report_url).status_code == 404

    # Too many: per client (429), and for everyone (503). Each from a client of its own,
    # whose count starts afresh, whichever store counts (a file, or PostgreSQL's table).
    settings.CHECKER_LIVE_PER_HOUR = 1
    settings.CHECKER_KEPT_PER_HOUR = 1
    one, other = {"REMOTE_ADDR": "192.0.2.1"}, {"REMOTE_ADDR": "192.0.2.2"}
    assert api.post_json("/api/checks/live", live, **one).status_code == 202
    assert api.post_json("/api/checks/live", live, **one).status_code == 429
    keep = {"data": flow, "content_type": JSON}
    assert api.request("POST", "/api/checks?keep=1", **keep, **other).status_code == 202
    assert api.request("POST", "/api/checks?keep=1", **keep, **other).status_code == 429
    settings.CHECKER_MAX_PENDING = 1
    assert api.post_json("/api/checks/live", live).status_code == 503
    assert api.request("POST", "/api/checks?keep=1", **keep).status_code == 503

    document = openapi_document(RequestFactory().get("/"))
    for url in ["/api/checks", "/api/checks/live", monitor, report_url]:
        tour_methods(api, document, url)
    documented = {seen for seen in documented_responses(document) if seen[0] in CHECKER_PATHS}
    assert documented - api.seen == set()
