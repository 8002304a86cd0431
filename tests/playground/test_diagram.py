"""The console's exchanges, drawn: what each real exchange puts on the three lanes, and
that every page and fragment of the console draws one segment per exchange it shows."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, RequestFactory

from jobs.models import Job
from playground import examples
from playground.sending import Exchange, send
from playground.templatetags.sequence import exchange_steps
from reference.diagram import Step
from tests.helpers import make_email_payload, run_worker

pytestmark = pytest.mark.django_db

SEGMENT = '<li class="sequence__step">'
TIMELINE_ITEM = '<li class="timeline__item">'


def make_exchange(method: str, url: str, body: bytes = b"", **headers: str) -> Exchange:
    origin = RequestFactory().get("/playground/", HTTP_HOST="testserver")
    if body:
        headers.setdefault("Content-Type", "application/json")
    return send(origin_request=origin, method=method, url=url, headers=headers, body=body)


def accept_job(*recipients: str, **headers: str) -> Exchange:
    payload = json.dumps(make_email_payload(*(recipients or ("ada@example.test",))))
    return make_exchange("POST", "/api/emails/bulk", payload.encode(), **headers)


def by_style(steps: tuple[Step, ...]) -> dict[str, Step]:
    return {step.style: step for step in steps}


def test_a_202_is_drawn_with_its_location_pace_and_the_job_handed_to_the_worker() -> None:
    accepted = accept_job(**{"Idempotency-Key": "drawn-1"})
    job_id = accepted.json["jobId"]
    steps = exchange_steps(accepted)
    assert [(step.source, step.target, step.style) for step in steps] == [
        ("Client", "API", "request"),
        ("API", "Worker", "internal"),
        ("Worker", "Worker", "note"),
        ("API", "Client", "response"),
    ]
    request, handoff, note, answer = steps
    assert request.lines == ("POST /api/emails/bulk", "Idempotency-Key: drawn-1")
    assert handoff.lines == ("job queued",)
    # The 202's body is the monitor's: the job's step as the monitor would report it.
    assert note.lines == (accepted.message,)
    short_id = job_id[:8] + "…"
    assert answer.lines == (
        "202 Accepted",
        f"Location: /api/jobs/{short_id}",
        f"queued · Retry-After: {accepted.header('Retry-After')}",
    )
    assert answer.tone == "2xx"
    # The drawing shortens the job id; the text alternative says it in full.
    assert f"Location: /api/jobs/{job_id}" in answer.describe()


def test_a_poll_shows_the_workers_step_as_the_monitor_reports_it() -> None:
    job_id = accept_job().json["jobId"]
    poll = make_exchange("GET", f"/api/jobs/{job_id}")
    steps = by_style(exchange_steps(poll))
    assert steps["note"].source == "Worker" and steps["note"].tone == "queued"
    assert steps["note"].lines == (poll.message,)
    assert steps["response"].lines == (
        "200 OK",
        f"queued · Retry-After: {poll.header('Retry-After')}",
    )
    assert "internal" not in steps


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_finished_job_is_drawn_as_the_303_and_the_result() -> None:
    job_id = accept_job().json["jobId"]
    run_worker()
    see_other = make_exchange("GET", f"/api/jobs/{job_id}")
    assert see_other.status == 303
    answer = by_style(exchange_steps(see_other))["response"]
    assert answer.lines == (
        "303 See Other",
        f"Location: /api/jobs/{job_id[:8]}…/result",
        "succeeded",
    )
    assert answer.tone == "3xx"
    result = by_style(exchange_steps(make_exchange("GET", f"/api/jobs/{job_id}/result")))
    assert result["request"].lines == (f"GET /api/jobs/{job_id[:8]}…/result",)
    assert result["response"].lines == ("200 OK", "the result")


def test_a_cancel_is_handed_to_the_worker() -> None:
    job_id = accept_job().json["jobId"]
    # Running: the cancel is the worker's to enact at its next step, and answers 202.
    Job.objects.filter(public_id=job_id).update(status=Job.Status.RUNNING)
    cancel = make_exchange("DELETE", f"/api/jobs/{job_id}")
    steps = by_style(exchange_steps(cancel))
    assert steps["request"].lines == (f"DELETE /api/jobs/{job_id[:8]}…",)
    assert steps["internal"].lines == ("cancel requested",)
    assert steps["response"].lines[0] == "202 Accepted"
    assert steps["response"].lines[-1].startswith("running · Retry-After: ")


def test_a_queued_jobs_cancel_is_answered_by_the_api_alone() -> None:
    job_id = accept_job().json["jobId"]
    cancel = make_exchange("DELETE", f"/api/jobs/{job_id}")
    steps = by_style(exchange_steps(cancel))
    # Canceled at once: 200, and nothing was handed to the worker.
    assert "internal" not in steps
    assert steps["response"].lines[0] == "200 OK"
    assert steps["response"].lines[-1] == "canceled"


def test_an_answer_about_no_job_has_no_state_and_no_worker() -> None:
    missing = make_exchange("GET", "/api/jobs/job_nosuchjobatallxxxxxx")
    steps = exchange_steps(missing)
    assert [step.style for step in steps] == ["request", "response"]
    assert steps[-1].lines == ("404 Not Found",) and steps[-1].tone == "4xx"


def send_form(client: Client, **headers: str) -> str:
    example = examples.find_example("bulk-email")
    data = {"example": example.id, "body": example.request_body, "content_type": "application/json"}
    # Without JavaScript, the run's own page the Send is sent on to.
    return client.post("/playground/send", data, headers=headers, follow=True).content.decode()


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_every_console_answer_draws_one_segment_per_exchange_in_its_timeline(
    client: Client,
) -> None:
    sent = send_form(client)
    assert sent.count(SEGMENT) == sent.count(TIMELINE_ITEM) == 1
    assert '<ol id="sequence" class="sequence__steps">' in sent
    job_id = re.search(r"Job <code>(job_[A-Za-z0-9]+)</code>", sent)[1]  # type: ignore[index]

    fragment = client.get(f"/playground/jobs/{job_id}/poll", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    # The poll's segments go out of band, appended to the drawing the page already has.
    appended = re.search(r'<ol id="sequence" data-hx-swap-oob="beforeend">(.*?)</ol>', html, re.S)
    assert appended and appended[1].count(SEGMENT) == html.count(TIMELINE_ITEM) == 1
    assert "Client to API: GET /api/jobs/" + job_id in appended[1]

    run_worker()
    done = client.get(f"/playground/jobs/{job_id}/poll").content.decode()
    # Without JavaScript: the whole page, its drawing with the 303 and the result it followed.
    assert done.count(SEGMENT) == done.count(TIMELINE_ITEM) == 2
    assert "API to Client: 303 See Other" in done and "API to Client: 200 OK, the result" in done

    canceled = client.post(f"/playground/jobs/{job_id}/cancel", headers={"HX-Request": "true"})
    html = canceled.content.decode()
    assert html.count(SEGMENT) == html.count(TIMELINE_ITEM) == 1
    assert "Client to API: DELETE" in html


def test_the_drawing_is_hidden_from_screen_readers_that_read_its_sentences(client: Client) -> None:
    sent = send_form(client)
    svgs = re.findall(r"<svg[^>]*>", sent)
    assert svgs and all('aria-hidden="true"' in svg for svg in svgs)
    sentences = re.findall(r'<span class="visually-hidden">(Client to API: [^<]*)</span>', sent)
    assert len(sentences) == 1 and "API to Client: 202 Accepted" in sentences[0]
