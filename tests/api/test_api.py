from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.client import FakePayload
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from api.headers import MAX_WAIT, parse_prefer, read_prefer
from jobs.models import IdempotencyKey, Job, MailboxMessage
from tests.helpers import (
    ApiClient,
    assert_conforms,
    fault_at,
    make_email_job,
    make_email_payload,
    run_worker,
    task_of,
)

pytestmark = pytest.mark.django_db

BULK = "/api/emails/bulk"
FILES = "/api/files/process"


def assert_nothing_stored(settings) -> None:
    assert not Job.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not IdempotencyKey.objects.exists()
    uploads = settings.DEMO_UPLOAD_DIR
    assert not uploads.exists() or not any(uploads.iterdir())


# -- The bulk email example, start to finish --------------------------------------


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_bulk_email_is_accepted_then_delivered(api: ApiClient) -> None:
    accepted = api.post_json(BULK, make_email_payload())
    assert accepted.status_code == 202
    body = accepted.json()
    job_id = body["jobId"]
    monitor = f"http://testserver/api/jobs/{job_id}"
    assert body["status"] == "queued" and body["kind"] == "bulk-email"
    assert accepted["Location"] == accepted["Content-Location"] == body["monitor"] == monitor
    assert accepted["Operation-Location"] == f"http://testserver/api/operations/{job_id}"
    assert accepted["Cache-Control"] == "no-store"
    assert int(accepted["Retry-After"]) >= 1
    # Committed before the 202: the job and its task are in the database.
    job = Job.objects.get(public_id=job_id)
    assert task_of(job).status == TaskResultStatus.READY

    pending = api.get(monitor)
    assert pending.status_code == 200
    assert pending.json()["status"] == "queued"
    assert pending["Cache-Control"] == "no-cache" and pending["ETag"]
    assert pending.json()["cancel"] == {"method": "DELETE", "href": monitor}
    unchanged = api.get(monitor, headers={"If-None-Match": pending["ETag"]})
    assert unchanged.status_code == 304 and unchanged["ETag"] == pending["ETag"]
    # A cheap poll still tells the client when to come back.
    assert unchanged["Retry-After"] == pending["Retry-After"]

    run_worker()

    done = api.get(monitor)
    assert done.status_code == 303
    assert done["Location"] == f"{monitor}/result" == done.json()["result"]
    report = api.get(done["Location"]).json()
    assert report["outcome"] == "delivered"
    assert report["counts"] == {"recipients": 2, "delivered": 2, "bounced": 0}
    assert [r["status"] for r in report["recipients"]] == ["delivered", "delivered"]
    assert MailboxMessage.objects.get(recipient="ada@example.test").body == (
        "Hello ada, this is ada@example.test."
    )
    operation = api.get(accepted["Operation-Location"])
    assert operation.status_code == 200
    # The Azure guidelines' status monitor: a POST action's result is in result.
    assert operation.json()["status"] == "Succeeded"
    assert operation.json()["progress"] == 100
    beside_it = {"jobId", "completedAt", "expiresAt", "monitor"}
    assert operation.json()["result"] == {k: v for k, v in report.items() if k not in beside_it}
    assert "Retry-After" not in operation


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_some_bounces_are_a_partial_success(api: ApiClient) -> None:
    payload = make_email_payload("ada@example.test", {"email": "x@bounce.example.test"})
    job_id = api.post_json(BULK, payload).json()["jobId"]
    run_worker()
    report = api.get(f"/api/jobs/{job_id}/result").json()
    assert report["outcome"] == "partial"
    assert report["counts"] == {"recipients": 2, "delivered": 1, "bounced": 1}
    assert report["recipients"][1]["detail"].startswith("550")


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_every_recipient_bouncing_fails_the_job(api: ApiClient) -> None:
    payload = make_email_payload("a@bounce.example.test", "b@bounce.example.test")
    job_id = api.post_json(BULK, payload).json()["jobId"]
    run_worker()
    monitor = api.get(f"/api/jobs/{job_id}")
    assert monitor.status_code == 200
    body = monitor.json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "all-bounced"
    assert body["error"]["type"] == "http://testserver/api/#problem-all-bounced"
    assert body["error"]["instance"] == f"http://testserver/api/jobs/{job_id}"
    assert body["report"]["counts"]["bounced"] == 2
    assert "Retry-After" not in monitor
    operation = api.get(f"/api/operations/{job_id}").json()
    assert operation["status"] == "Failed" and operation["error"]["code"] == "all-bounced"
    assert operation["error"]["innererror"]["type"] == body["error"]["type"]
    assert "result" not in operation
    result = api.get(f"/api/jobs/{job_id}/result")
    assert result.status_code == 409
    assert result["Content-Type"] == "application/problem+json"
    assert not MailboxMessage.objects.exists()


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_slow_recipients_take_extra_steps(api: ApiClient) -> None:
    fast = api.post_json(BULK, make_email_payload("a@example.test")).json()
    slow = api.post_json(BULK, make_email_payload("a@slow.example.test")).json()
    # Prepare, render, send, report; a slow domain adds three waits.
    assert Job.objects.get(public_id=fast["jobId"]).input["steps"] == 4
    assert Job.objects.get(public_id=slow["jobId"]).input["steps"] == 7
    assert slow["estimatedCompletionAt"] > fast["estimatedCompletionAt"]
    run_worker()
    assert api.get(f"/api/jobs/{slow['jobId']}").status_code == 303


# -- The file processing example --------------------------------------------------


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_file_upload_is_digested_and_deleted(api: ApiClient, settings) -> None:
    content = b"one two\nthree four five\nsix"
    upload = SimpleUploadedFile("notes.txt", content, content_type="text/plain")
    accepted = api.request("POST", FILES, data={"file": upload})
    assert accepted.status_code == 202
    job_id = accepted.json()["jobId"]
    assert accepted.json()["kind"] == "file-processing"
    assert (settings.DEMO_UPLOAD_DIR / job_id).read_bytes() == content
    run_worker()
    done = api.get(accepted["Location"])
    assert done.status_code == 303
    result = api.get(done["Location"]).json()
    assert result["sha256"] == hashlib.sha256(content).hexdigest()
    assert (result["size"], result["lines"], result["words"]) == (len(content), 3, 6)
    assert result["filename"] == "notes.txt"
    assert result["detectedType"] == "text/plain; charset=utf-8"
    assert not (settings.DEMO_UPLOAD_DIR / job_id).exists()


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_file_can_be_the_raw_body(api: ApiClient) -> None:
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
    accepted = api.request(
        "POST",
        FILES,
        data=content,
        content_type="image/png",
        headers={"Content-Disposition": 'attachment; filename="pixel.png"'},
    )
    assert accepted.status_code == 202
    run_worker()
    result = api.get(f"/api/jobs/{accepted.json()['jobId']}/result").json()
    assert result["sha256"] == hashlib.sha256(content).hexdigest()
    assert result["detectedType"] == "image/png" and result["declaredType"] == "image/png"
    assert result["filename"] == "pixel.png"


# -- Input that is not accepted ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "status", "slug"),
    [
        ("{not json", "application/json", 400, "malformed-json"),
        ("subject=hi", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        ("[]", "application/json", 422, "invalid-request"),
        (
            json.dumps(make_email_payload(*[f"u{i}@example.test" for i in range(6)])),
            "application/json",
            413,
            "too-many-recipients",
        ),
    ],
)
def test_bad_bulk_email_requests_are_problems(
    api: ApiClient, settings, data: str, content_type: str, status: int, slug: str
) -> None:
    response = api.request("POST", BULK, data=data, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == f"http://testserver/api/#problem-{slug}"
    assert problem["instance"] == "http://testserver/api/emails/bulk"
    assert problem["title"] and problem["detail"]
    assert_nothing_stored(settings)


def test_invalid_fields_are_listed_with_json_pointers(api: ApiClient, settings) -> None:
    payload = {
        "subject": "",
        "body": "Hi {name.__class__}",
        "recipients": ["ada@example.test", "not-an-address", {"email": "x@example.test", "age": 3}],
        "priority": "high",
    }
    response = api.post_json(BULK, payload)
    assert response.status_code == 422
    pointers = {error["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/subject", "/body", "/recipients/1", "/recipients/2/age", "/priority"}
    assert_nothing_stored(settings)


def test_bad_uploads_are_problems(api: ApiClient, settings) -> None:
    too_big = SimpleUploadedFile("big.bin", b"x" * 5000)
    assert api.request("POST", FILES, data={"file": too_big}).status_code == 413
    raw = api.request("POST", FILES, data=b"x" * 5000, content_type="application/octet-stream")
    assert raw.status_code == 413 and raw.json()["type"].endswith("#problem-file-too-large")
    missing = api.request("POST", FILES, data={"other": "value"})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {"field": "file", "detail": "Required: the file to process."}
    ]
    form = api.request("POST", FILES, data="a=b", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert_nothing_stored(settings)


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"].endswith(f"#problem-{slug}")
    return problem


@pytest.mark.parametrize(
    ("recipient", "pointer"),
    [
        ({"email": 5}, "/recipients/0/email"),
        ({"email": ["@"]}, "/recipients/0/email"),
        ({"email": None}, "/recipients/0/email"),
        ({"email": "a@example.test", "name": "\ud800"}, "/recipients/0/name"),
    ],
)
def test_recipients_that_are_not_strings_are_422(
    api: ApiClient, settings, recipient: Any, pointer: str
) -> None:
    response = api.post_json(BULK, make_email_payload(recipient))
    problem = assert_problem(response, 422, "invalid-request")
    assert [error["pointer"] for error in problem["errors"]] == [pointer]
    assert_nothing_stored(settings)


@pytest.mark.parametrize(
    "subject",
    ["Hi\r\nBcc: everyone@example.test", "Two\nlines", "Lone\rreturn", "Para\u2029graph", "\udfff"],
)
def test_a_subject_that_cannot_be_a_mail_header_is_422(
    api: ApiClient, settings, subject: str
) -> None:
    response = api.post_json(BULK, make_email_payload(subject=subject))
    problem = assert_problem(response, 422, "invalid-request")
    assert [error["pointer"] for error in problem["errors"]] == ["/subject"]
    assert_nothing_stored(settings)


def test_json_nested_too_deeply_is_400(api: ApiClient, settings) -> None:
    response = api.post_json(BULK, "[" * 100_000)
    assert "too deeply" in assert_problem(response, 400, "malformed-json")["detail"]
    assert_nothing_stored(settings)


def test_a_body_larger_than_django_reads_is_413(api: ApiClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = make_email_payload(body="x" * 2000)
    response = api.post_json(BULK, payload)
    assert "1000 bytes" in assert_problem(response, 413, "body-too-large")["detail"]
    assert_nothing_stored(settings)


def test_a_broken_multipart_form_is_400(api: ApiClient, settings) -> None:
    # No boundary parameter: Django's parser cannot even start.
    response = api.request(
        "POST", FILES, data=b"--x\r\n\r\nhello\r\n--x--", content_type="multipart/form-data"
    )
    assert_problem(response, 400, "malformed-form")
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    upload = SimpleUploadedFile("notes.txt", b"words")
    too_many = api.request("POST", FILES, data={"a": "1", "b": "2", "c": "3", "file": upload})
    assert_problem(too_many, 400, "malformed-form")
    assert_nothing_stored(settings)


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "12 34"])
def test_an_invalid_content_length_is_400(api: ApiClient, settings, length: str) -> None:
    response = api.request(
        "POST", FILES, data=b"hello", content_type="text/plain", CONTENT_LENGTH=length
    )
    assert_problem(response, 400, "invalid-content-length")
    assert_nothing_stored(settings)


@pytest.mark.parametrize(
    ("length", "status", "slug"),
    # 20 digits are read (more bytes than any file); a longer Content-Length is not parsed.
    [("9" * 20, 413, "file-too-large"), ("9" * 5000, 431, "header-too-large")],
)
def test_a_content_length_beyond_any_file_is_refused(
    api: ApiClient, settings, length: str, status: int, slug: str
) -> None:
    response = api.request(
        "POST", FILES, data=b"hello", content_type="text/plain", CONTENT_LENGTH=length
    )
    assert_problem(response, status, slug)
    assert_nothing_stored(settings)


def post_without_content_length(body: bytes, *, content_type: str) -> Any:
    """A raw upload as a chunked request arrives: no Content-Length at all."""
    return Client().request(
        PATH_INFO=FILES,
        REQUEST_METHOD="POST",
        CONTENT_TYPE=content_type,
        **{"wsgi.input": FakePayload(body)},
    )


def test_an_upload_without_content_length_is_411(settings) -> None:
    response = post_without_content_length(b"hello", content_type="text/plain")
    assert_conforms(response, url=FILES, method="POST")
    assert "Content-Length" not in response.wsgi_request.headers
    assert_problem(response, 411, "length-required")
    assert_nothing_stored(settings)


def test_an_empty_file_is_422(api: ApiClient, settings) -> None:
    # The test client leaves out Content-Type and Content-Length of an empty body.
    raw = api.request(
        "POST",
        FILES,
        data=b"",
        content_type="text/plain",
        CONTENT_TYPE="text/plain",
        CONTENT_LENGTH="0",
    )
    assert assert_problem(raw, 422, "invalid-request")["errors"] == [
        {"pointer": "", "detail": "The body (the file) is empty."}
    ]
    empty = SimpleUploadedFile("empty.txt", b"")
    form = api.request("POST", FILES, data={"file": empty})
    assert assert_problem(form, 422, "invalid-request")["errors"] == [
        {"field": "file", "detail": "The file is empty."}
    ]
    assert_nothing_stored(settings)


def test_unknown_jobs_and_paths_are_404_problems(api: ApiClient) -> None:
    for url in ["/api/jobs/job_nope", "/api/jobs/job_nope/result", "/api/operations/job_nope"]:
        response = api.get(url)
        assert response.status_code == 404
        assert response.json()["type"].endswith("#problem-job-not-found")
    response = Client().get("/api/nothing/here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# -- Methods and CORS ------------------------------------------------------------


def test_options_lists_methods_and_wrong_methods_are_405(api: ApiClient) -> None:
    job = make_email_job("a@example.test")
    monitor = f"/api/jobs/{job.public_id}"
    options = Client().options(monitor)
    assert options.status_code == 204
    assert options["Allow"] == "GET, DELETE, HEAD, OPTIONS"
    wrong = api.request("PUT", monitor)
    assert wrong.status_code == 405
    assert wrong["Allow"] == "GET, DELETE, HEAD, OPTIONS"
    assert wrong["Content-Type"] == "application/problem+json"
    assert api.get(BULK).status_code == 405
    assert Client().head(monitor).status_code == 200


def test_cors_preflight_and_exposed_headers() -> None:
    preflight = Client().options(
        BULK,
        headers={
            "Origin": "https://elsewhere.example.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, idempotency-key, prefer",
        },
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "idempotency-key", "prefer"} <= allowed
    assert "Access-Control-Allow-Credentials" not in preflight
    response = Client().post(
        BULK,
        json.dumps(make_email_payload()),
        content_type="application/json",
        headers={"Origin": "https://elsewhere.example.test"},
    )
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    expected = {"Location", "Content-Location", "Operation-Location", "Retry-After"}
    assert expected | {"Preference-Applied"} <= exposed
    assert "Access-Control-Allow-Origin" not in Client().get("/robots.txt")


@pytest.mark.parametrize("url", ["/api/nothing/here", "/api/jobs/not-a-job-id/result"])
def test_no_endpoint_answers_options_or_a_preflight(url: str) -> None:
    # Like every other method there: a problem, never a 204 that promises an endpoint.
    assert_problem(Client().options(url), 404, "not-found")
    origin = {"Origin": "https://elsewhere.example.test", "Access-Control-Request-Method": "GET"}
    preflight = Client().options(url, headers=origin)
    assert_problem(preflight, 404, "not-found")
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Methods" not in preflight
    # OPTIONS does not look the job up: any id of the API's form is an endpoint.
    assert Client().options("/api/jobs/job_nope/result").status_code == 204


def test_a_failed_if_match_is_a_problem(api: ApiClient) -> None:
    monitor = f"/api/jobs/{make_email_job('a@example.test').public_id}"
    for url in [monitor, monitor.replace("/jobs/", "/operations/"), "/api/openapi.json"]:
        current = api.get(url)["ETag"]
        assert api.get(url, headers={"If-Match": current}).status_code == 200
        stale = api.get(url, headers={"If-Match": '"stale"'})
        assert_problem(stale, 412, "precondition-failed")
        assert stale["Cache-Control"] == "no-store"
        assert "ETag" not in stale


# -- Idempotency-Key ---------------------------------------------------------------


def test_same_key_and_body_return_the_original_job(api: ApiClient) -> None:
    payload = make_email_payload()
    first = api.post_json(BULK, payload, headers={"Idempotency-Key": "k-1"})
    # Same JSON, different spacing and key order: the same request.
    again = api.post_json(
        BULK, json.dumps(payload, indent=4, sort_keys=True), headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 202
    assert again.json()["jobId"] == first.json()["jobId"]
    assert again["Location"] == first["Location"]
    assert Job.objects.count() == 1


def test_same_key_with_another_body_is_422(api: ApiClient) -> None:
    api.post_json(BULK, make_email_payload(), headers={"Idempotency-Key": "k-2"})
    other = api.post_json(
        BULK, make_email_payload(subject="Other"), headers={"Idempotency-Key": "k-2"}
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("#problem-idempotency-key-reused")
    assert Job.objects.count() == 1


def test_a_duplicate_while_the_first_is_in_flight_is_409(api: ApiClient) -> None:
    # The first request claimed the key and is still creating its job.
    payload = make_email_payload()
    IdempotencyKey.objects.create(
        client="127.0.0.1", kind="bulk-email", key="k-3", fingerprint=fingerprint_of(payload)
    )
    duplicate = api.post_json(BULK, payload, headers={"Idempotency-Key": "k-3"})
    assert duplicate.status_code == 409
    assert duplicate.json()["type"].endswith("#problem-idempotency-key-in-flight")
    assert duplicate["Retry-After"] == "1"
    assert not Job.objects.exists()


# Threads of their own send the requests: they must see each other's commits.
@pytest.mark.django_db(transaction=True)
def test_simultaneous_duplicates_create_one_job() -> None:
    payload = make_email_payload()
    start = threading.Barrier(4)
    responses: list[Any] = []

    def send() -> None:
        try:
            start.wait(timeout=10)
            responses.append(ApiClient().post_json(BULK, payload, headers={"Idempotency-Key": "k"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(responses) == 4
    assert Job.objects.count() == 1
    job_id = Job.objects.get().public_id
    for response in responses:
        # Each one either got the one job's 202 or was told the first is in flight.
        assert response.status_code in (202, 409)
        if response.status_code == 202:
            assert response.json()["jobId"] == job_id
    assert any(response.status_code == 202 for response in responses)


def fingerprint_of(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_an_abandoned_key_is_taken_over(api: ApiClient) -> None:
    # The first request claimed the key, then its process died before creating the job.
    payload = make_email_payload()
    IdempotencyKey.objects.create(
        client="127.0.0.1", kind="bulk-email", key="k-3", fingerprint=fingerprint_of(payload)
    )
    assert api.post_json(BULK, payload, headers={"Idempotency-Key": "k-3"}).status_code == 409
    IdempotencyKey.objects.filter(key="k-3").update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert api.post_json(BULK, payload, headers={"Idempotency-Key": "k-3"}).status_code == 202


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_replay_after_the_job_finished_is_the_original_202(api: ApiClient) -> None:
    headers = {"Idempotency-Key": "k-5"}
    first = api.post_json(BULK, make_email_payload(), headers=headers)
    run_worker()
    again = api.post_json(BULK, make_email_payload(), headers=headers)
    assert again.status_code == 202
    for header in ["Location", "Content-Location", "Operation-Location"]:
        assert again[header] == first[header]
    original, replayed = first.json(), again.json()
    # The same job and URLs; status, progress and estimate are as of now.
    assert replayed["status"] == "succeeded" and replayed["progress"] == 100
    for name in ["jobId", "kind", "createdAt", "monitor", "operation"]:
        assert replayed[name] == original[name]
    # Asking to wait is asking for the outcome: a finished job's is a 303.
    waited = api.post_json(BULK, make_email_payload(), headers={**headers, "Prefer": "wait=1"})
    assert waited.status_code == 303
    assert waited["Location"] == f"{first['Location']}/result"


def test_rejected_request_releases_nothing_and_stores_nothing(api: ApiClient, settings) -> None:
    response = api.post_json(BULK, {"subject": "x"}, headers={"Idempotency-Key": "k-4"})
    assert response.status_code == 422
    assert_nothing_stored(settings)


# -- Cancellation ----------------------------------------------------------------


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_cancel_a_queued_job(api: ApiClient) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    canceled = api.delete(f"/api/jobs/{job_id}")
    # Enacted at once (RFC 9110 section 9.3.5): 200, with the job as the monitor shows it.
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert canceled["Content-Location"] == f"http://testserver/api/jobs/{job_id}"
    run_worker()
    monitor = api.get(f"/api/jobs/{job_id}").json()
    assert monitor["status"] == "canceled" and monitor["error"]["code"] == "canceled"
    assert not MailboxMessage.objects.exists()
    again = api.delete(f"/api/jobs/{job_id}")
    assert again.status_code == 409
    assert again.json()["type"].endswith("#problem-job-already-finished")


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_cancel_a_running_job_stops_at_its_next_step(api: ApiClient) -> None:
    payload = make_email_payload("a@example.test", "b@example.test", "c@example.test")
    job_id = api.post_json(BULK, payload).json()["jobId"]
    answers = []

    def delete(job: Job) -> None:
        # The client's DELETE arrives while the worker renders the second message.
        answers.append(api.delete(f"/api/jobs/{job_id}"))

    with fault_at("render:1", delete):
        run_worker()
    assert answers[0].status_code == 202
    assert answers[0].json()["status"] == "running"
    assert answers[0].json()["cancelRequestedAt"]
    monitor = api.get(f"/api/jobs/{job_id}").json()
    assert monitor["status"] == "canceled"
    assert MailboxMessage.objects.count() == 1


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_cancel_a_finished_job_is_409(api: ApiClient) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    run_worker()
    assert api.delete(f"/api/jobs/{job_id}").status_code == 409


def delete_at(api: ApiClient, point: str, job_id: str, answers: list[Any]) -> Any:
    """Hold the worker at the named point while the client's DELETE is answered."""

    def delete(job: Job) -> None:
        if job.public_id == job_id:
            answers.append(api.delete(f"/api/jobs/{job_id}"))

    return fault_at(point, delete)


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("point", ["report", "finish"])
def test_a_cancel_once_every_message_is_sent_is_refused_and_the_job_succeeds(
    api: ApiClient, point: str
) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    answers: list[Any] = []
    # Every message is sent, the job not yet marked finished: nothing is left to stop.
    with delete_at(api, point, job_id, answers):
        run_worker()
    refused = assert_problem(answers[0], 409, "job-already-finished")
    assert "all 2 messages were sent: 2 delivered, 0 bounced" in refused["detail"]
    assert f"http://testserver/api/jobs/{job_id}/result" in refused["detail"]
    monitor = api.get(f"/api/jobs/{job_id}")
    assert monitor.status_code == 303 and "cancelRequestedAt" not in monitor.json()
    result = api.get(f"/api/jobs/{job_id}/result").json()
    assert result["counts"] == {"recipients": 2, "delivered": 2, "bounced": 0}
    assert MailboxMessage.objects.count() == 2


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_cancel_before_the_last_message_ends_canceled_with_what_was_delivered(
    api: ApiClient,
) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    answers: list[Any] = []
    # The last message is rendered, not sent: the DELETE wins, and says so truthfully.
    with delete_at(api, "send:1", job_id, answers):
        run_worker()
    assert answers[0].status_code == 202
    monitor = api.get(f"/api/jobs/{job_id}").json()
    assert monitor["status"] == "canceled" and monitor["error"]["code"] == "canceled"
    assert "1 of 2 messages had been sent" in monitor["error"]["detail"]
    report = monitor["report"]
    assert report["outcome"] == "canceled"
    assert report["counts"] == {"recipients": 2, "delivered": 1, "bounced": 0, "notSent": 1}
    assert [(r["email"], r["status"]) for r in report["recipients"]] == [
        ("ada@example.test", "delivered"),
        ("grace@example.test", "not-sent"),
    ]
    assert [m.recipient for m in MailboxMessage.objects.all()] == ["ada@example.test"]
    assert api.get(f"/api/jobs/{job_id}/result").status_code == 409


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_client_resends_only_what_a_canceled_job_did_not_send(api: ApiClient) -> None:
    everyone = ["a@example.test", "b@bounce.example.test", "c@example.test", "d@example.test"]
    job_id = api.post_json(BULK, make_email_payload(*everyone)).json()["jobId"]
    answers: list[Any] = []
    with delete_at(api, "render:2", job_id, answers):
        run_worker()
    assert answers[0].status_code == 202
    report = api.get(f"/api/jobs/{job_id}").json()["report"]
    assert report["counts"] == {"recipients": 4, "delivered": 1, "bounced": 1, "notSent": 2}
    rest = [r["email"] for r in report["recipients"] if r["status"] == "not-sent"]
    assert rest == ["c@example.test", "d@example.test"]

    assert api.post_json(BULK, make_email_payload(*rest)).status_code == 202
    run_worker()
    received = sorted(m.recipient for m in MailboxMessage.objects.all())
    # Each message once: the bounce was never delivered, and nobody got it twice.
    assert received == ["a@example.test", "c@example.test", "d@example.test"]


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_cancel_once_the_file_is_read_is_refused_and_the_digest_kept(api: ApiClient) -> None:
    job_id = api.request(
        "POST", "/api/files/process", data=b"a,b\n1,2\n", content_type="text/csv"
    ).json()["jobId"]
    answers: list[Any] = []
    with delete_at(api, "finish", job_id, answers):
        run_worker()
    assert_problem(answers[0], 409, "job-already-finished")
    assert api.get(f"/api/jobs/{job_id}/result").json()["size"] == 8


# -- Prefer ------------------------------------------------------------------------


def test_prefer_respond_async_is_acknowledged(api: ApiClient) -> None:
    response = api.post_json(BULK, make_email_payload(), headers={"Prefer": "respond-async"})
    assert response.status_code == 202
    assert response["Preference-Applied"] == "respond-async"


def test_prefer_wait_without_a_worker_ends_in_202(api: ApiClient) -> None:
    started = time.monotonic()
    response = api.post_json(BULK, make_email_payload(), headers={"Prefer": "wait=1"})
    # It waited the second asked for, and gave up then: not at the longest wait it allows.
    assert 1 <= time.monotonic() - started < MAX_WAIT
    assert response.status_code == 202
    assert response["Preference-Applied"] == "wait=1"


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_prefer_wait_answers_the_outcome_when_done_in_time(api: ApiClient, live_worker) -> None:
    response = api.post_json(
        BULK, make_email_payload(), headers={"Prefer": "respond-async, wait=30"}
    )
    assert response.status_code == 303
    # Capped at 10 seconds; respond-async was not applied since the answer is final.
    assert response["Preference-Applied"] == "wait=10"
    assert response["Location"].endswith("/result")
    assert api.get(response["Location"]).json()["outcome"] == "delivered"


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_prefer_wait_sends_a_failed_job_to_its_monitor(api: ApiClient, live_worker) -> None:
    failed = api.post_json(
        BULK, make_email_payload("x@bounce.example.test"), headers={"Prefer": "wait=10"}
    )
    assert failed.status_code == 303
    assert failed["Location"] == failed.json()["monitor"]
    # A failed job has no result to link to (its result URL would answer 409).
    assert "result" not in failed.json()
    assert api.get(failed["Location"]).json()["status"] == "failed"


@pytest.mark.parametrize(
    ("header", "applied"),
    [
        ("respond-async , wait = 0", "respond-async, wait=0"),
        ('wait="0"; ignored=parameter', "wait=0"),
        # Two Prefer headers arrive joined by a comma; the first wait counts.
        ("wait=0, respond-async, wait=5", "respond-async, wait=0"),
        ("WAIT=0", "wait=0"),
        # Not a number of seconds: ignored, as RFC 7240 says of unusable preferences.
        ("wait=\u00b2", None),
        ("wait=-1", None),
        ("wait=1.5", None),
    ],
)
def test_prefer_is_parsed_as_rfc_7240_says(
    api: ApiClient, header: str, applied: str | None
) -> None:
    response = api.post_json(BULK, make_email_payload(), headers={"Prefer": header})
    assert response.status_code == 202
    assert response.get("Preference-Applied") == applied
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    ("wait", "seconds"),
    [("3", 3), ("0003", 3), ("30", 10), ("9" * 1000, 10), ("3 ", 3), ("", None)],
)
def test_wait_is_whole_seconds_capped(wait: str, seconds: int | None) -> None:
    # 1000 digits are no number of seconds to convert: still just "a long wait".
    request = RequestFactory().post(BULK, headers={"Prefer": f"wait={wait}"})
    assert read_prefer(request).wait == seconds


def test_quoted_preferences_may_contain_separators() -> None:
    assert parse_prefer('a="x, y; z", wait=1;p="q,r"') == {"a": "x, y; z", "wait": "1"}
    assert parse_prefer('note="say \\"hi\\"", wait=2') == {"note": 'say "hi"', "wait": "2"}


# -- Generic long-running-operation clients -----------------------------------------


Wait = Callable[[int], None]


def follow_location(api: ApiClient, accepted: Any, *, wait: Wait) -> tuple[str, Any]:
    """RFC 9110 style: poll Location until a 303 leads to the result, or a failure shows."""
    url = accepted["Location"]
    for _ in range(10):
        response = api.get(url)
        if response.status_code == 303:
            result = api.get(response["Location"])
            assert result.status_code == 200
            return "succeeded", result.json()
        body = response.json()
        if body["status"].lower() in {"failed", "canceled"}:
            return body["status"], body["error"]
        wait(int(response["Retry-After"]))
    raise AssertionError("the job never finished")


def poll_operation(api: ApiClient, accepted: Any, *, wait: Wait) -> tuple[str, Any]:
    """Azure style: poll Operation-Location until a terminal status."""
    url = accepted["Operation-Location"]
    for _ in range(10):
        response = api.get(url)
        assert response.status_code == 200
        operation = response.json()
        status = operation["status"].lower()
        if status == "succeeded":
            return status, operation["result"]
        if status == "failed":
            # The guidelines' ErrorDetail: the problem type is its innererror's.
            return status, {**operation["error"], **operation["error"]["innererror"]}
        if status == "canceled":
            return status, operation["report"]
        wait(int(response["Retry-After"]))
    raise AssertionError("the operation never finished")


@pytest.mark.parametrize("client", [follow_location, poll_operation])
@pytest.mark.parametrize(
    ("recipient", "outcome"),
    [("ada@example.test", "succeeded"), ("x@bounce.example.test", "failed")],
)
# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_generic_client_drives_a_job_to_its_end(
    api: ApiClient, client: Callable[..., tuple[str, Any]], recipient: str, outcome: str
) -> None:
    waits: list[int] = []

    def wait(seconds: int) -> None:
        # Where a real client would sleep Retry-After seconds, the worker runs.
        waits.append(seconds)
        run_worker()

    accepted = api.post_json(BULK, make_email_payload(recipient))
    status, body = client(api, accepted, wait=wait)
    assert status == outcome
    assert waits and all(seconds >= 1 for seconds in waits)
    if outcome == "succeeded":
        assert body["counts"]["delivered"] == 1
    else:
        assert body["code"] == "all-bounced" and body["type"].endswith("#problem-all-bounced")


def test_a_pending_result_is_409_with_retry_after(api: ApiClient) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    response = api.get(f"/api/jobs/{job_id}/result")
    problem = assert_problem(response, 409, "result-not-available")
    assert int(response["Retry-After"]) >= 1
    assert f"http://testserver/api/jobs/{job_id}" in problem["detail"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/api/jobs/{}/result", "/api/operations/{}"])
def test_result_and_operation_are_read_only(api: ApiClient, method: str, path: str) -> None:
    job = make_email_job("a@example.test")
    response = api.request(method, path.format(job.public_id))
    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_the_303_is_tagged_by_the_view_itself(api: ApiClient, settings) -> None:
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if not name.endswith("ConditionalGetMiddleware")
    ]
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    run_worker()
    done = api.get(f"/api/jobs/{job_id}")
    assert done.status_code == 303
    assert done["ETag"] and done["Cache-Control"] == "no-cache"
    # A conditional poll of a finished job still gets the 303 (304 is for 2xx only).
    again = api.get(f"/api/jobs/{job_id}", headers={"If-None-Match": done["ETag"]})
    assert again.status_code == 303 and again["ETag"] == done["ETag"]


def test_healthz_answers_head() -> None:
    response = Client().head("/healthz")
    assert response.status_code == 503  # no worker in this test
    assert response["Retry-After"] and not response.content


# -- Retention -----------------------------------------------------------------------


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_expired_jobs_are_gone_even_after_pruning(api: ApiClient, settings) -> None:
    job_id = api.post_json(BULK, make_email_payload()).json()["jobId"]
    run_worker()
    Job.objects.filter(public_id=job_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    urls = [f"/api/jobs/{job_id}", f"/api/jobs/{job_id}/result", f"/api/operations/{job_id}"]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 410
        assert response.json()["type"].endswith("#problem-job-expired")
    assert api.delete(urls[0]).status_code == 410

    call_command("prune_jobs", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tombstone = Job.objects.get(public_id=job_id)
    assert tombstone.pruned and tombstone.result is None and tombstone.input == {}
    assert api.get(urls[0]).status_code == 410
    # A retention period later the tombstone goes too.
    Job.objects.filter(public_id=job_id).update(
        expires_at=timezone.now() - timedelta(seconds=settings.DEMO_JOB_RETENTION + 1)
    )
    call_command("prune_jobs", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert api.get(urls[0]).status_code == 404


# -- The human page --------------------------------------------------------------------


def test_api_page_documents_every_problem_type(api: ApiClient) -> None:
    from api.problems import PROBLEM_TYPES

    page = Client().get("/api/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/api/openapi.json"' in html
    for slug in PROBLEM_TYPES:
        assert f'id="problem-{slug}"' in html
    assert "bounce.example.test" in html and "slow.example.test" in html


def test_the_body_is_judged_before_the_headers(api: ApiClient) -> None:
    # A request wrong in both ways hears first about its body, as it always has.
    long_key = {"Idempotency-Key": "k" * 300}
    wrong_type = api.request("POST", BULK, data="hi", content_type="text/plain", headers=long_key)
    assert wrong_type.status_code == 415
    broken = api.request("POST", BULK, data="{", content_type="application/json", headers=long_key)
    assert broken.status_code == 400
    form = api.request("POST", FILES, data="a=b", content_type="application/x-www-form-urlencoded",
                       headers=long_key)  # fmt: skip
    assert form.status_code == 415
    assert api.post_json(BULK, make_email_payload(), headers=long_key).status_code == 422


def test_an_upload_cut_off_midway_leaves_nothing(settings) -> None:
    class CutOff(FakePayload):
        def read(self, size: int = -1) -> bytes:
            raise OSError("the client went away")

    # 100 bytes announced; the stream breaks after none of them.
    environ: dict[str, Any] = {"CONTENT_LENGTH": "100", "wsgi.input": CutOff()}
    request = RequestFactory().generic("POST", FILES, b"x", "text/plain", **environ)
    from api.views import process_file

    # Answered as a body cut short (400), not left to escape as a 500.
    response = process_file(request)
    assert response.status_code == 400
    assert json.loads(response.content)["type"].endswith("#problem-invalid-content-length")
    uploads = settings.DEMO_UPLOAD_DIR
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not Job.objects.exists()
