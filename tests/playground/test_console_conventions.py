"""The console's convention switch, without JavaScript: the same example sent under each
convention, every exchange shown raw, polling and cancel through that convention's URLs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from api.conventions import CONVENTIONS
from api.presets import OUTCOMES
from jobs import recovery
from jobs.models import Job
from playground import examples
from playground.views.console import outgoing_request
from tests.helpers import run_worker

pytestmark = pytest.mark.django_db


def send(client: Client, convention: str, example: str = "bulk-email", outcome: str = "") -> str:
    chosen = examples.find_example(example)
    response = client.post(
        "/playground/send",
        {
            "example": chosen.id,
            "convention": convention,
            "body": chosen.request_body,
            "content_type": chosen.request_headers["Content-Type"],
            "outcome": outcome,
        },
        follow=True,  # to the run's own page
    )
    assert response.status_code == 200
    return response.content.decode()


def poll_link(html: str) -> str:
    """Where the run's Poll now form posts (its answer is the run's page again)."""
    match = re.search(r'action="(/playground/runs/run_[\w-]+/poll)"', html)
    assert match, "no Poll now form"
    return match.group(1)


def poll(client: Client, link: str) -> str:
    return client.post(link, follow=True).content.decode()


def test_the_switch_is_a_link_per_convention(client: Client) -> None:
    html = client.get("/playground/", {"example": "file-processing"}).content.decode()
    for convention in CONVENTIONS:
        link = f"?example=file-processing&amp;convention={convention.id}#console"
        assert link in html, convention.id
    page = client.get("/playground/", {"example": "file-processing", "convention": "aip151"})
    html = page.content.decode()
    assert "<code>/api/aip151/files/process</code>" in html
    assert '<input type="hidden" name="convention" value="aip151">' in html
    chip = 'title="Google AIP-151: long-running operations" aria-current="true">Google AIP-151'
    assert chip in html
    assert "https://google.aip.dev/151" in html
    # Choosing another example keeps the convention.
    assert "?example=bulk-email&amp;convention=aip151#console" in html


def test_an_unknown_convention_is_the_rfc9110_one(client: Client) -> None:
    html = client.get("/playground/", {"convention": "soap"}).content.decode()
    assert "<code>/api/emails/bulk</code>" in html


@pytest.mark.django_db(transaction=True)
def test_request_reply_through_the_console(client: Client) -> None:
    html = send(client, "request-reply")
    assert "POST http://testserver/api/request-reply/emails/bulk" in html
    assert "HTTP/1.1 202 Accepted" in html
    assert "Location: http://testserver/api/request-reply/status/job_" in html
    link = poll_link(html)
    pending = poll(client, link)
    assert "GET http://testserver/api/request-reply/status/job_" in pending
    # A status resource: 200 while pending, read its status.
    assert "HTTP/1.1 200 OK" in pending and "Poll now" in pending
    run_worker()
    done = poll(client, link)
    assert "HTTP/1.1 303 See Other" in done
    # Followed, as a client following the redirect would.
    assert re.search(r"GET http://testserver/api/jobs/job_\w+/result", done)
    assert "Polling stopped" in done


@pytest.mark.django_db(transaction=True)
def test_aip151_through_the_console(client: Client) -> None:
    html = send(client, "aip151", "file-processing")
    assert "POST http://testserver/api/aip151/files/process" in html
    assert "HTTP/1.1 200 OK" in html and "&quot;done&quot;: false" in html
    assert "Next poll of <code>name</code>" in html
    link = poll_link(html)
    run_worker()
    done = poll(client, link)
    assert "GET http://testserver/api/aip151/operations/job_" in done
    assert "&quot;done&quot;: true" in done and "Polling stopped" in done


@pytest.mark.django_db(transaction=True)
def test_odata_through_the_console(client: Client) -> None:
    html = send(client, "odata")
    assert "POST http://testserver/api/odata/emails/bulk" in html
    # The console sends the preference OData requires, and shows it.
    assert "Prefer: respond-async" in html
    assert "HTTP/1.1 202 Accepted" in html
    assert "Preference-Applied: respond-async" in html
    assert "Location: http://testserver/api/odata/monitor/job_" in html
    link = poll_link(html)
    pending = poll(client, link)
    assert "HTTP/1.1 202 Accepted" in pending and "Poll now" in pending
    run_worker()
    done = poll(client, link)
    assert "GET http://testserver/api/odata/monitor/job_" in done
    assert "HTTP/1.1 200 OK" in done and "AsyncResult: 200" in done
    assert "Polling stopped" in done


def test_odata_keeps_the_readers_preference_beside_respond_async() -> None:
    fields = {
        "convention": "odata",
        "example": "bulk-email",
        "outcome": "",
        "content_type": "application/json",
        "idempotency_key": "",
    }
    for chosen, sent in [
        ("", "respond-async"),
        ("respond-async", "respond-async"),
        ("wait=10", "respond-async, wait=10"),
    ]:
        _, headers = outgoing_request({**fields, "prefer": chosen})
        assert headers["Prefer"] == sent
    _, headers = outgoing_request({**fields, "convention": "azure", "prefer": ""})
    assert "Prefer" not in headers


@pytest.mark.parametrize(
    "convention,cancel",
    [
        ("rfc9110", "DELETE http://testserver/api/jobs/"),
        ("azure", "POST http://testserver/api/operations/"),
        ("request-reply", "DELETE http://testserver/api/request-reply/status/"),
        ("aip151", "POST http://testserver/api/aip151/operations/"),
        ("job-resource", "DELETE http://testserver/api/job-resource/jobs/"),
        ("odata", "DELETE http://testserver/api/odata/monitor/"),
    ],
)
def test_cancel_goes_through_the_conventions_own_cancel(
    client: Client, convention: str, cancel: str
) -> None:
    html = send(client, convention)
    match = re.search(r'action="(/playground/runs/run_[\w-]+/cancel)"', html)
    assert match
    canceled = poll(client, match.group(1))
    assert cancel in canceled
    after = poll(client, poll_link(canceled))
    # OData's monitor of a canceled request is gone: 404, and its problem says canceled.
    assert "canceled" in after and "Polling stopped" in after


def test_the_console_offers_every_outcome_preset(client: Client) -> None:
    html = client.get("/playground/").content.decode()
    for value, preset in OUTCOMES.items():
        assert f'<option value="{value}">{preset.name}</option>' in html


@pytest.mark.django_db(transaction=True)
def test_an_outcome_preset_sent_from_the_console(client: Client) -> None:
    html = send(client, "azure", outcome="monitor-503")
    assert "POST http://testserver/api/azure/emails/bulk?outcome=monitor-503" in html
    job = Job.objects.get()
    assert job.preset == "monitor-503"
    # The resend keeps it; the first poll meets the preset's 503.
    assert '<input type="hidden" name="outcome" value="monitor-503">' in html
    page = poll(client, poll_link(html))
    assert "HTTP/1.1 503 Service Unavailable" in page


@pytest.mark.django_db(transaction=True)
def test_the_console_shows_a_job_lost_by_its_worker_queued_again(client: Client) -> None:
    html = send(client, "rfc9110", outcome="lost-by-worker")
    run_worker()
    job = Job.objects.get()
    assert job.lease_expires_at is not None
    recovery.recover_stalled_jobs(now=job.lease_expires_at + timedelta(seconds=1))
    page = poll(client, poll_link(html))
    assert "badge--queued" in page and "retrying (attempt 2 of" in page


def test_an_unknown_outcome_from_the_console_is_not_sent(client: Client) -> None:
    html = send(client, "rfc9110", outcome="fast")
    assert "POST http://testserver/api/emails/bulk" in html
    assert "POST http://testserver/api/emails/bulk?" not in html
    assert Job.objects.get().preset == ""
