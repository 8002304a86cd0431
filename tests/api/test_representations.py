"""What an answer's body says it is: the 202 that accepts a job and the answer to a
cancel are the monitor's representation of the job at that moment (Content-Location,
RFC 9110 section 8.7), and a cancel answers 200 or 202 as it took effect (RFC 9110
section 9.3.5). Every response is checked against the OpenAPI document (ApiClient).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest

from api.conventions import BY_ID, CONVENTIONS, Convention
from jobs.models import Job, MailboxMessage
from tests.helpers import ApiClient, fault_at, make_email_payload, run_worker

pytestmark = pytest.mark.django_db
EXAMPLES = ["bulk-email", "file-processing"]
# The conventions whose cancel is a DELETE on the job's own monitor, answered as RFC 9110
# section 9.3.5 says; OData's answers its own way (204, then a 404 monitor: test_odata).
DELETING = [
    c
    for c in CONVENTIONS
    if c.cancel is not None and c.cancel.method == "DELETE" and c.id != "odata"
]


def submit(api: ApiClient, convention: Convention, example: str) -> Any:
    url = convention.submit[example]
    # OData's submit is refused without Prefer: respond-async.
    headers = {"Prefer": convention.prefer} if convention.prefer else {}
    if example == "bulk-email":
        return api.post_json(url, make_email_payload(), headers=headers)
    return api.request("POST", url, data=b"a,b\n1,2\n", content_type="text/csv", headers=headers)


def monitor_named_by(convention: Convention, answer: Any) -> str:
    """Where the submit answer says the monitor is: a header, or AIP-151's body name."""
    where, name = convention.monitor_from.split(":")
    if where == "header":
        return str(answer[name])
    return urljoin("http://testserver/api/aip151/", answer.json()[name])


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_the_submit_answers_the_monitors_representation_of_the_queued_job(
    api: ApiClient, convention: Convention, example: str
) -> None:
    accepted = submit(api, convention, example)
    assert accepted.status_code in convention.statuses.accepted
    monitor = monitor_named_by(convention, accepted)
    # No worker runs: the job is still queued when the monitor is asked.
    now = api.get(accepted.get("Content-Location", monitor))
    assert now.status_code in convention.statuses.pending
    assert accepted.json() == now.json()
    if "Content-Location" in accepted:
        assert accepted["Content-Location"] == monitor
    assert Job.objects.get().status == Job.Status.QUEUED


def test_the_rfc9110_202_body_has_every_member_of_the_monitor() -> None:
    # The members the 202 lacked once (message and times, the cancel link) are there.
    api = ApiClient()
    body = submit(api, BY_ID["rfc9110"], "bulk-email").json()
    # Stored, then handed to the queue: updatedAt is createdAt or a moment later.
    assert body["message"] and body["updatedAt"] >= body["createdAt"]
    assert body["startedAt"] is None and body["finishedAt"] is None
    assert body["cancel"] == {"method": "DELETE", "href": body["monitor"]}
    assert body["operation"] == f"http://testserver/api/operations/{body['jobId']}"


@pytest.mark.parametrize("convention", DELETING, ids=lambda c: c.id)
def test_a_queued_job_is_canceled_at_once_and_the_delete_answers_200(
    api: ApiClient, convention: Convention
) -> None:
    monitor = monitor_named_by(convention, submit(api, convention, "bulk-email"))
    canceled = api.delete(monitor)
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["error"]["code"] == "canceled"
    assert canceled["Content-Location"] == monitor
    assert "Location" not in canceled and "Retry-After" not in canceled
    assert canceled["Cache-Control"] == "no-store"
    # Enacted: the body is what the monitor answers from now on.
    assert api.get(monitor).json() == canceled.json()
    assert Job.objects.get().status == Job.Status.CANCELED


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", DELETING, ids=lambda c: c.id)
def test_a_running_jobs_delete_answers_202_and_the_monitor_then_says_canceled(
    api: ApiClient, convention: Convention
) -> None:
    payload = make_email_payload("a@example.test", "b@example.test", "c@example.test")
    monitor = monitor_named_by(convention, api.post_json(convention.submit["bulk-email"], payload))
    seen: list[tuple[Any, Any]] = []

    def delete(job: Job) -> None:
        # The DELETE arrives while the worker renders the second message: not yet enacted.
        answer = api.delete(monitor)
        seen.append((answer, api.get(monitor)))

    with fault_at("render:1", delete):
        run_worker()
    answer, monitor_then = seen[0]
    assert answer.status_code == 202
    assert answer["Location"] == answer["Content-Location"] == monitor
    assert answer["Retry-After"].isdigit()
    assert answer.json()["status"] == "running" and answer.json()["cancelRequestedAt"]
    assert answer.json() == monitor_then.json()

    after = api.get(monitor).json()
    assert after["status"] == "canceled" and after["error"]["code"] == "canceled"
    assert after["cancelRequestedAt"] == answer.json()["cancelRequestedAt"]
    assert MailboxMessage.objects.count() == 1


@pytest.mark.parametrize("convention", DELETING, ids=lambda c: c.id)
def test_a_finished_jobs_delete_is_still_409(api: ApiClient, convention: Convention) -> None:
    monitor = monitor_named_by(convention, submit(api, convention, "bulk-email"))
    assert api.delete(monitor).status_code == 200
    again = api.delete(monitor)
    assert again.status_code == 409
    assert again.json()["type"].endswith("#problem-job-already-finished")
