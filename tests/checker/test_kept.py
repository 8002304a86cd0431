"""Checks kept on the site: a live check accepted with 202 and run by the worker step by
step, its monitor, its report; a recorded flow kept for a link; the limits; expiry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from checker import checks, har
from checker.models import Check
from tests.checker.test_flows import good_flow
from tests.helpers import make_email_payload, wait_for


@pytest.fixture(autouse=True)
def checker_settings(settings: Any) -> None:
    settings.CHECKER_ALLOW_LOCAL = True
    # The replay itself is tested in test_replay.py: here one client is enough.
    settings.CHECKER_REPLAY_CLIENTS = ["naive-requests"]


def run_to_the_end(check_id: str) -> Check:
    """Run the check's steps, as the worker would, until it is done."""
    for _ in range(50):
        check = Check.objects.get(id=check_id)
        if check.is_done:
            return check
        checks.advance(check_id=check_id, generation=check.generation)
    raise AssertionError("the check never ended")


def start(client: Client, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        "/api/checks/live",
        json.dumps(body),
        content_type="application/json",
        **extra,
    )


@pytest.mark.django_db
def test_a_live_check_is_accepted_then_run_to_a_report(client: Client, their_api: str) -> None:
    accepted = start(
        client,
        {
            "url": f"{their_api}/jobs?api_key=k3y&n=1",
            "body": {"n": 1},
            "headers": {"Authorization": "Bearer s3cret", "X-Trace": "on"},
        },
    )
    assert accepted.status_code == 202
    monitor = accepted["Location"]
    check_id = accepted.json()["id"]
    assert monitor == f"http://testserver/api/checks/{check_id}"
    assert accepted["Retry-After"].isdigit()
    assert len(check_id) >= 22  # 128 random bits

    pending = client.get(monitor)
    assert pending.status_code == 200 and pending.json()["status"] == "queued"
    assert "no-cache" in pending["Cache-Control"] and pending["ETag"]
    assert pending["Retry-After"].isdigit()
    unchanged = client.get(monitor, HTTP_IF_NONE_MATCH=pending["ETag"])
    assert unchanged.status_code == 304

    run_to_the_end(check_id)
    done = client.get(monitor)
    assert done.status_code == 303 and done["Location"] == f"{monitor}/report"

    kept = client.get(done["Location"]).json()
    assert kept["convention"]["id"] == "request-reply"
    assert [e["response"]["status"] for e in kept["exchanges"]] == [202, 200, 303, 200]
    assert sorted(kept["notSent"]) == ["Authorization", "api_key"]
    sent = kept["exchanges"][0]["request"]
    assert "api_key" not in sent["url"] and "n=1" in sent["url"]
    assert [name for name, _ in sent["headers"] if name == "X-Trace"] == ["X-Trace"]
    assert "s3cret" not in json.dumps(kept) and "k3y" not in json.dumps(kept)
    assert kept["stopped"] is None and kept["expires"]

    page = client.get(f"/check/reports/{check_id}").content.decode()
    assert "Not sent, as credentials" in page and "What real clients conclude" in page


@pytest.mark.django_db
def test_a_form_gets_the_status_page_then_the_report(client: Client, their_api: str) -> None:
    posted = client.post(
        "/check/live", {"url": f"{their_api}/jobs", "method": "POST", "body": "{}"}
    )
    assert posted.status_code == 303
    page = client.get(posted["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Checking…" in html and 'data-hx-trigger="every' in html and ">Reload</a>" in html
    check = run_to_the_end(posted["Location"].rsplit("/", 1)[1])
    assert client.get(posted["Location"]).status_code == 303
    assert client.get(posted["Location"], HTTP_HX_REQUEST="true")["HX-Redirect"] == (
        f"/check/reports/{check.id}"
    )


@pytest.mark.django_db
def test_a_target_that_stops_answering_is_reported_not_lost(client: Client, their_api: str) -> None:
    check_id = start(client, {"url": f"{their_api}/jobs"}).json()["id"]
    check = Check.objects.get(id=check_id)
    checks.advance(check_id=check_id, generation=check.generation)  # the submit: 202
    # The monitor now points at a port nothing listens on.
    check.refresh_from_db()
    entry = check.flow["log"]["entries"][0]["response"]
    for header in entry["headers"]:
        if header["name"] == "Location":
            header["value"] = "http://127.0.0.1:9/jobs/1"
    check.save()
    done = run_to_the_end(check_id)
    assert "GET http://127.0.0.1:9/jobs/1" in done.stopped
    kept = client.get(f"/api/checks/{check_id}/report").json()
    assert kept["stopped"] == done.stopped and len(kept["exchanges"]) == 1


@pytest.mark.django_db
def test_a_local_target_is_refused_unless_the_setting_allows_it(
    client: Client, their_api: str, settings: Any
) -> None:
    settings.CHECKER_ALLOW_LOCAL = False
    refused = start(client, {"url": f"{their_api}/jobs"})
    assert refused.status_code == 422
    assert refused["Content-Type"] == "application/problem+json"
    assert "loopback" in refused.json()["detail"]
    page = client.post("/check/live", {"url": "http://10.0.0.1/jobs", "method": "POST"})
    assert 'id="live-problem"' in page.content.decode()
    assert page.status_code == 422 and "private" in page.content.decode()
    assert not Check.objects.exists()


def test_production_does_not_reach_local_addresses_by_default() -> None:
    from config import settings as defaults

    assert defaults.CHECKER_ALLOW_LOCAL is (not defaults.PRODUCTION)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        ('{"method": "POST"}', "url"),
        ('{"url": "ftp://example.com/x"}', "Only http and https"),
        ('{"url": "http://example.com/x", "method": "P O"}', "method"),
        ('{"url": "http://example.com/x", "headers": {"X-A": "1\\r\\nX-B: 2"}}', "one line"),
        ('{"url": "http://example.com/x", "headers": "X-A: 1"}', "headers"),
        ('{"url": "http://metadata.google.internal/x"}', "metadata"),
        ('{"url": "http://user:pw@example.com/x"}', "user name or password"),
    ],
)
def test_a_bad_live_check_is_refused_saying_what_is_wrong(
    client: Client, body: str, named: str
) -> None:
    refused = client.post("/api/checks/live", body, content_type="application/json")
    assert refused.status_code == 422, refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert named in refused.json()["detail"]


@pytest.mark.django_db
def test_live_checks_are_limited_per_client_and_per_target_host(
    client: Client, their_api: str, settings: Any
) -> None:
    settings.CHECKER_LIVE_PER_HOUR = 2
    settings.CHECKER_LIVE_PER_HOST_PER_HOUR = 3
    for _ in range(2):
        assert start(client, {"url": f"{their_api}/jobs"}).status_code == 202
    third = start(client, {"url": f"{their_api}/jobs"})
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert "per client" in third.json()["detail"]
    # Another client may still check the host, once more: the host's allowance is shared.
    assert start(client, {"url": f"{their_api}/jobs"}, REMOTE_ADDR="192.0.2.7").status_code == 202
    fourth = start(client, {"url": f"{their_api}/jobs"}, REMOTE_ADDR="192.0.2.8")
    assert fourth.status_code == 429 and "127.0.0.1" in fourth.json()["detail"]


@pytest.mark.django_db
def test_too_many_pending_checks_are_answered_503(
    client: Client, their_api: str, settings: Any
) -> None:
    settings.CHECKER_MAX_PENDING = 1
    assert start(client, {"url": f"{their_api}/jobs"}).status_code == 202
    busy = start(client, {"url": f"{their_api}/jobs"})
    assert busy.status_code == 503 and busy["Retry-After"] == "30"


@pytest.mark.django_db
def test_a_recorded_flow_kept_for_a_link_is_replayed_then_expires(client: Client) -> None:
    archive = har.write(good_flow(), started=datetime(2026, 1, 1, tzinfo=UTC))
    archive["log"]["entries"][0]["request"]["headers"].append(
        {"name": "Cookie", "value": "session=s3cret"}
    )
    moved = client.post("/check/?keep=1", json.dumps(archive), content_type="application/json")
    assert moved.status_code == 307 and moved["Location"] == "/api/checks?keep=1"
    accepted = client.post(moved["Location"], json.dumps(archive), content_type="application/json")
    assert accepted.status_code == 202
    check_id = accepted.json()["id"]
    stored = Check.objects.get(id=check_id)
    assert "s3cret" not in json.dumps(stored.flow)
    run_to_the_end(check_id)
    report = client.get(f"/api/checks/{check_id}/report")
    assert report.status_code == 200 and "private" in report["Cache-Control"]
    assert report.json()["convention"]["id"] == "request-reply"
    assert [c["client"] for c in report.json()["clients"]] == ["naive-requests"]

    Check.objects.filter(id=check_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/api/checks/{check_id}/report").status_code == 404
    assert client.get(f"/check/reports/{check_id}").status_code == 404
    assert checks.purge_expired() == 1


@pytest.mark.django_db
def test_a_kept_report_can_be_deleted_and_a_form_keep_goes_to_the_status_page(
    client: Client,
) -> None:
    archive = json.dumps(har.write(good_flow(), started=datetime(2026, 1, 1, tzinfo=UTC)))
    posted = client.post("/check/", {"flow": archive, "keep": "1"})
    assert posted.status_code == 303 and "/check/status/" in posted["Location"]
    check_id = posted["Location"].rsplit("/", 1)[1]
    assert client.delete(f"/api/checks/{check_id}/report").status_code == 204
    assert client.get(posted["Location"]).status_code == 404


@pytest.mark.django_db
def test_a_step_lost_with_its_worker_is_queued_again_and_runs_once(
    client: Client, their_api: str
) -> None:
    check_id = start(client, {"url": f"{their_api}/jobs"}).json()["id"]
    lost = Check.objects.get(id=check_id)
    Check.objects.filter(id=check_id).update(next_at=timezone.now() - timedelta(minutes=10))
    client.get(f"/api/checks/{check_id}")
    resumed = Check.objects.get(id=check_id)
    assert resumed.generation == lost.generation + 1
    # The lost task, were it to come back, does nothing.
    assert checks.advance(check_id=check_id, generation=lost.generation) == "superseded"
    assert run_to_the_end(check_id).is_done


@pytest.mark.slow
def test_a_live_check_of_the_sites_own_api_runs_on_the_worker(
    live_server: Any, live_worker: Any, settings: Any
) -> None:
    import requests

    origin = live_server.url.replace("localhost", "127.0.0.1")
    accepted = requests.post(
        f"{origin}/api/checks/live",
        json={"url": f"{origin}/api/emails/bulk", "body": make_email_payload("ada@example.test")},
        timeout=10,
    )
    assert accepted.status_code == 202, accepted.text
    monitor = accepted.headers["Location"]

    def finished() -> requests.Response | None:
        answer = requests.get(monitor, allow_redirects=False, timeout=10)
        return answer if answer.status_code == 303 else None

    done = wait_for(finished, timeout=120, what="the live check to end")
    kept = requests.get(done.headers["Location"], timeout=10).json()
    assert kept["stopped"] is None
    # The site's 202 names an Operation-Location besides its Location; like Azure's
    # clients, the checker polls the former, and judges the flow as Azure's.
    assert kept["convention"]["id"] == "azure"
    assert kept["exchanges"][0]["response"]["status"] == 202
    assert kept["exchanges"][-1]["response"]["status"] == 200
    assert kept["counts"]["error"] == 0
