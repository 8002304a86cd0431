"""A run's own page, without JavaScript: Send answers 303 See Other to it, and it shows the
whole history so far, reloaded or shared; Poll now and Cancel add to it (Post/Redirect/Get)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from jobs.models import Job
from playground import examples, runs
from playground.models import Run
from playground.sending import send
from tests.helpers import run_worker

pytestmark = pytest.mark.django_db

TIMELINE_ITEM = '<li class="timeline__item">'


def send_form(client: Client, **fields: str) -> tuple[str, str]:
    """Send as a plain form does: the run's URL (with its anchor) and the 303's body."""
    example = examples.find_example("bulk-email")
    data = {"example": example.id, "body": example.request_body, "content_type": "application/json"}
    answer = client.post("/playground/send", {**data, **fields})
    assert answer.status_code == 303, answer.content.decode()[:500]
    return answer["Location"], answer.content.decode()


def form_action(page: str, step: str) -> str:
    match = re.search(
        rf'<form[^>]* method="post" action="(/playground/runs/run_[\w-]+/{step})"', page
    )
    assert match, f"no {step} form"
    return match.group(1)


def test_send_answers_303_to_the_runs_own_page_which_reloads_and_shares(client: Client) -> None:
    location, _ = send_form(client)
    run_url, _, anchor = location.partition("#")
    assert re.fullmatch(r"/playground/runs/run_[\w-]{20,}/", run_url)
    assert anchor == "next-poll"  # where the reader's next step is
    first = client.get(run_url)
    assert first.status_code == 200
    page = first.content.decode()
    assert "HTTP/1.1 202 Accepted" in page and 'id="next-poll"' in page
    job_id = Job.objects.get().public_id
    assert f"Job <code>{job_id}</code>" in page
    # Reloading sends nothing again; the page is the same run.
    assert client.get(run_url).content.decode().count(TIMELINE_ITEM) == 1
    assert Job.objects.count() == 1
    # Shared: another reader, from another address, opens the same run.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert f"Job <code>{job_id}</code>" in other.get(run_url).content.decode()
    # The form shows what was sent, ready to send again.
    assert 'name="example" value="bulk-email"' in page and "Send again" in page


@pytest.mark.django_db(transaction=True)
def test_poll_now_keeps_the_whole_history_to_the_result(client: Client) -> None:
    location, _ = send_form(client)
    run_url = location.partition("#")[0]
    page = client.get(run_url).content.decode()
    polled = client.post(form_action(page, "poll"))
    assert polled.status_code == 303 and polled["Location"] == f"{run_url}#next-poll"
    page = client.get(run_url).content.decode()
    assert page.count(TIMELINE_ITEM) == 2
    run_worker()
    done = client.post(form_action(page, "poll"))
    assert done["Location"] == f"{run_url}#run-end"
    page = client.get(run_url).content.decode()
    # The Send's 202, the first poll, the 303 and the result it led to: all of it, in order.
    assert page.count(TIMELINE_ITEM) == 4
    statuses = re.findall(r'<span class="badge badge--status">(\d{3}) ', page)
    assert statuses == ["202", "200", "303", "200"]
    assert 'id="run-end"' in page and "Polling stopped" in page
    assert "Poll now" not in page and "Cancel job" not in page
    # The drawing has every exchange too.
    assert page.count('<li class="sequence__step">') == 4


def test_cancel_on_a_runs_page_keeps_the_delete_and_polling_goes_on(client: Client) -> None:
    location, _ = send_form(client)
    run_url = location.partition("#")[0]
    page = client.get(run_url).content.decode()
    canceled = client.post(form_action(page, "cancel"))
    assert canceled.status_code == 303
    page = client.get(run_url).content.decode()
    assert re.search(r"DELETE http://testserver/api/jobs/job_\w+", page)
    assert page.count(TIMELINE_ITEM) == 2 and 'id="next-poll"' in page
    page = client.get(client.post(form_action(page, "poll"))["Location"]).content.decode()
    assert "badge--canceled" in page and "Polling stopped" in page


def test_htmx_on_a_runs_page_polls_into_the_run_and_gets_a_fragment(client: Client) -> None:
    run_url = send_form(client)[0].partition("#")[0]
    page = client.get(run_url).content.decode()
    poll_url = form_action(page, "poll")
    assert f'data-hx-post="{poll_url}"' in page
    fragment = client.post(poll_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert fragment.content.decode().count(TIMELINE_ITEM) == 1
    # Kept: a reload shows it.
    assert client.get(run_url).content.decode().count(TIMELINE_ITEM) == 2


def test_a_send_the_api_refuses_is_a_run_too_with_nothing_to_poll(client: Client) -> None:
    location, _ = send_form(client, content_type="text/plain")
    run_url, _, anchor = location.partition("#")
    assert anchor == "run-title"
    page = client.get(run_url).content.decode()
    assert "HTTP/1.1 415 Unsupported Media Type" in page
    assert "nothing was accepted" in page and 'id="next-poll"' not in page
    assert Job.objects.count() == 0
    assert not re.search(r'action="/playground/runs/run_[\w-]+/poll"', page)


def test_an_unknown_or_expired_run_says_so(client: Client) -> None:
    missing = client.get("/playground/runs/run_nosuchrunatall/")
    assert missing.status_code == 404
    assert "No run has this id" in missing.content.decode()
    assert client.post("/playground/runs/run_nosuchrunatall/poll").status_code == 404
    run_url = send_form(client)[0].partition("#")[0]
    Run.objects.update(created_at=timezone.now() - timedelta(days=3))
    with override_settings(DEMO_JOB_RETENTION=3600):
        assert client.get(run_url).status_code == 404
    # A run of the embed is not the playground's, nor the other way round.
    assert client.get(run_url.replace("/playground/", "/playground/embed/")).status_code == 404


def origin(address: str = "192.0.2.9") -> WSGIRequest:
    return RequestFactory().get("/playground/", HTTP_HOST="testserver", REMOTE_ADDR=address)


def start_run(request: WSGIRequest, *, job_id: str | None = None) -> Run:
    """A run whose Send got a 404 for a job id the API never gave."""
    exchange = send(origin_request=request, method="GET", url="/api/jobs/job_nosuchjob")
    return runs.start(
        request, exchanges=[exchange], job_id=job_id, convention="rfc9110", fields={}, embed=False
    )


def test_a_client_keeps_only_its_newest_runs() -> None:
    for _ in range(runs.MAX_RUNS_PER_CLIENT + 5):
        start_run(origin())
    assert Run.objects.filter(client="192.0.2.9").count() == runs.MAX_RUNS_PER_CLIENT


def test_the_site_keeps_its_newest_runs_however_many_addresses_send(monkeypatch: Any) -> None:
    monkeypatch.setattr(runs, "MAX_RUNS", 3)
    started = [start_run(origin(f"192.0.2.{number}")).public_id for number in range(5)]
    assert sorted(Run.objects.values_list("public_id", flat=True)) == sorted(started[-3:])


def test_a_run_keeps_its_send_and_its_newest_polls_within_its_cap() -> None:
    run = start_run(origin(), job_id="job_x")
    [exchange] = runs.last_step(run)[1]
    for _ in range(runs.MAX_RUN_EXCHANGES + 10):
        runs.add_step(run, kind="poll", exchanges=[exchange])
    run.refresh_from_db()
    assert sum(len(step["exchanges"]) for step in run.steps) == runs.MAX_RUN_EXCHANGES
    assert run.steps[0]["kind"] == "send" and run.dropped == 11
    page = Client().get(f"/playground/runs/{run.public_id}/").content.decode()
    assert "11 earlier polls of this run are no longer kept" in page


def finished_run_page(client: Client, **fields: str) -> str:
    run_url = send_form(client, **fields)[0].partition("#")[0]
    run_worker()
    page = client.get(run_url).content.decode()
    return client.get(client.post(form_action(page, "poll"))["Location"]).content.decode()


def status_line(page: str) -> str:
    match = re.search(r'<p id="run-status"[^>]*>(.*?)</p>', page, re.S)
    assert match
    return re.sub(r"<[^>]+>", "", match.group(1))


@pytest.mark.django_db(transaction=True)
def test_a_finished_run_says_its_outcome_in_words(client: Client) -> None:
    page = finished_run_page(client)
    recipients = len(Job.objects.get().input["recipients"])
    words = f"{recipients} of {recipients} messages delivered"
    assert words in status_line(page)
    assert f"Polling stopped: {words}." in page


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_says_why_in_words(client: Client) -> None:
    example = examples.find_example("bulk-email")
    body = examples.body_for(example, examples.find_variant(example, "failure"))
    line = status_line(finished_run_page(client, body=body))
    assert "failed: every recipient bounced (0 of 2 messages delivered, 2 bounced)" in line


@pytest.mark.django_db(transaction=True)
def test_a_canceled_run_says_how_far_it_got(client: Client) -> None:
    run_url = send_form(client)[0].partition("#")[0]
    page = client.get(run_url).content.decode()
    client.post(form_action(page, "cancel"))
    run_worker()
    page = client.get(run_url).content.decode()
    page = client.get(client.post(form_action(page, "poll"))["Location"]).content.decode()
    recipients = len(Job.objects.get().input["recipients"])
    assert re.search(
        rf"canceled before step 1 of \d+: 0 of {recipients} messages delivered, "
        rf"{recipients} not sent",
        status_line(page),
    )


@override_settings(DEMO_JOBS_PER_MINUTE=1)
def test_a_refused_send_says_why_and_when_to_try_again(client: Client) -> None:
    send_form(client)
    run_url = send_form(client)[0].partition("#")[0]
    page = client.get(run_url).content.decode()
    assert "HTTP/1.1 429 Too Many Requests" in page
    line = status_line(page)
    assert "The API answered 429 Too Many Requests: nothing was accepted. Why: " in line
    detail = re.search(r"&quot;detail&quot;: &quot;([^&]+)&quot;", page)
    assert detail and detail.group(1) in line
    wait = re.search(r"Retry-After: (\d+)", page)
    assert wait and f"Try again in {wait.group(1)} s, as its Retry-After asks." in line
