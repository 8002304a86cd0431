"""Abuse limits, each answered as the reference teaches: 429 or 503, Retry-After, a problem."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from jobs.models import IdempotencyKey, Job
from jobs.ratestore import DatabaseStore, RedisStore, SqliteStore, rate_store
from tests.helpers import (
    ApiClient,
    database_env,
    make_email_payload,
    run_worker,
    wait_for,
)

pytestmark = pytest.mark.django_db

BULK = "/api/emails/bulk"


def post_job(api: ApiClient, address: str, **headers: str) -> Any:
    return api.post_json(BULK, make_email_payload(), REMOTE_ADDR=address, headers=headers)


def assert_problem(response: Any, status: int, slug: str) -> int:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"#problem-{slug}")
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1
    return retry_after


def test_starting_jobs_faster_than_the_limit_is_429(api: ApiClient, settings) -> None:
    settings.DEMO_JOBS_PER_MINUTE = 3
    for _ in range(3):
        assert post_job(api, "127.0.0.2").status_code == 202
    refused = post_job(api, "127.0.0.2")
    # One job a minute / 3 per minute: the next place frees in about 20 s.
    assert 15 <= assert_problem(refused, 429, "rate-limited") <= 20
    assert Job.objects.count() == 3
    # Another client is not held back by the first one's limit.
    assert post_job(api, "127.0.0.3").status_code == 202


def test_polling_sooner_than_retry_after_counts_against_you(
    api: ApiClient, settings: Any, stopped_clock: None
) -> None:
    # The limits' clock stands still: the polls below come before the Retry-After,
    # however busy the machine.
    settings.DEMO_PACE = 2
    settings.DEMO_POLLS_PER_MINUTE = 20
    settings.DEMO_EARLY_POLL_COST = 10
    job_id = post_job(api, "127.0.0.2").json()["jobId"]
    monitor = f"/api/jobs/{job_id}"
    first = api.get(monitor, REMOTE_ADDR="127.0.0.2")
    assert first.status_code == 200 and int(first["Retry-After"]) >= 1
    # Ten on-time polls would be ten; two polls before the Retry-After cost twenty.
    assert api.get(monitor, REMOTE_ADDR="127.0.0.2").status_code == 200
    refused = api.get(monitor, REMOTE_ADDR="127.0.0.2")
    retry_after = assert_problem(refused, 429, "rate-limited")
    # Refused after three polls of twenty: the answer says why, and when to come back.
    assert refused.json()["detail"] == (
        "This client may send 20 polls a minute, and polls sooner than the Retry-After "
        f"the job's last answer gave count 10 each; try again in {retry_after} s."
    )
    # A poll of another URL, or by another client, has its own Retry-After to keep.
    assert api.get(monitor, REMOTE_ADDR="127.0.0.3").status_code == 200


def test_polls_at_the_pace_asked_are_never_refused(api: ApiClient, settings, monkeypatch) -> None:
    # Retry-After is at least 1 s: one job polled as asked is at most 60 polls a minute.
    settings.DEMO_POLLS_PER_MINUTE = 60
    clock = FakeClock()
    monkeypatch.setattr("jobs.ratestore.time", clock)
    monkeypatch.setattr("api.limits.time", clock)
    job_id = post_job(api, "127.0.0.2").json()["jobId"]
    for _ in range(60):
        answer = api.get(f"/api/jobs/{job_id}", REMOTE_ADDR="127.0.0.2")
        assert answer.status_code == 200
        clock.now += int(answer["Retry-After"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


def test_too_many_pending_jobs_of_one_client_is_429(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_PENDING_PER_CLIENT = 2
    assert post_job(api, "127.0.0.2").status_code == 202
    assert post_job(api, "127.0.0.2").status_code == 202
    assert_problem(post_job(api, "127.0.0.2"), 429, "too-many-pending-jobs")
    assert post_job(api, "127.0.0.3").status_code == 202
    assert Job.objects.filter(client="127.0.0.2").count() == 2


def test_a_replayed_idempotency_key_is_not_a_new_pending_job(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_PENDING_PER_CLIENT = 1
    first = post_job(api, "127.0.0.2", **{"Idempotency-Key": "k"})
    again = post_job(api, "127.0.0.2", **{"Idempotency-Key": "k"})
    assert again.status_code == 202 and again.json()["jobId"] == first.json()["jobId"]


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_full_queue_answers_503_and_healthz_says_so(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_PENDING_JOBS = 2
    assert post_job(api, "127.0.0.2").status_code == 202
    assert post_job(api, "127.0.0.3").status_code == 202
    refused = post_job(api, "127.0.0.4", **{"Idempotency-Key": "full"})
    assert_problem(refused, 503, "queue-full")
    assert Job.objects.count() == 2 and not IdempotencyKey.objects.exists()
    run_worker()  # writes its heartbeat, then empties the queue
    health = Client().get("/healthz").json()
    assert health["checks"]["queue"] == {"status": "ok", "pending": 0, "limit": 2}
    assert post_job(api, "127.0.0.4").status_code == 202


def test_uploads_beyond_their_space_answer_503_and_nothing_stays(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_STORED_UPLOAD_BYTES = 30
    upload = {"data": b"x" * 20, "content_type": "text/plain"}
    assert api.request("POST", "/api/files/process", **upload).status_code == 202
    refused = api.request("POST", "/api/files/process", **upload)
    assert_problem(refused, 503, "upload-storage-full")
    assert len(list(settings.DEMO_UPLOAD_DIR.iterdir())) == 1


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_a_client_keeps_its_newest_jobs_only(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_JOBS_PER_CLIENT = 2
    first = post_job(api, "127.0.0.2").json()["jobId"]
    run_worker()
    second = post_job(api, "127.0.0.2").json()["jobId"]
    run_worker()
    third = post_job(api, "127.0.0.2").json()["jobId"]
    # The oldest finished job made room: it answers 410 Gone, as an expired one does.
    assert api.get(f"/api/jobs/{first}").status_code == 410
    assert api.get(f"/api/jobs/{second}").status_code == 303
    assert api.get(f"/api/jobs/{third}").status_code == 200


# The worker runs in a thread of its own: it must see what the requests commit.
@pytest.mark.django_db(transaction=True)
def test_one_clients_flood_does_not_hold_up_another_clients_first_job(
    settings, live_worker: Any
) -> None:
    # Slow enough that the flood's jobs are still pending while it floods.
    settings.DEMO_PACE = 0.2
    settings.DEMO_MAX_PENDING_PER_CLIENT = 3
    api = ApiClient()
    alone = finish(api, "127.0.0.9")
    flood = [post_job(api, "127.0.0.2") for _ in range(10)]
    flood_ended = timezone.now()
    # At most three pending at any moment: a slot a flood job freed by finishing (a busy
    # machine posts slowly) may take one more, never more than that.
    freed = Job.objects.filter(client="127.0.0.2", finished_at__lte=flood_ended).count()
    accepted = [answer.status_code for answer in flood].count(202)
    assert 3 <= accepted <= 3 + freed, (accepted, freed)
    assert all(answer.status_code in (202, 429) for answer in flood)
    reader = finish(api, "127.0.0.3")
    # One worker interleaves the reader's job with the flood's (none holds it while
    # it waits for its next step), so the reader's takes about as long as alone.
    assert reader <= 3 * alone, (reader, alone)


def finish(api: ApiClient, address: str) -> float:
    """Seconds from the job's acceptance to its end, as the job's own record says."""
    job_id = post_job(api, address).json()["jobId"]
    job = wait_for(
        lambda: Job.objects.filter(public_id=job_id, status="succeeded").first(),
        timeout=30,
        what=f"{address}'s job",
    )
    return (job.finished_at - job.created_at).total_seconds()


def test_the_console_counts_against_the_reader_not_itself(client: Client, settings) -> None:
    settings.DEMO_JOBS_PER_MINUTE = 1
    from playground import examples

    example = examples.find_example("bulk-email")
    form = {"example": example.id, "body": example.request_body, "content_type": "application/json"}
    first = client.post(
        "/playground/send", form, REMOTE_ADDR="127.0.0.5", follow=True
    ).content.decode()
    assert "HTTP/1.1 202 Accepted" in first
    second = client.post(
        "/playground/send", form, REMOTE_ADDR="127.0.0.5", follow=True
    ).content.decode()
    # The API's answer to the reader, shown raw like any other.
    assert "HTTP/1.1 429 Too Many Requests" in second and "Retry-After: " in second
    assert Job.objects.get().client == "127.0.0.5"
    other = client.post(
        "/playground/send", form, REMOTE_ADDR="127.0.0.6", follow=True
    ).content.decode()
    assert "HTTP/1.1 202 Accepted" in other


def test_the_limits_hold_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    here = SqliteStore(path)
    assert here.take("jobs:a", cost=2, limit=3, period=60) == 0
    # Another process spends the last one, through the same file.
    code = (
        "import sys; from pathlib import Path; from jobs.ratestore import SqliteStore;"
        f"print(SqliteStore(Path({str(path)!r})).take('jobs:a', cost=1, limit=3, period=60))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert float(other.stdout) == 0
    # Refused, for at most one emission interval (60 s / 3), however long the other took.
    assert 0 < here.take("jobs:a", cost=1, limit=3, period=60) <= 20


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs the PostgreSQL test database: make test-postgres",
)
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_limits_live_in_the_database_every_machine_shares(
    api: ApiClient, settings
) -> None:
    store = rate_store()
    assert isinstance(store, DatabaseStore)
    assert store.take("jobs:a", cost=2, limit=3, period=60) == 0
    # Another process (another machine, for all it knows) spends the last one.
    code = (
        "import django; django.setup(); from jobs.ratestore import rate_store;"
        "print(rate_store().take('jobs:a', cost=1, limit=3, period=60))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **database_env(), "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.returncode == 0, other.stderr
    assert float(other.stdout) == 0
    assert 0 < store.take("jobs:a", cost=1, limit=3, period=60) <= 20
    store.remember("next:" + "x" * 500, 42.0, ttl=5)  # a long key is kept by its digest
    assert store.recall("next:" + "x" * 500) == 42.0
    assert store.recall("next:" + "x" * 499) is None
    settings.DEMO_JOBS_PER_MINUTE = 1
    assert post_job(api, "127.0.0.7").status_code == 202
    assert_problem(post_job(api, "127.0.0.7"), 429, "rate-limited")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real Redis server on loopback, for the many-machines store."""
    server = shutil.which("redis-server")
    if server is None:
        message = "redis-server not found (make test installs Debian's redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"redis://127.0.0.1:{port}/0"

        def answering() -> bool:
            with socket.create_connection(("127.0.0.1", port)):
                return True

        wait_for(answering, timeout=10, what="redis-server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_redis_store_counts_the_same_way(redis_url: str, api: ApiClient, settings) -> None:
    one, two = RedisStore(redis_url), RedisStore(redis_url)  # two machines
    assert one.take("jobs:a", cost=2, limit=3, period=60) == 0
    assert two.take("jobs:a", cost=1, limit=3, period=60) == 0
    assert 19 <= one.take("jobs:a", cost=1, limit=3, period=60) <= 20
    two.remember("next", time.time() + 5, ttl=5)
    assert one.recall("next") is not None
    # And the API, configured for Redis, refuses as it does with the shared file.
    settings.REDIS_URL = redis_url
    settings.DEMO_JOBS_PER_MINUTE = 1
    assert post_job(api, "127.0.0.7").status_code == 202
    assert_problem(post_job(api, "127.0.0.7"), 429, "rate-limited")
    assert redis_url == django_settings.REDIS_URL


def test_the_api_page_lists_every_limit_and_the_reference_links_to_it(client: Client) -> None:
    page = client.get("/api/").content.decode()
    for anchor in ['id="limits"', 'id="rate-limits"', 'id="backpressure"']:
        assert anchor in page
    for slug in ["rate-limited", "too-many-pending-jobs", "queue-full", "upload-storage-full"]:
        assert f"<code>{slug}</code>" in page
    assert 'href="/playground/limits/#trip"' in client.get("/429/").content.decode()
    assert 'href="/playground/limits/#queue-full"' in client.get("/503/").content.decode()


@pytest.mark.parametrize(
    ("what", "refusal"),
    [("pending", "too-many-pending-jobs"), ("early", "rate-limited")],
)
def test_a_reader_trips_a_limit_of_their_own_live(
    client: Client, settings, what: str, refusal: str
) -> None:
    settings.DEMO_MAX_PENDING_PER_CLIENT = 3
    settings.DEMO_POLLS_PER_MINUTE = 50
    page = client.get("/playground/limits/").content.decode()
    assert 'value="pending"' in page and 'value="early"' in page
    html = client.post("/playground/limits/trip", {"what": what}, REMOTE_ADDR="127.0.0.8")
    assert html.status_code == 200
    text = html.content.decode()
    assert "HTTP/1.1 202 Accepted" in text
    assert "HTTP/1.1 429 Too Many Requests" in text and f"#problem-{refusal}" in text
    assert "Retry-After: " in text
    # The jobs it started cost nobody anything: all canceled, all the reader's own.
    assert set(Job.objects.values_list("status", flat=True)) == {"canceled"}
    assert set(Job.objects.values_list("client", flat=True)) == {"127.0.0.8"}
    # Another reader's allowance is untouched.
    again = client.post("/playground/limits/trip", {"what": what}, REMOTE_ADDR="127.0.0.9")
    assert "HTTP/1.1 202 Accepted" in again.content.decode()
