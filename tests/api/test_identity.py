"""Who a client is: an IPv4 address or an IPv6 /64, a proxy's word only from a trusted
proxy, Idempotency-Keys of its own, and one next allowed poll per job."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from gunicorn.config import Config  # type: ignore[import-untyped]
from gunicorn.http import wsgi  # type: ignore[import-untyped]
from gunicorn.http.parser import RequestParser  # type: ignore[import-untyped]

from api.clients import client_address
from config.middleware import ForwardedProtoMiddleware
from jobs.models import IdempotencyKey, Job
from tests.helpers import ApiClient, database_env, make_email_payload, wait_for

pytestmark = pytest.mark.django_db

BULK = "/api/emails/bulk"
KEYED = {"Idempotency-Key": "welcome-2025-01"}


def post_job(api: ApiClient, address: str, **headers: str) -> Any:
    return api.post_json(BULK, make_email_payload(), REMOTE_ADDR=address, headers=headers)


def trust(settings: Any, *proxies: str) -> None:
    """As DJANGO_TRUSTED_PROXIES=<proxies> configures the site."""
    settings.TRUSTED_PROXIES = [ipaddress.ip_network(proxy) for proxy in proxies]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def address_of(**meta: Any) -> str:
    return client_address(RequestFactory().get("/", **meta))


# -- IPv6 by /64, and a /48 in all -------------------------------------------------


def test_two_addresses_of_one_ipv6_64_are_one_client(api: ApiClient, settings) -> None:
    settings.DEMO_JOBS_PER_MINUTE = 2
    assert post_job(api, "2001:db8:1:2::1").status_code == 202
    assert post_job(api, "2001:db8:1:2:ffff:ffff:ffff:fffe").status_code == 202
    refused = post_job(api, "2001:db8:1:2:a:b:c:d")
    assert refused.status_code == 429, refused.content
    assert refused.json()["type"].endswith("#problem-rate-limited")
    # Another /64, even of the same /48, is another client.
    assert post_job(api, "2001:db8:1:3::1").status_code == 202
    assert sorted(Job.objects.values_list("client", flat=True)) == [
        "2001:db8:1:2::/64",
        "2001:db8:1:2::/64",
        "2001:db8:1:3::/64",
    ]


def test_the_pending_jobs_of_a_64_are_counted_together(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_PENDING_PER_CLIENT = 2
    assert post_job(api, "2001:db8:5:6::1").status_code == 202
    assert post_job(api, "2001:db8:5:6::2").status_code == 202
    refused = post_job(api, "2001:db8:5:6::3")
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("#problem-too-many-pending-jobs")
    assert post_job(api, "2001:db8:5:7::3").status_code == 202


def test_the_64s_of_one_48_share_a_cap_on_pending_jobs(api: ApiClient, settings) -> None:
    settings.DEMO_MAX_PENDING_PER_NETWORK = 2
    assert post_job(api, "2001:db8:9:1::1").status_code == 202
    assert post_job(api, "2001:db8:9:2::1").status_code == 202
    # A third /64 of the same /48, with nothing pending of its own, waits for its block.
    refused = post_job(api, "2001:db8:9:3::1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert refused.json()["type"].endswith("#problem-too-many-pending-jobs")
    assert "2001:db8:9::/48" in refused.json()["detail"]
    assert Job.objects.filter(network="2001:db8:9::/48").count() == 2
    # Another /48, and IPv4 clients, are not held back by it.
    assert post_job(api, "2001:db8:a:1::1").status_code == 202
    assert post_job(api, "192.0.2.9").status_code == 202
    assert Job.objects.get(client="192.0.2.9").network == ""


def test_the_64s_of_one_48_share_an_allowance_in_all(api: ApiClient, settings) -> None:
    settings.DEMO_JOBS_PER_MINUTE = 20
    settings.DEMO_JOBS_PER_MINUTE_PER_NETWORK = 3
    for subnet in range(3):
        assert post_job(api, f"2001:db8:7:{subnet}::1").status_code == 202
    refused = post_job(api, "2001:db8:7:99::1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "2001:db8:7::/48" in refused.json()["detail"]
    # Another /48 has an allowance of its own; IPv4 clients have no aggregate.
    assert post_job(api, "2001:db8:8:1::1").status_code == 202
    assert Job.objects.count() == 4


def test_a_client_over_its_own_limit_spends_nothing_of_its_networks(
    api: ApiClient, settings
) -> None:
    settings.DEMO_JOBS_PER_MINUTE = 1
    settings.DEMO_JOBS_PER_MINUTE_PER_NETWORK = 2
    assert post_job(api, "2001:db8:9:1::1").status_code == 202
    for _ in range(5):
        assert post_job(api, "2001:db8:9:1::1").status_code == 429
    # Its neighbour's first job still fits in the /48's allowance.
    assert post_job(api, "2001:db8:9:2::1").status_code == 202


def test_a_client_key_is_an_ipv4_address_or_an_ipv6_64() -> None:
    assert address_of(REMOTE_ADDR="203.0.113.9") == "203.0.113.9"
    assert address_of(REMOTE_ADDR="2001:DB8:0:1:2:3:4:5") == "2001:db8:0:1::/64"
    # A dual-stack server reports IPv4 peers as IPv4-mapped IPv6.
    assert address_of(REMOTE_ADDR="::ffff:203.0.113.9") == "203.0.113.9"
    # The console's in-process requests carry the key itself: it reads back unchanged.
    assert address_of(REMOTE_ADDR="2001:db8:0:1::/64") == "2001:db8:0:1::/64"
    assert address_of(REMOTE_ADDR="") == "unknown"


def test_the_console_counts_an_ipv6_reader_by_its_64(client: Any, settings) -> None:
    settings.DEMO_JOBS_PER_MINUTE = 1
    from playground import examples

    example = examples.find_example("bulk-email")
    form = {"example": example.id, "body": example.request_body, "content_type": "application/json"}
    first = client.post("/playground/send", form, REMOTE_ADDR="2001:db8:4:4::1", follow=True)
    assert "HTTP/1.1 202 Accepted" in first.content.decode()
    second = client.post("/playground/send", form, REMOTE_ADDR="2001:db8:4:4::2", follow=True)
    assert "HTTP/1.1 429 Too Many Requests" in second.content.decode()
    assert Job.objects.get().client == "2001:db8:4:4::/64"


# -- X-Forwarded-For and X-Forwarded-Proto, only from a trusted proxy ---------------


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings) -> None:
    spoofed = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}
    assert address_of(REMOTE_ADDR="192.0.2.1", **spoofed) == "192.0.2.1"
    trust(settings, "10.0.0.0/8")
    assert address_of(REMOTE_ADDR="192.0.2.1", **spoofed) == "192.0.2.1"
    assert address_of(REMOTE_ADDR="10.1.2.3", **spoofed) == "203.0.113.7"


def test_a_trusted_proxys_x_forwarded_for_is_walked_from_the_right(settings) -> None:
    trust(settings, "127.0.0.1", "::1", "10.0.0.0/8", "2001:db8:ffff::/48")
    # The client wrote 6.6.6.6; the edge proxy appended the client (203.0.113.7), an
    # inner proxy appended the edge proxy's address (10.9.9.9).
    chain = "6.6.6.6, 203.0.113.7, 10.9.9.9"
    assert address_of(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=chain) == "203.0.113.7"
    # IPv6 entries, and entries with a port, are keyed as any client.
    chain = "[2001:db8:ffff::1]:443, 2001:db8:1:2::7, 2001:db8:ffff::2"
    assert address_of(REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR=chain) == "2001:db8:1:2::/64"
    # Only trusted proxies in the header: the leftmost is the nearest thing to a client.
    assert address_of(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.5") == "10.0.0.5"
    # No header, or one a proxy wrote nothing usable in: the proxy is all we know.
    assert address_of(REMOTE_ADDR="127.0.0.1") == "127.0.0.1"
    assert address_of(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="unknown") == "10.0.0.1"


def test_a_client_cannot_pick_an_allowance_per_request_behind_a_proxy(
    api: ApiClient, settings
) -> None:
    trust(settings, "127.0.0.1")
    settings.DEMO_JOBS_PER_MINUTE = 2
    answers = [
        api.post_json(
            BULK,
            make_email_payload(),
            REMOTE_ADDR="127.0.0.1",
            # What the client wrote, then what the proxy appended: the client's address.
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7",
        ).status_code
        for n in range(4)
    ]
    assert answers == [202, 202, 429, 429]
    assert set(Job.objects.values_list("client", flat=True)) == {"203.0.113.7"}


def gunicorn_request(raw: bytes, *, peer: str) -> WSGIRequest:
    """The request as gunicorn, configured by deploy/gunicorn.conf.py, hands it to Django."""
    config = Config()
    for name, value in runpy.run_path(
        str(django_settings.BASE_DIR / "deploy" / "gunicorn.conf.py")
    ).items():
        if name in config.settings:
            config.set(name, value)
    message = next(iter(RequestParser(config, iter([raw]), (peer, 40000))))
    ours, theirs = socket.socketpair()
    try:
        _, environ = wsgi.create(message, ours, (peer, 40000), ("127.0.0.1", 8000), config)
    finally:
        ours.close()
        theirs.close()
    return WSGIRequest(environ)


def seen_by_the_site(request: HttpRequest) -> HttpRequest:
    """The request as the views see it, past the middleware that vets X-Forwarded-Proto."""
    seen: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse()

    ForwardedProtoMiddleware(view)(request)
    return seen[0]


RAW = (
    b"GET /api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
    b"X-Forwarded-For: 203.0.113.7\r\n\r\n"
)


def test_a_peer_on_this_machine_that_is_no_trusted_proxy_cannot_claim_https(settings) -> None:
    # gunicorn's own rule trusts any local peer; the site trusts only its proxies.
    trust(settings, "10.0.0.1")
    request = seen_by_the_site(gunicorn_request(RAW, peer="127.0.0.1"))
    assert not request.is_secure()
    assert request.build_absolute_uri("/").startswith("http://")
    assert client_address(request) == "127.0.0.1"


def test_a_trusted_proxy_says_https_and_speaks_for_the_client_in_every_line(settings) -> None:
    trust(settings, "127.0.0.1")
    request = seen_by_the_site(gunicorn_request(RAW, peer="127.0.0.1"))
    assert request.is_secure()
    # gunicorn joins the two lines; the last one's entry is the rightmost.
    assert client_address(request) == "203.0.113.7"


def test_x_forwarded_proto_from_an_untrusted_peer_is_not_https(
    api: ApiClient, client: Any, settings
) -> None:
    trust(settings, "10.0.0.1")
    settings.SECURE_SSL_REDIRECT = True
    claimed = {"HTTP_X_FORWARDED_PROTO": "https"}
    # Believed, it would skip the redirect to https and make the API's URLs https.
    direct = client.get("/api/", REMOTE_ADDR="192.0.2.1", **claimed)
    assert direct.status_code == 301 and direct["Location"].startswith("https://")
    proxied = api.post_json(BULK, make_email_payload(), REMOTE_ADDR="10.0.0.1", **claimed)
    assert proxied.status_code == 202
    assert proxied["Location"].startswith("https://")
    # Without any trusted proxy, nobody is believed.
    settings.TRUSTED_PROXIES = []
    assert client.get("/api/", REMOTE_ADDR="10.0.0.1", **claimed).status_code == 301


class Connection(http.client.HTTPConnection):
    """A connection from a loopback address of the test's choosing."""

    def __init__(self, port: int, *, source: str) -> None:
        super().__init__("127.0.0.1", port, timeout=30, source_address=(source, 0))


@pytest.fixture
def gunicorn_port(tmp_path: Path) -> Iterator[int]:
    """The site under gunicorn as deployed (deploy/gunicorn.conf.py), behind a proxy that
    is not on this machine: a peer on this machine is no proxy of the site's."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_URL"))},
        **database_env(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_TRUSTED_PROXIES": "10.0.0.1",
        "DEMO_LIMITS_PATH": str(tmp_path / "limits.sqlite3"),
        "DEMO_JOBS_PER_MINUTE": "2",
        "WEB_CONCURRENCY": "1",
    }
    config = django_settings.BASE_DIR / "deploy" / "gunicorn.conf.py"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", str(config), "-b", f"127.0.0.1:{port}", "config.wsgi"]
    with (tmp_path / "web.log").open("ab") as log:
        web = subprocess.Popen(
            command,
            env=env,
            cwd=django_settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers are stopped with it
        )
    try:
        wait_for(lambda: socket.create_connection(("127.0.0.1", port)), timeout=60, what="gunicorn")
        yield port
    finally:
        os.killpg(web.pid, signal.SIGKILL)
        web.wait(timeout=10)
        print((tmp_path / "web.log").read_text(errors="replace")[-3000:])


# gunicorn opens the test database from a process of its own: it must see commits.
@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_a_local_client_is_its_address_and_cannot_claim_https(
    gunicorn_port: int,
) -> None:
    answers = []
    for n in range(3):
        # gunicorn itself would believe any peer on loopback (FORWARDED_ALLOW_IPS).
        connection = Connection(gunicorn_port, source="127.0.0.1")
        headers = {
            "Content-Type": "application/json",
            # A fresh address every time, and https, as a proxy would say them.
            "X-Forwarded-For": f"198.51.100.{n}",
            "X-Forwarded-Proto": "https",
        }
        connection.request("POST", BULK, body=json.dumps(make_email_payload()), headers=headers)
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Location") or ""))
        connection.close()
    assert [status for status, _ in answers] == [202, 202, 429]
    assert all(location.startswith("http://") for _, location in answers[:2])
    assert set(Job.objects.values_list("client", flat=True)) == {"127.0.0.1"}


# -- Idempotency-Keys, each client's own -------------------------------------------


def test_another_client_replaying_a_key_and_body_gets_a_job_of_its_own(api: ApiClient) -> None:
    first = post_job(api, "203.0.113.1", **KEYED)
    stranger = post_job(api, "203.0.113.2", **KEYED)
    assert first.status_code == stranger.status_code == 202
    assert stranger.json()["jobId"] != first.json()["jobId"]
    owners = dict(Job.objects.values_list("public_id", "client"))
    assert owners[first.json()["jobId"]] == "203.0.113.1"
    assert owners[stranger.json()["jobId"]] == "203.0.113.2"
    # Each still replays its own.
    assert post_job(api, "203.0.113.1", **KEYED).json()["jobId"] == first.json()["jobId"]
    assert post_job(api, "203.0.113.2", **KEYED).json()["jobId"] == stranger.json()["jobId"]
    assert Job.objects.count() == IdempotencyKey.objects.count() == 2


def test_a_key_another_client_claimed_first_does_not_refuse_yours(api: ApiClient) -> None:
    # Someone who guessed the key uses it first, with another body.
    squatter = api.post_json(
        BULK, make_email_payload(subject="Mine now"), REMOTE_ADDR="198.51.100.66", headers=KEYED
    )
    assert squatter.status_code == 202
    own = post_job(api, "203.0.113.1", **KEYED)
    assert own.status_code == 202, own.content
    assert Job.objects.get(public_id=own.json()["jobId"]).input["subject"] == "Welcome"


def test_the_same_client_replays_from_any_address_of_its_64(api: ApiClient) -> None:
    first = post_job(api, "2001:db8:1:2::10", **KEYED)
    again = post_job(api, "2001:db8:1:2::20", **KEYED)
    assert again.status_code == 202 and again.json()["jobId"] == first.json()["jobId"]
    assert Job.objects.count() == 1


# -- One next allowed poll per client and job, whichever URL ------------------------


def test_polling_the_result_early_costs_as_polling_the_monitor_does(
    api: ApiClient, settings: Any, stopped_clock: None
) -> None:
    # Polls before the Retry-After: the limits' clock stands still.
    settings.DEMO_PACE = 2
    settings.DEMO_POLLS_PER_MINUTE = 20
    settings.DEMO_EARLY_POLL_COST = 10
    job_id = post_job(api, "127.0.0.2").json()["jobId"]
    not_yet = api.get(f"/api/jobs/{job_id}/result", REMOTE_ADDR="127.0.0.2")
    # Not ready, and it says when to come back.
    assert not_yet.status_code == 409 and int(not_yet["Retry-After"]) >= 1
    assert api.get(f"/api/jobs/{job_id}/result", REMOTE_ADDR="127.0.0.2").status_code == 409
    refused = api.get(f"/api/jobs/{job_id}/result", REMOTE_ADDR="127.0.0.2")
    assert refused.status_code == 429
    assert refused.json()["type"].endswith("#problem-rate-limited")


def test_a_jobs_urls_share_one_next_allowed_poll(
    api: ApiClient, settings: Any, stopped_clock: None
) -> None:
    settings.DEMO_PACE = 2
    settings.DEMO_POLLS_PER_MINUTE = 20
    settings.DEMO_EARLY_POLL_COST = 10
    job_id = post_job(api, "127.0.0.2").json()["jobId"]
    other_id = post_job(api, "127.0.0.2").json()["jobId"]
    assert api.get(f"/api/jobs/{job_id}", REMOTE_ADDR="127.0.0.2").status_code == 200
    # The result and the operation of the same job, asked at once, are early (10 each).
    assert api.get(f"/api/jobs/{job_id}/result", REMOTE_ADDR="127.0.0.2").status_code == 409
    # Another job is another thing to follow: on time (1).
    assert api.get(f"/api/operations/{other_id}", REMOTE_ADDR="127.0.0.2").status_code == 200
    refused = api.get(f"/api/operations/{job_id}", REMOTE_ADDR="127.0.0.2")
    assert refused.status_code == 429


# -- Keys stored before keys were per client ---------------------------------------


@pytest.fixture
def before_per_client_keys() -> Iterator[Any]:
    """The database as it was before this change; the apps of that state."""
    executor = MigrationExecutor(connection)
    before = [("playground", "0005_rate_limit_entry")]
    executor.migrate(before)
    try:
        yield executor.loader.project_state(before).apps
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_key_its_jobs_client(
    before_per_client_keys: Any, api: ApiClient
) -> None:
    OldJob = before_per_client_keys.get_model("playground", "Job")
    OldKey = before_per_client_keys.get_model("playground", "IdempotencyKey")
    job = OldJob.objects.create(
        public_id="job_before", kind="bulk-email", client="203.0.113.1",
        estimated_completion_at="2026-12-01T00:00:00Z",
    )  # fmt: skip
    OldKey.objects.create(kind="bulk-email", key="done", fingerprint="f", job=job)
    OldKey.objects.create(kind="bulk-email", key="in-flight", fingerprint="f")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    keys = dict(IdempotencyKey.objects.values_list("key", "client"))
    assert keys["done"] == "203.0.113.1"
    # A claim whose request never created its job: nobody's, so nobody's replay.
    assert keys["in-flight"] not in {"", "unknown", "203.0.113.1"}
    with pytest.raises(ValueError):
        ipaddress.ip_network(keys["in-flight"])
    # Anyone sending that key now gets a job of their own, at once (not 409).
    fresh = post_job(api, "203.0.113.1", **{"Idempotency-Key": "in-flight"})
    assert fresh.status_code == 202
    assert IdempotencyKey.objects.filter(key="in-flight").count() == 2
