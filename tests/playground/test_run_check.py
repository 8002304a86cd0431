"""A playground run checked as the checker checks anyone's flow, and downloaded as HAR:
checked again, the HAR gives the same report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from checker import har, report
from playground import examples

pytestmark = pytest.mark.django_db


def send_and_follow(client: Client) -> str:
    """A Send without JavaScript; the run's page it is sent to (303)."""
    example = examples.find_example("bulk-email")
    sent = client.post(
        "/playground/send",
        {"example": example.id, "body": example.request_body, "content_type": "application/json"},
    )
    assert sent.status_code == 303
    return sent["Location"].partition("#")[0]


def test_a_run_is_checked_and_its_har_checks_the_same(client: Client) -> None:
    run_url = send_and_follow(client)
    page = client.get(run_url).content.decode()
    check_url = re.search(r'href="(/playground/runs/[\w-]+/check)"', page)
    har_url = re.search(r'href="(/playground/runs/[\w-]+/run\.har)" download', page)
    assert check_url and har_url
    checked = client.get(check_url.group(1))
    assert checked.status_code == 200 and checked["Cache-Control"] == "no-store"
    html = checked.content.decode()
    assert "RFC 9110 with JSON:API" in html
    # Honestly: httplint warns on the site's own 202 + Location, and the report says why.
    assert 'data-note="LOCATION_UNDEFINED"' in html
    assert 'data-rule="location-on-202"' in html
    download = client.get(har_url.group(1))
    assert download["Content-Type"] == "application/json"
    assert "attachment" in download["Content-Disposition"]
    again = client.post("/check/", {"flow": download.content.decode()})
    assert again.status_code == 200
    flow = har.read(download.content.decode())
    assert flow[0].response.status == 202
    first = report.build(flow).to_json()
    assert first["convention"]["id"] == "rfc9110"
    assert not [f for f in first["findings"] if f["level"] in ("error", "warning")]
    # Written and read once more: the same flow, the same report.
    rewritten = har.write(flow, started=datetime.now(UTC))
    assert report.build(har.read(json.dumps(rewritten))).to_json() == first


def test_a_run_that_is_gone_says_so(client: Client) -> None:
    assert client.get("/playground/runs/run_nope/check").status_code == 404
    assert client.get("/playground/runs/run_nope/run.har").status_code == 404
