"""OData 4.01's asynchronous requests (Part 1, section 11.6): the submit needs
Prefer: respond-async, the status monitor answers 202 while pending and then 200 with
AsyncResult and the final response, and DELETE on it cancels. Every response is checked
against the OpenAPI document (ApiClient); a real worker runs the jobs (run_worker).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobs.models import Job, MailboxMessage
from tests.helpers import ApiClient, fault_at, make_email_payload, run_worker

BULK = "/api/odata/emails/bulk"
FILES = "/api/odata/files/process"
ASYNC = {"Prefer": "respond-async"}
BOUNCING = ("a@bounce.example.test", "b@bounce.example.test")


def submit(api: ApiClient, *recipients: str, outcome: str = "") -> Any:
    query = f"?outcome={outcome}" if outcome else ""
    return api.post_json(f"{BULK}{query}", make_email_payload(*recipients), headers=ASYNC)


def monitor_of(job_id: str) -> str:
    return f"/api/odata/monitor/{job_id}"


@pytest.mark.django_db
def test_the_submit_answers_202_with_the_monitor_and_the_preference_applied(
    api: ApiClient,
) -> None:
    accepted = submit(api)
    assert accepted.status_code == 202
    job_id = accepted.json()["jobId"]
    assert accepted["Location"] == f"http://testserver{monitor_of(job_id)}"
    assert accepted["Preference-Applied"] == "respond-async"
    assert accepted["Retry-After"].isdigit()
    assert accepted["Cache-Control"] == "no-store"
    assert accepted["OData-Version"] == "4.01"
    assert accepted.json()["status"] == "queued"


@pytest.mark.django_db
def test_a_file_is_submitted_the_same_way(api: ApiClient) -> None:
    accepted = api.request(
        "POST", FILES, data=b"a,b\n1,2\n", content_type="text/csv", headers=ASYNC
    )
    assert accepted.status_code == 202
    assert accepted["Preference-Applied"] == "respond-async"
    assert accepted.json()["kind"] == "file-processing"


@pytest.mark.django_db
def test_a_submit_without_respond_async_is_refused_and_starts_nothing(api: ApiClient) -> None:
    for headers in [{}, {"Prefer": "wait=10"}, {"Prefer": "return=minimal"}]:
        refused = api.post_json(BULK, make_email_payload(), headers=headers)
        assert refused.status_code == 400, headers
        assert refused.json()["type"].endswith("#problem-respond-async-required")
        assert "Preference-Applied" not in refused
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_wait_beside_respond_async_is_ignored(api: ApiClient) -> None:
    accepted = api.post_json(
        BULK, make_email_payload(), headers={"Prefer": "respond-async, wait=10"}
    )
    assert accepted.status_code == 202
    assert accepted["Preference-Applied"] == "respond-async"


@pytest.mark.django_db
def test_the_monitor_answers_202_while_pending_with_location_and_retry_after(
    api: ApiClient,
) -> None:
    job_id = submit(api).json()["jobId"]
    pending = api.get(monitor_of(job_id))
    assert pending.status_code == 202
    assert pending["Location"] == f"http://testserver{monitor_of(job_id)}"
    assert pending["Retry-After"].isdigit()
    assert pending["Cache-Control"] == "no-cache"
    assert "AsyncResult" not in pending
    assert pending.json()["status"] == "queued"


@pytest.mark.django_db
def test_an_unchanged_pending_monitor_is_a_304_that_keeps_its_pace(api: ApiClient) -> None:
    job_id = submit(api).json()["jobId"]
    first = api.get(monitor_of(job_id))
    again = api.get(monitor_of(job_id), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again["Retry-After"].isdigit()
    stale = api.get(monitor_of(job_id), headers={"If-Match": '"stale"'})
    assert stale.status_code == 412


@pytest.mark.django_db(transaction=True)
def test_a_succeeded_job_answers_200_with_async_result_and_the_result(api: ApiClient) -> None:
    job_id = submit(api).json()["jobId"]
    run_worker()
    done = api.get(monitor_of(job_id))
    assert done.status_code == 200
    assert done["AsyncResult"] == "200"
    assert done["Content-Type"] == "application/json"
    assert "Retry-After" not in done
    assert done.json() == api.get(f"/api/jobs/{job_id}/result").json()
    assert done.json()["kind"] == "bulk-email"
    again = api.get(monitor_of(job_id), headers={"If-None-Match": done["ETag"]})
    assert again.status_code == 304


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "headers",
    [{"Accept": "application/http"}, {"OData-MaxVersion": "4.0"}],
    ids=["accept", "odata-4.0"],
)
def test_the_final_response_as_a_whole_http_message(
    api: ApiClient, headers: dict[str, str]
) -> None:
    job_id = submit(api).json()["jobId"]
    run_worker()
    done = api.get(monitor_of(job_id), headers=headers)
    assert done.status_code == 200
    assert done["Content-Type"] == "application/http"
    assert done["AsyncResult"] == "200"
    head, _, body = done.content.decode().partition("\r\n\r\n")
    assert head.split("\r\n") == ["HTTP/1.1 200 OK", "Content-Type: application/json"]
    # The greatest version up to the client's OData-MaxVersion.
    assert done["OData-Version"] == ("4.0" if "OData-MaxVersion" in headers else "4.01")
    assert json.loads(body) == api.get(f"/api/jobs/{job_id}/result").json()
    # The two forms are two representations: a cache must tell them apart.
    assert {"Accept", "OData-MaxVersion"} <= {v.strip() for v in done["Vary"].split(",")}


@pytest.mark.django_db(transaction=True)
def test_a_failed_jobs_final_response_is_an_odata_error(api: ApiClient) -> None:
    job_id = submit(api, *BOUNCING).json()["jobId"]
    run_worker()
    failed = api.get(monitor_of(job_id))
    assert failed.status_code == 200
    assert failed["AsyncResult"] == "422"
    error = failed.json()["error"]
    assert error["code"] == "all-bounced"
    assert error["message"]
    assert [r["status"] for r in error["innererror"]["report"]["recipients"]] == [
        "bounced",
        "bounced",
    ]
    whole = api.get(monitor_of(job_id), headers={"Accept": "application/http"})
    assert whole["AsyncResult"] == "422"
    head, _, body = whole.content.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 422 Unprocessable ")
    assert json.loads(body)["error"]["code"] == "all-bounced"


@pytest.mark.django_db(transaction=True)
def test_a_job_that_failed_otherwise_says_so_with_a_5xx(api: ApiClient) -> None:
    job_id = submit(api).json()["jobId"]
    run_worker()
    Job.objects.filter(public_id=job_id).update(
        status=Job.Status.FAILED,
        error={"code": Job.ErrorCode.WORKER_LOST, "detail": "Every worker died."},
    )
    failed = api.get(monitor_of(job_id))
    assert failed["AsyncResult"] == "503"
    error = failed.json()["error"]
    assert (error["code"], error["message"]) == ("worker-lost", "Every worker died.")


@pytest.mark.django_db
def test_delete_cancels_a_queued_job_at_once_and_the_monitor_is_gone(api: ApiClient) -> None:
    job_id = submit(api).json()["jobId"]
    canceled = api.delete(monitor_of(job_id))
    assert canceled.status_code == 204
    assert canceled.content == b""
    assert Job.objects.get(public_id=job_id).status == "canceled"
    gone = api.get(monitor_of(job_id))
    assert gone.status_code == 404
    assert gone.json()["type"].endswith("#problem-job-not-found")
    assert f"/api/jobs/{job_id}" in gone.json()["detail"]
    # Too late now: it finished (canceled).
    assert api.delete(monitor_of(job_id)).status_code == 409


@pytest.mark.django_db
def test_delete_on_a_running_job_answers_202_with_another_location(api: ApiClient) -> None:
    job_id = submit(api).json()["jobId"]
    # As a worker would have it when the DELETE comes: it stops at its next step.
    Job.objects.filter(public_id=job_id).update(status=Job.Status.RUNNING)
    canceling = api.delete(monitor_of(job_id))
    assert canceling.status_code == 202
    # OData: the Location of a 202 to DELETE "MUST be different from the status monitor".
    assert canceling["Location"] == f"http://testserver/api/jobs/{job_id}"
    assert canceling["Retry-After"].isdigit()
    assert canceling.json()["cancelRequestedAt"]
    assert api.get(monitor_of(job_id)).status_code == 202


@pytest.mark.django_db(transaction=True)
def test_a_job_canceled_while_running_ends_with_a_404_monitor(api: ApiClient) -> None:
    job_id = submit(api).json()["jobId"]
    answers = []

    def cancel_before_the_last_message(job: Job) -> None:
        answers.append(api.delete(monitor_of(job_id)))

    with fault_at("send:1", cancel_before_the_last_message):
        run_worker()
    assert answers[0].status_code == 202
    assert api.get(monitor_of(job_id)).status_code == 404
    assert MailboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_job_is_a_404_problem(api: ApiClient) -> None:
    for method in ["GET", "DELETE"]:
        unknown = api.request(method, monitor_of("job_nope"))
        assert unknown.status_code == 404
        assert unknown["Content-Type"] == "application/problem+json"
        assert unknown.json()["type"].endswith("#problem-job-not-found")


@pytest.mark.django_db
def test_the_odata_monitor_watches_a_job_submitted_under_rfc9110(api: ApiClient) -> None:
    job_id = api.post_json("/api/emails/bulk", make_email_payload()).json()["jobId"]
    assert api.get(monitor_of(job_id)).status_code == 202
