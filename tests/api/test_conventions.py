"""One job, six conventions: each convention's URLs answer each stage with the statuses
and headers the conventions' data says, any monitor watches any job, and the
?outcome= presets change how every monitor answers. A real worker runs the jobs
(run_worker), and every response is checked against the OpenAPI document (ApiClient).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from api.compatibility import VERDICTS
from api.conventions import BY_ID, CONVENTIONS, Convention
from api.presets import BUSY_POLLS, OUTCOMES, PRESETS
from jobs import recovery
from jobs.models import Job, MailboxMessage
from jobs.work import steps
from tests.helpers import (
    ApiClient,
    fault_at,
    make_email_payload,
    run_worker,
    task_of,
)

BOUNCING = ("a@bounce.example.test", "b@bounce.example.test")
BUSY_PROBLEMS = {"monitor-503": "monitor-unavailable", "monitor-429": "monitor-throttled"}
# Where each convention's submit answer names the monitor, besides the body.
MONITOR_HEADERS = {
    "rfc9110": {"Location", "Content-Location", "Operation-Location"},
    "azure": {"Operation-Location"},
    "request-reply": {"Location"},
    "aip151": set(),
    "job-resource": {"Location"},
    "odata": {"Location"},
}


def submit(
    api: ApiClient,
    convention: Convention,
    example: str = "bulk-email",
    *,
    outcome: str = "",
    recipients: tuple[str, ...] = (),
    **kwargs: Any,
) -> Any:
    url = convention.submit[example] + (f"?outcome={outcome}" if outcome else "")
    if convention.prefer:
        # OData's submit is refused without Prefer: respond-async.
        kwargs["headers"] = {"Prefer": convention.prefer, **kwargs.get("headers", {})}
    if example == "bulk-email":
        return api.post_json(url, make_email_payload(*recipients), **kwargs)
    return api.request("POST", url, data=b"a,b\n1,2\n", content_type="text/csv", **kwargs)


def job_id_of(response: Any) -> str:
    body = response.json()
    found = body.get("jobId") or body.get("id") or body["name"].removeprefix("operations/")
    assert isinstance(found, str) and found.startswith("job_")
    return found


def monitor_of(convention: Convention, job_id: str) -> str:
    return convention.monitor_path(job_id)


def cancel(api: ApiClient, convention: Convention, job_id: str) -> Any:
    endpoint = convention.cancel
    assert endpoint is not None
    return api.request(endpoint.method, endpoint.path.replace("{jobId}", job_id))


# -- Each stage, each convention -------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("example", ["bulk-email", "file-processing"])
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_a_job_that_succeeds(api: ApiClient, convention: Convention, example: str) -> None:
    stages = convention.statuses
    accepted = submit(api, convention, example)
    assert accepted.status_code in stages.accepted
    job_id = job_id_of(accepted)
    monitor = f"http://testserver{monitor_of(convention, job_id)}"
    named = {name for name in ["Location", "Content-Location", "Operation-Location"]}
    assert {name for name in named if name in accepted} == MONITOR_HEADERS[convention.id]
    for name in MONITOR_HEADERS[convention.id] - {"Operation-Location"}:
        assert accepted[name] == monitor
    if convention.id == "azure":
        assert accepted["Operation-Location"] == monitor
    if convention.id == "aip151":
        assert accepted.json()["name"] == f"operations/{job_id}"
        assert accepted.json()["done"] is False
    assert accepted["Cache-Control"] == "no-store"
    assert accepted["Retry-After"].isdigit()

    pending = api.get(monitor)
    assert pending.status_code in stages.pending
    assert pending["Retry-After"].isdigit() and pending["Cache-Control"] == "no-cache"
    run_worker()

    done = api.get(monitor)
    assert done.status_code in stages.done
    assert "Retry-After" not in done
    if done.status_code in (302, 303):
        assert done["Location"] == f"http://testserver/api/jobs/{job_id}/result"
        result = api.get(done["Location"])
    elif convention.id == "aip151":
        assert done.json()["done"] is True and "error" not in done.json()
        result = done
    elif convention.id == "azure":
        # The status monitor of a POST action holds its result.
        assert done.json()["status"] == "Succeeded"
        result = done
    elif convention.id == "odata":
        # The final response's status, in AsyncResult; the body is the result itself.
        assert done["AsyncResult"] == "200"
        result = done
    else:
        assert done.json()["status"] == "succeeded"
        link = done.json().get("resourceLocation") or done.json().get("resultUrl")
        result = api.get(link)
    assert result.status_code in stages.result
    report = result.json().get("response") or result.json().get("result") or result.json()
    assert report["kind"] == example
    if convention.id == "job-resource":
        # The job resource embeds the result too.
        assert done.json()["result"]["kind"] == example


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_a_job_that_fails_after_it_was_accepted(api: ApiClient, convention: Convention) -> None:
    accepted = submit(api, convention, recipients=BOUNCING)
    assert accepted.status_code in convention.statuses.accepted
    job_id = job_id_of(accepted)
    run_worker()
    failed = api.get(monitor_of(convention, job_id))
    assert failed.status_code in convention.statuses.failed
    body = failed.json()
    if convention.id == "aip151":
        assert body["done"] is True and "response" not in body
        assert body["error"]["code"] == 3
        assert body["error"]["details"][0]["reason"] == "ALL_BOUNCED"
    elif convention.id == "request-reply":
        # The error persisted at the status endpoint: a problem, the status resource in it.
        assert failed["Content-Type"] == "application/problem+json"
        assert body["status"] == failed.status_code == 422 and body["code"] == "all-bounced"
        assert body["job"]["status"] == "failed"
        assert body["job"]["error"]["code"] == "all-bounced"
    elif convention.id == "odata":
        assert failed["AsyncResult"] == "422"
        assert body["error"]["code"] == "all-bounced"
    else:
        assert job_status_in(convention, body) == "failed"
        assert body["error"]["code"] == "all-bounced"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_a_job_that_is_canceled(api: ApiClient, convention: Convention) -> None:
    job_id = job_id_of(submit(api, convention))
    # A convention without a cancel of its own: a job is one job, cancel it the RFC 9110 way.
    canceling = convention if convention.cancel is not None else BY_ID["rfc9110"]
    answer = cancel(api, canceling, job_id)
    assert answer.status_code in canceling.statuses.cancel
    assert answer["Cache-Control"] == "no-store"
    canceled = api.get(monitor_of(convention, job_id))
    assert canceled.status_code in convention.statuses.canceled
    body = canceled.json()
    if convention.id == "aip151":
        assert body["done"] is True and body["error"]["code"] == 1
    elif convention.id == "odata":
        # OData: once canceled, the status monitor answers 404.
        assert body["type"].endswith("#problem-job-not-found")
    else:
        assert job_status_in(convention, body) == "canceled"
    # Too late now: every cancel says the job already finished.
    assert cancel(api, canceling, job_id).status_code == 409


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_every_monitor_says_what_a_canceled_job_delivered(
    api: ApiClient, convention: Convention
) -> None:
    job_id = job_id_of(submit(api, convention))
    canceling = convention if convention.cancel is not None else BY_ID["rfc9110"]
    answers = []

    def cancel_before_the_last_message(job: Job) -> None:
        answers.append(cancel(api, canceling, job_id))

    with fault_at("send:1", cancel_before_the_last_message):
        run_worker()
    assert answers[0].status_code in canceling.statuses.cancel
    body = api.get(monitor_of(convention, job_id)).json()
    if convention.id == "odata":
        # Its monitor is gone (404), and names where the job's state still is.
        assert body["detail"].endswith(f"http://testserver/api/jobs/{job_id}.")
        body = api.get(f"/api/jobs/{job_id}").json()
    report = body["metadata"]["report"] if convention.id == "aip151" else body["report"]
    assert report["outcome"] == "canceled"
    assert [r["status"] for r in report["recipients"]] == ["delivered", "not-sent"]
    assert MailboxMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_every_cancel_is_refused_once_every_message_is_sent(
    api: ApiClient, convention: Convention
) -> None:
    job_id = job_id_of(submit(api, convention))
    canceling = convention if convention.cancel is not None else BY_ID["rfc9110"]
    answers = []

    def cancel_after_the_last_message(job: Job) -> None:
        answers.append(cancel(api, canceling, job_id))

    with fault_at("report", cancel_after_the_last_message):
        run_worker()
    assert answers[0].status_code == 409
    assert answers[0].json()["type"].endswith("#problem-job-already-finished")
    assert Job.objects.get(public_id=job_id).status == "succeeded"
    assert MailboxMessage.objects.count() == 2


@pytest.mark.django_db
def test_the_job_resource_answers_a_running_jobs_cancel_with_202(api: ApiClient) -> None:
    job_id = job_id_of(submit(api, BY_ID["job-resource"]))
    Job.objects.filter(public_id=job_id).update(status=Job.Status.RUNNING)
    answer = api.delete(f"/api/job-resource/jobs/{job_id}")
    assert answer.status_code == 202
    assert answer.json()["status"] == "running" and answer.json()["cancelRequestedAt"]


@pytest.mark.django_db
def test_azure_answers_with_the_current_guidelines_status_monitor(api: ApiClient) -> None:
    accepted = submit(api, BY_ID["azure"])
    job_id = accepted.json()["id"]
    assert accepted["Operation-Id"] == job_id
    assert accepted["Operation-Location"] == f"http://testserver/api/operations/{job_id}"
    assert "Location" not in accepted
    monitor = api.get(accepted["Operation-Location"]).json()
    assert monitor == accepted.json()
    assert monitor["status"] == "NotStarted" and monitor["kind"] == "bulk-email"
    # The deprecated Microsoft REST API Guidelines' fields are not sent.
    deprecated = {"percentComplete", "createdDateTime", "lastUpdatedDateTime", "resourceLocation"}
    assert not deprecated & set(monitor)


@pytest.mark.django_db
def test_azure_cancel_answers_the_status_monitor(api: ApiClient) -> None:
    queued = submit(api, BY_ID["azure"]).json()["id"]
    answer = api.request("POST", f"/api/operations/{queued}:cancel")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert answer.json()["status"] == "Canceled" and "Retry-After" not in answer
    running = submit(api, BY_ID["azure"]).json()["id"]
    Job.objects.filter(public_id=running).update(status=Job.Status.RUNNING)
    answer = api.request("POST", f"/api/operations/{running}:cancel")
    # Still 200 with the monitor: Running until the job stops at its next step.
    assert answer.status_code == 200 and answer.json()["status"] == "Running"
    assert answer.json()["cancelRequestedAt"] and answer["Retry-After"].isdigit()


@pytest.mark.django_db
def test_request_reply_cancels_with_delete_on_its_status_endpoint(api: ApiClient) -> None:
    accepted = submit(api, BY_ID["request-reply"])
    status_url = accepted["Location"]
    pending = api.get(status_url)
    assert pending.status_code == 200 and pending.json()["status"] == "queued"
    assert pending.json()["cancel"] == {"method": "DELETE", "href": status_url}
    job_id = accepted.json()["jobId"]
    Job.objects.filter(public_id=job_id).update(status=Job.Status.RUNNING)
    answer = api.delete(status_url)
    assert answer.status_code == 202
    assert answer["Location"] == answer["Content-Location"] == status_url
    assert answer.json()["status"] == "running" and answer.json()["cancelRequestedAt"]


@pytest.mark.django_db
def test_request_reply_answers_the_sites_own_failure_with_its_status(api: ApiClient) -> None:
    job = Job.objects.get(public_id=job_id_of(submit(api, BY_ID["request-reply"])))
    error = {"code": Job.ErrorCode.INTERNAL_ERROR.value, "detail": "A bug."}
    job.finish(status=Job.Status.FAILED, error=error, now=timezone.now())
    job.save()
    failed = api.get(f"/api/request-reply/status/{job.public_id}")
    # Not the client's fault (no 4xx), and the status endpoint worked (no 5xx).
    assert failed.status_code == 200 and failed["Content-Type"] == "application/json"
    assert failed.json()["status"] == "failed" and failed.json()["error"]["detail"] == "A bug."


@pytest.mark.django_db
def test_aip151_cancels_with_an_empty_body(api: ApiClient) -> None:
    job_id = job_id_of(submit(api, BY_ID["aip151"]))
    answer = api.request("POST", f"/api/aip151/operations/{job_id}:cancel")
    assert answer.status_code == 200 and answer.json() == {}


@pytest.mark.django_db(transaction=True)
def test_any_monitor_watches_a_job_submitted_under_any_convention(api: ApiClient) -> None:
    job_ids = {c.id: job_id_of(submit(api, c)) for c in CONVENTIONS}
    for job_id in job_ids.values():
        for watcher in CONVENTIONS:
            assert api.get(monitor_of(watcher, job_id)).status_code in watcher.statuses.pending
    run_worker()
    for job_id in job_ids.values():
        for watcher in CONVENTIONS:
            assert api.get(monitor_of(watcher, job_id)).status_code in watcher.statuses.done


@pytest.mark.django_db
def test_only_the_rfc9110_submit_honours_prefer_wait(api: ApiClient) -> None:
    for convention in CONVENTIONS[1:]:
        answer = submit(api, convention, headers={"Prefer": "respond-async, wait=1"})
        assert answer.status_code in convention.statuses.accepted
        # OData acknowledges respond-async, as it must; no convention but RFC 9110's waits.
        expected = "respond-async" if convention.id == "odata" else None
        assert answer.get("Preference-Applied") == expected


# -- The outcome presets ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_retry_after_as_an_http_date(api: ApiClient, convention: Convention) -> None:
    # Each date is judged against when its request was sent and answered, not against a
    # clock read later: on a busy machine the assertion may run seconds after the answer.
    sent = time.time()
    accepted = submit(api, convention, outcome="retry-after-date")
    answers = [(sent, accepted, time.time())]
    job_id = job_id_of(accepted)
    assert Job.objects.get(public_id=job_id).preset == "retry-after-date"
    for watcher in CONVENTIONS:
        sent = time.time()
        answers.append((sent, api.get(monitor_of(watcher, job_id)), time.time()))
    for sent, answer, answered in answers:
        value = answer["Retry-After"]
        assert value.endswith(" GMT"), value
        moment = parsedate_to_datetime(value).timestamp()
        # At least a second after the request (whole seconds, rounded up), at most the
        # longest Retry-After the API sends after its answer.
        assert int(sent) + 1 <= moment <= answered + 6, value


@pytest.mark.django_db
@pytest.mark.parametrize("outcome,status", [("monitor-503", 503), ("monitor-429", 429)])
def test_a_busy_monitor_refuses_the_first_polls_then_recovers(
    api: ApiClient, outcome: str, status: int
) -> None:
    job_id = job_id_of(submit(api, BY_ID["azure"], outcome=outcome))
    # The polls are the job's, whichever monitor they go to.
    monitors = [monitor_of(c, job_id) for c in CONVENTIONS]
    for poll in range(BUSY_POLLS):
        refused = api.get(monitors[poll])
        assert refused.status_code == status
        assert refused["Content-Type"] == "application/problem+json"
        assert refused["Retry-After"] == "1"
        assert refused.json()["type"].endswith(f"#problem-{BUSY_PROBLEMS[outcome]}")
    for monitor in monitors:
        assert api.get(monitor).status_code in (200, 202)
    assert Job.objects.get(public_id=job_id).monitor_answers == BUSY_POLLS


@pytest.mark.django_db(transaction=True)
def test_a_monitor_that_expired_once_the_job_finished(api: ApiClient) -> None:
    job_id = job_id_of(submit(api, BY_ID["job-resource"], outcome="gone-after-done"))
    assert api.get(monitor_of(BY_ID["rfc9110"], job_id)).status_code == 200
    run_worker()
    for convention in CONVENTIONS:
        gone = api.get(monitor_of(convention, job_id))
        assert gone.status_code == 410, convention.id
        assert gone.json()["type"].endswith("#problem-job-expired")
    assert api.get(f"/api/jobs/{job_id}/result").status_code == 410


# The Azure guidelines' status values, in this API's words.
AZURE_STATUS = {
    "NotStarted": "queued",
    "Running": "running",
    "Succeeded": "succeeded",
    "Failed": "failed",
    "Canceled": "canceled",
}


def job_status_in(convention: Convention, body: dict[str, Any]) -> str:
    """The job's status as the convention's monitor says it, in this API's words."""
    if convention.id == "azure":
        return AZURE_STATUS[body["status"]]
    return str(body["status"])


def pending_answer(api: ApiClient, convention: Convention, job_id: str) -> str:
    """What the convention's monitor says of a pending job: its status, or "pending"."""
    answer = api.get(monitor_of(convention, job_id))
    assert answer.status_code in convention.statuses.pending, convention.id
    body = answer.json()
    if convention.id == "aip151":
        assert body["done"] is False
        return "pending"
    return job_status_in(convention, body)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("example", ["bulk-email", "file-processing"])
def test_a_job_lost_by_its_worker_is_retried_once_its_lease_runs_out(
    api: ApiClient, example: str
) -> None:
    job_id = job_id_of(submit(api, BY_ID["aip151"], example, outcome="lost-by-worker"))
    first_task = task_of(Job.objects.get(public_id=job_id))
    run_worker()  # the first attempt's worker lets go of the job before its second step

    job = Job.objects.get(public_id=job_id)
    assert (job.status, job.attempts, steps.steps_done(job)) == ("running", 1, 1)
    assert job.lease_expires_at is not None and job.lease_expires_at > timezone.now()
    lost = DBTaskResult.objects.get(pk=first_task.pk)
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "jobs.work.steps.Dropped"
    # A lease that has not run out is a worker that may still be alive: nothing moves.
    assert recovery.recover_stalled_jobs() == []
    for convention in CONVENTIONS:
        assert pending_answer(api, convention, job_id) in ("running", "pending")

    after_lease = job.lease_expires_at + timedelta(seconds=1)
    assert [j.public_id for j in recovery.recover_stalled_jobs(now=after_lease)] == [job_id]
    job.refresh_from_db()
    assert job.status == "queued" and "attempt 2 of" in job.message
    for convention in CONVENTIONS:
        assert pending_answer(api, convention, job_id) in ("queued", "pending")

    run_worker()
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert api.get(monitor_of(BY_ID["rfc9110"], job_id)).status_code == 303
    if example == "bulk-email":
        # The retry went on from the last committed step: every message sent once.
        for recipient in job.input["recipients"]:
            assert MailboxMessage.objects.filter(recipient=recipient["email"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_lost_by_its_worker_with_no_attempt_left_fails(api: ApiClient, settings: Any) -> None:
    settings.DEMO_MAX_ATTEMPTS = 1
    job_id = job_id_of(submit(api, BY_ID["job-resource"], outcome="lost-by-worker"))
    run_worker()
    later = timezone.now() + timedelta(seconds=settings.DEMO_LEASE_TIMEOUT + 1)
    recovery.recover_stalled_jobs(now=later)
    failed = api.get(monitor_of(BY_ID["job-resource"], job_id))
    assert failed.status_code in BY_ID["job-resource"].statuses.failed
    assert failed.json()["status"] == "failed"
    assert failed.json()["error"]["code"] == "worker-lost"


@pytest.mark.django_db(transaction=True)
def test_only_the_first_attempt_of_a_lost_by_worker_job_is_lost(api: ApiClient) -> None:
    job_id = job_id_of(submit(api, BY_ID["rfc9110"], outcome="lost-by-worker"))
    # Its first attempt already lost (a worker killed at its claim, say): the next one goes on.
    Job.objects.filter(public_id=job_id).update(attempts=1)
    run_worker()
    job = Job.objects.get(public_id=job_id)
    assert (job.status, job.attempts) == ("succeeded", 2)


@pytest.mark.django_db
def test_an_unknown_outcome_or_query_parameter_is_refused(api: ApiClient) -> None:
    for query in ["?outcome=fast", "?outcome=", "?outcome=monitor-503&outcome=monitor-429", "?x=1"]:
        refused = api.post_json(f"/api/aip151/emails/bulk{query}", make_email_payload())
        assert refused.status_code == 422, query
        assert refused.json()["errors"][0]["parameter"] in ("outcome", "x")
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_same_key_with_another_outcome_is_another_request(api: ApiClient) -> None:
    key = {"Idempotency-Key": "outcome-key"}
    first = submit(api, BY_ID["rfc9110"], outcome="monitor-503", headers=key)
    assert submit(api, BY_ID["rfc9110"], outcome="monitor-503", headers=key).json() == first.json()
    assert submit(api, BY_ID["rfc9110"], outcome="monitor-429", headers=key).status_code == 422
    assert submit(api, BY_ID["rfc9110"], headers=key).status_code == 422


@pytest.mark.django_db(transaction=True)
def test_the_failure_preset_is_the_bounce_body(api: ApiClient) -> None:
    preset = next(p for p in PRESETS if p.id == "fails-after-accept")
    accepted = api.post_json("/api/request-reply/emails/bulk", json.loads(preset.provoke.value))
    assert accepted.status_code == 202
    run_worker()
    failed = api.get(accepted["Location"])
    assert failed.status_code == 422 and failed.json()["job"]["status"] == "failed"


# -- The registry ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_registry_lists_every_convention_with_urls_that_exist(api: ApiClient) -> None:
    answer = api.get("/api/conventions")
    assert answer.status_code == 200
    registry = answer.json()
    assert [c["id"] for c in registry["conventions"]] == list(BY_ID)
    for listed in registry["conventions"]:
        assert listed["document"]["url"].startswith("https://")
        assert set(listed["submit"]) == {"bulk-email", "file-processing"}
        paths = [s["path"] for s in listed["submit"].values()] + [listed["monitor"]["path"]]
        paths += [e["path"] for e in [listed["result"], listed["cancel"]] if e is not None]
        for path in paths:
            assert resolve(path.replace("{jobId}", "job_abc")).view_name != "api:not-found", path
        assert set(listed["statuses"]) == {
            "accepted", "pending", "done", "result", "failed", "canceled", "cancel"
        }  # fmt: skip
    presets = {p["id"]: p for p in registry["presets"]}
    for value in OUTCOMES:
        assert presets[value]["provoke"] == {
            "in": "query",
            "name": "outcome",
            "value": value,
            "examples": ["bulk-email", "file-processing"],
        }
    assert presets["fails-after-accept"]["provoke"]["in"] == "body"
    assert registry["compatibility"] is None or isinstance(registry["compatibility"], list)


def test_the_registry_names_each_verdict_with_the_keys_it_was_published_with() -> None:
    rows = Client().get("/api/conventions").json()["compatibility"]
    # Clients of the registry read outcome and outcomeLabel: the verdict keeps those keys.
    assert {row["outcome"] for row in rows} <= set(VERDICTS)
    for row in rows:
        assert row["outcomeLabel"] == VERDICTS[row["outcome"]].label, row
    assert {row["outcome"] for row in rows} >= {"succeeded", "raised"}


def test_the_existing_urls_are_the_rfc9110_and_azure_conventions() -> None:
    # Doc writers link to these: they stay exactly where they were.
    assert BY_ID["rfc9110"].submit == {
        "bulk-email": "/api/emails/bulk",
        "file-processing": "/api/files/process",
    }
    assert BY_ID["rfc9110"].monitor == "/api/jobs/{jobId}"
    assert BY_ID["azure"].monitor == "/api/operations/{jobId}"
    for convention in CONVENTIONS:
        for path in convention.submit.values():
            assert urlsplit(path).path == path


@pytest.mark.django_db
def test_the_registry_is_cacheable_and_revalidates() -> None:
    first = Client().get("/api/conventions")
    assert first["Cache-Control"] == "public, max-age=300"
    again = Client().get("/api/conventions", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


@pytest.mark.django_db
def test_the_api_page_lists_the_conventions_and_presets(client: Client) -> None:
    html = client.get("/api/").content.decode()
    for convention in CONVENTIONS:
        assert f'id="convention-{convention.id}"' in html
        assert f"<code>GET {convention.monitor}</code>" in html
    for value in OUTCOMES:
        assert f"<code>?outcome={value}</code>" in html
