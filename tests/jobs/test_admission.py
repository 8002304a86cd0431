"""Admission: no client holds more than its share of the queue, the upload space, what
the demo stores, or the threads that wait for jobs."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from jobs import admission
from jobs.models import Job, MailboxMessage
from tests.config.test_settings import load_settings
from tests.helpers import (
    ApiClient,
    database_env,
    free_port,
    make_email_payload,
    run_worker,
    wait_for,
)

GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.django_db

BULK = "/api/emails/bulk"
FILES = "/api/files/process"
WAIT = {"Prefer": "wait=10"}


def post_job(api: ApiClient, address: str, payload: Any = None, **headers: str) -> Any:
    payload = payload or make_email_payload()
    return api.post_json(BULK, payload, REMOTE_ADDR=address, headers=headers)


def post_upload(api: ApiClient, address: str, size: int) -> Any:
    return api.request(
        "POST", FILES, data=b"x" * size, content_type="text/plain", REMOTE_ADDR=address
    )


def assert_problem(response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"#problem-{slug}")


def assert_refused_for_a_while(response: Any, slug: str) -> int:
    assert_problem(response, 429, slug)
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1
    return retry_after


def slow_recipients(count: int) -> list[str]:
    # Each plans 2 + SLOW_EXTRA_STEPS steps: long jobs from a short request.
    return [f"r{index}@slow.example.test" for index in range(count)]


# -- Waiting ---------------------------------------------------------------------


def test_a_replay_answers_at_once_without_waiting(api: ApiClient) -> None:
    first = post_job(api, "127.0.0.2", **{"Idempotency-Key": "w-1"})
    assert first.status_code == 202
    again = post_job(api, "127.0.0.2", **{"Idempotency-Key": "w-1"}, **WAIT)
    # The original 202, with no worker running: the job is still pending and the
    # answer does not say it waited.
    assert again.status_code == 202 and again.json()["jobId"] == first.json()["jobId"]
    assert "Preference-Applied" not in again
    assert Job.objects.get().status == Job.Status.QUEUED


def test_past_the_per_process_cap_a_wait_answers_202_at_once(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_WAITS_PER_PROCESS = 1
    settings.DEMO_MAX_WAITS_PER_CLIENT = 5
    with admission.place_to_wait(client="198.51.100.7") as free:
        assert free
        response = post_job(api, "127.0.0.2", Prefer="respond-async, wait=10")
        assert response.status_code == 202
        # Only what was applied: the wait was not.
        assert response["Preference-Applied"] == "respond-async"
        assert Job.objects.get().status == Job.Status.QUEUED
    # The place is free again: the next request waits (one second, no worker) and says so.
    waited = post_job(api, "127.0.0.2", **{"Prefer": "wait=1"})
    assert waited.status_code == 202 and waited["Preference-Applied"] == "wait=1"


def test_one_wait_per_client_and_another_client_still_waits(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_WAITS_PER_PROCESS = 5
    settings.DEMO_MAX_WAITS_PER_CLIENT = 1
    with admission.place_to_wait(client="127.0.0.2") as free:
        assert free
        held_back = post_job(api, "127.0.0.2", **WAIT)
        assert held_back.status_code == 202 and "Preference-Applied" not in held_back
        other = post_job(api, "127.0.0.3", **{"Prefer": "wait=1"})
        assert other.status_code == 202 and other["Preference-Applied"] == "wait=1"
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 2


def test_no_place_to_wait_when_waits_are_off(settings) -> None:
    settings.DEMO_MAX_WAITS_PER_PROCESS = 0
    with admission.place_to_wait(client="127.0.0.2") as free:
        assert not free
    settings.DEMO_MAX_WAITS_PER_PROCESS = 2
    settings.DEMO_MAX_WAITS_PER_CLIENT = 0
    with admission.place_to_wait(client="127.0.0.2") as free:
        assert not free


def test_a_client_place_to_wait_is_given_back(settings) -> None:
    settings.DEMO_MAX_WAITS_PER_CLIENT = 2
    for _ in range(5):
        with (
            admission.place_to_wait(client="127.0.0.2") as first,
            admission.place_to_wait(client="127.0.0.2") as second,
            admission.place_to_wait(client="127.0.0.2") as third,
        ):
            assert first and second and not third


# -- Planned work ----------------------------------------------------------------


def test_a_client_over_its_planned_work_gets_429_and_another_is_accepted(
    api: ApiClient, settings
) -> None:
    settings.DEMO_PACE = 1
    settings.DEMO_MAX_PENDING_WORK_PER_CLIENT = 20
    # 2 + 3 x 5 steps: 17 s of work.
    long_job = make_email_payload(*slow_recipients(3))
    assert post_job(api, "127.0.0.2", long_job).status_code == 202
    # 6 s more would make 23 s: refused until 3 s of the first job's work are done.
    refused = post_job(api, "127.0.0.2")
    assert assert_refused_for_a_while(refused, "too-much-pending-work") == 3
    assert Job.objects.filter(client="127.0.0.2").count() == 1
    assert post_job(api, "127.0.0.3", long_job).status_code == 202


def test_a_client_with_nothing_pending_may_start_a_job_longer_than_the_cap(
    api: ApiClient, settings
) -> None:
    settings.DEMO_PACE = 1
    settings.DEMO_MAX_PENDING_WORK_PER_CLIENT = 10
    assert post_job(api, "127.0.0.2", make_email_payload(*slow_recipients(3))).status_code == 202
    assert_refused_for_a_while(post_job(api, "127.0.0.2"), "too-much-pending-work")


def test_many_clients_fill_the_queue_with_no_more_than_their_work_each(
    api: ApiClient, settings
) -> None:
    settings.DEMO_PACE = 1
    settings.DEMO_MAX_PENDING_PER_CLIENT = 3
    settings.DEMO_MAX_PENDING_JOBS = 40
    settings.DEMO_MAX_PENDING_WORK_PER_CLIENT = 30
    # Ten addresses, three slow jobs each (17 s of work apiece): one job each is taken.
    slow = make_email_payload(*slow_recipients(3))
    for host in range(10, 20):
        answers = [post_job(api, f"127.0.0.{host}", slow).status_code for _ in range(3)]
        assert answers == [202, 429, 429]
    assert Job.objects.count() == 10
    # Room is left for everyone else.
    assert post_job(api, "127.0.0.3").status_code == 202


def test_until_drained_counts_jobs_working_side_by_side() -> None:
    # Two jobs of 4 s and 10 s: 6 s of work are done after 3 s, 10 s after 6 s.
    assert admission._until_drained([10.0, 4.0], amount=6) == 3
    assert admission._until_drained([10.0, 4.0], amount=10) == 6
    assert admission._until_drained([], amount=5) == 1


# -- Uploads ---------------------------------------------------------------------


def test_one_clients_uploads_trip_before_the_shared_space_fills(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_STORED_UPLOAD_BYTES = 200
    settings.DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT = 40
    # Four addresses, three uploads each: on the shared space alone the tenth filled it.
    for host in range(2, 6):
        answers = [post_upload(api, f"127.0.0.{host}", 20) for _ in range(3)]
        assert [answer.status_code for answer in answers[:2]] == [202, 202]
        assert_refused_for_a_while(answers[2], "upload-share-full")
    assert len(list(settings.DEMO_UPLOAD_DIR.iterdir())) == 8
    # Another client still finds room.
    assert post_upload(api, "127.0.0.9", 20).status_code == 202


def test_one_upload_always_fits_a_clients_share(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT = 10
    assert post_upload(api, "127.0.0.2", 20).status_code == 202
    assert_refused_for_a_while(post_upload(api, "127.0.0.2", 1), "upload-share-full")


# -- Stored bytes ----------------------------------------------------------------


def test_a_job_that_alone_would_store_too_much_is_413(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_STORED_BYTES_PER_CLIENT = 100_000
    # A 9.8 KB body of placeholders, five long addresses: each message is about 90 KB.
    recipients = [f"{'a' * 50}{index}@example.test" for index in range(5)]
    payload = make_email_payload(*recipients, body="{email}" * 1400)
    refused = post_job(api, "127.0.0.2", payload)
    assert_problem(refused, 413, "job-too-large")
    assert "Retry-After" not in refused
    assert not Job.objects.exists()
    assert post_job(api, "127.0.0.2").status_code == 202


def test_pending_jobs_that_fill_a_clients_store_share_are_429(api: ApiClient, settings) -> None:
    payload = make_email_payload(*[f"r{index}@example.test" for index in range(5)])
    payload["body"] = "Hello {name}. " + "x" * 2000
    assert post_job(api, "127.0.0.2", payload).status_code == 202
    size = admission.stored_bytes(Job.objects.get())
    settings.DEMO_MAX_STORED_BYTES_PER_CLIENT = size * 2 + size // 2
    assert post_job(api, "127.0.0.2", payload).status_code == 202
    assert_refused_for_a_while(post_job(api, "127.0.0.2", payload), "storage-share-full")
    assert post_job(api, "127.0.0.3", payload).status_code == 202


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_clients_oldest_finished_jobs_make_room_for_its_new_one(api: ApiClient, settings) -> None:
    payload = make_email_payload(*[f"r{index}@example.test" for index in range(5)])
    payload["body"] = "Hello {name}. " + "x" * 2000
    started = [post_job(api, "127.0.0.2", payload).json()["jobId"]]
    run_worker()
    size = admission.stored_bytes(Job.objects.get())
    settings.DEMO_MAX_STORED_BYTES_PER_CLIENT = size * 2 + size // 2
    for _ in range(3):
        started.append(post_job(api, "127.0.0.2", payload).json()["jobId"])
        run_worker()
    # What the client keeps stays within its share: its two newest jobs.
    statuses = [api.get(f"/api/jobs/{job_id}").status_code for job_id in started]
    assert statuses == [410, 410, 303, 303]
    kept = Job.objects.filter(client="127.0.0.2", pruned=False)
    assert sum(admission.stored_bytes(job) for job in kept) <= size * 2 + size // 2


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_the_bytes_a_job_plans_to_store_cover_what_it_stores(api: ApiClient) -> None:
    recipients = [
        {"email": f"{'n' * 40}{index}@example.test", "name": "N" * 90} for index in range(5)
    ]
    body = "Dear {name} <{email}>, {email} again. " * 200
    response = post_job(api, "127.0.0.2", make_email_payload(*recipients, body=body))
    run_worker()
    job = Job.objects.get(public_id=response.json()["jobId"])
    assert job.status == Job.Status.SUCCEEDED
    messages = MailboxMessage.objects.filter(message_id__startswith=f"<{job.public_id}.")
    assert messages.count() == 5
    mail = sum(len(f"{m.message_id}{m.recipient}{m.subject}{m.body}".encode()) for m in messages)
    row = sum(len(json.dumps(value).encode()) for value in [job.input, job.state, job.result])
    assert mail + row <= admission.stored_bytes(job)
    # And not wildly more: the estimate is what the share is counted in.
    assert admission.stored_bytes(job) <= 2 * (mail + row)


def test_the_api_page_lists_the_shares_and_the_places_to_wait(client: Any, settings) -> None:
    settings.DEMO_MAX_WAITS_PER_PROCESS = 3
    page = client.get("/api/").content.decode()
    for slug in ["too-much-pending-work", "upload-share-full", "storage-share-full"]:
        assert f"<code>{slug}</code>" in page
        assert f'id="problem-{slug}"' in page
    assert 'id="problem-job-too-large"' in page
    assert "3 per server process" in page


# -- Settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("DEMO_MAX_WAITS_PER_PROCESS", "-1", "a whole number >= 0"),
        ("DEMO_MAX_WAITS_PER_CLIENT", "one", "a whole number >= 0"),
        ("DEMO_MAX_PENDING_WORK_PER_CLIENT", "0", "a whole number >= 1"),
        ("DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT", "10MB", "a whole number >= 1"),
        ("DEMO_MAX_STORED_BYTES_PER_CLIENT", "0", "a whole number >= 1"),
    ],
)
def test_a_bad_share_setting_stops_the_process_naming_it(
    name: str, value: str, accepted: str
) -> None:
    started = load_settings(**{name: value})
    assert started.returncode != 0
    error = started.stderr.strip().splitlines()[-1]
    assert name in error and accepted in error


# -- Under gunicorn --------------------------------------------------------------


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    """gunicorn on the test database (two processes, four threads each), no worker: every
    job stays pending. Yields its port."""
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if key != "REDIS_URL"},
        **database_env(),
        "DEMO_PACE": "5",
        "DEMO_UPLOAD_DIR": str(tmp_path / "uploads"),
        "DEMO_LIMITS_PATH": str(tmp_path / "limits.sqlite3"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DEMO_JOBS_PER_MINUTE": "1000",
        "DEMO_MAX_PENDING_PER_CLIENT": "100",
        "DEMO_MAX_PENDING_WORK_PER_CLIENT": "100000",
        "DEMO_MAX_WAITS_PER_PROCESS": "1",
        "DEMO_MAX_WAITS_PER_CLIENT": "1",
    }
    command = [str(GUNICORN), "config.wsgi:application", "-b", f"127.0.0.1:{port}"]
    command += ["-w", "2", "-k", "gthread", "--threads", "4", "--no-control-socket"]
    log = tmp_path / "web.log"
    with log.open("ab") as output:
        # A session of its own: gunicorn's workers are stopped with their master.
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(lambda: call(port, "/healthz", method="GET").status, timeout=60, what="gunicorn")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        print(log.read_text(errors="replace")[-3000:])


def call(
    port: int, path: str, *, method: str = "POST", address: str = "127.0.0.1", **headers: str
) -> http.client.HTTPResponse:
    # From `address` (any of 127/8 on Linux): each address is a client of its own.
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=60, source_address=(address, 0)
    )
    body = None
    if method == "POST":
        body = json.dumps(make_email_payload(subject=headers.pop("subject", "Welcome")))
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_replays_never_wait_and_waits_keep_to_their_places(web: int) -> None:
    key = {"Idempotency-Key": "replayed"}
    assert call(web, BULK, **key).status == 202
    # Twenty replays asking to wait, at once: each answers the original 202 without waiting.
    with ThreadPoolExecutor(20) as pool:
        replays = list(pool.map(lambda _: call(web, BULK, **key, Prefer="wait=10"), range(20)))
    assert {(answer.status, answer.getheader("Preference-Applied")) for answer in replays} == {
        (202, None)
    }
    assert Job.objects.get().status == Job.Status.QUEUED

    # One client, six new jobs asking to wait, over both processes: one waits.
    def start(index: int, address: str = "127.0.0.5") -> Any:
        return call(web, BULK, address=address, subject=f"Job {index}", Prefer="wait=10")

    with ThreadPoolExecutor(6) as pool:
        waits = [answer.getheader("Preference-Applied") for answer in pool.map(start, range(6))]
    assert waits.count("wait=10") == 1 and waits.count(None) == 5

    # Six clients: one place per process, whichever process each request reaches.
    with ThreadPoolExecutor(6) as pool:
        answers = pool.map(lambda i: start(i, f"127.0.0.{20 + i}"), range(6))
        waits = [answer.getheader("Preference-Applied") for answer in answers]
    assert 1 <= waits.count("wait=10") <= 2 and waits.count(None) >= 4
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 13
