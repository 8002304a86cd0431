"""The checker's page: a flow pasted or uploaded, its report shown; bad input said."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from checker import har
from checker.views.answers import MAX_INPUT
from tests.checker.test_flows import good_flow
from tests.checker.test_inputs import CURL_V


def test_the_page_offers_the_form_and_lists_every_rule(client: Client) -> None:
    page = client.get("/check/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    for rule in ["accepted-without-monitor", "status-vocabulary", "location-on-202"]:
        assert f'id="rule-{rule}"' in html


def test_a_pasted_transcript_is_checked(client: Client) -> None:
    page = client.post("/check/", {"flow": CURL_V})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert "Asynchronous Request-Reply pattern" in html
    assert 'data-rule="location-on-202"' in html
    assert 'href="/202/#location-on-202"' in html
    assert 'data-note="LOCATION_UNDEFINED"' in html


def test_an_uploaded_har_is_checked_and_its_secrets_are_not_shown(client: Client) -> None:
    written = har.write(good_flow(), started=datetime(2026, 1, 1, tzinfo=UTC))
    written["log"]["entries"][0]["request"]["headers"].append(
        {"name": "Authorization", "value": "Bearer s3cret"}
    )
    upload = SimpleUploadedFile("flow.har", json.dumps(written).encode(), "application/json")
    page = client.post("/check/", {"file": upload})
    assert page.status_code == 200
    html = page.content.decode()
    assert "exchange-4" in html and "s3cret" not in html


def test_bad_input_is_named_and_nothing_else_happens(client: Client) -> None:
    assert "Nothing to check" in client.post("/check/", {"flow": " "}).content.decode()
    page = client.post("/check/", {"flow": '{"log": 1}'})
    assert page.status_code == 422 and "no log.entries" in page.content.decode()
    big = SimpleUploadedFile("big.har", b"{" + b" " * MAX_INPUT, "application/json")
    page = client.post("/check/", {"file": big})
    assert page.status_code == 422 and "reads at most" in page.content.decode()
    binary = SimpleUploadedFile("flow.har", b"\xff\xfe\x00\x01", "application/octet-stream")
    assert "not UTF-8" in client.post("/check/", {"file": binary}).content.decode()


def test_a_flow_posted_to_the_api_gets_the_report_as_json(client: Client) -> None:
    written = json.dumps(har.write(good_flow(), started=datetime(2026, 1, 1, tzinfo=UTC)))
    answer = client.post("/api/checks", written, content_type="application/json")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    checked = answer.json()
    assert checked["convention"]["id"] == "request-reply"
    assert [f["rule"] for f in checked["findings"]] == ["location-on-202"]
    assert len(checked["exchanges"]) == 4
    transcript = client.post("/api/checks", CURL_V, content_type="text/plain")
    assert transcript.json()["exchanges"][0]["response"]["status"] == 202


def test_a_body_the_checker_cannot_read_gets_a_problem(client: Client) -> None:
    for body, says in [
        ("{", "not JSON"),
        ("", "empty"),
        ("x" * (MAX_INPUT + 1), "over"),
    ]:
        answer = client.post("/api/checks", body, content_type="application/json")
        assert answer.status_code == 422
        assert answer["Content-Type"] == "application/problem+json"
        assert says in answer.json()["detail"]
