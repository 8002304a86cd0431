"""`make serve`'s front (nginx) against slow, idle and lying clients, for real.

deploy/serve runs on loopback with its nginx, gunicorn and db_workers. Hostile
connections are opened against it while /healthz is probed: each probe may take up to
PROBE_TIMEOUT seconds, a bound a healthy site never nears, so what is asserted is
that the site answers, not how fast.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from benchmarks.slow_clients import IDLE, TRICKLING, closed_by_server, readable, slow_clients
from tests.config.test_serve_production import ROOT, Production, production
from tests.helpers import make_email_payload, wait_for

# Slow: real servers or workers in processes of their own (make test-fast leaves it out).
pytestmark = pytest.mark.slow

PROBES = 12
PROBE_TIMEOUT = 10.0
# nginx cuts a stalled body after a few seconds; this is how long the test waits for it.
CUT_OFF_WITHIN = 30.0
HOLD_WITHIN = 120.0
OTHER_ADDRESS = "127.0.0.2"
# Two addresses of one IPv6 /64 whose texts differ within its four groups ("::" stands
# for different groups), and an address of the next /64.
ONE_64 = "2001:db8::a"
SAME_64 = "2001:db8::1:0:0:b"
NEXT_64 = "2001:db8:0:1::a"


@dataclass(frozen=True)
class Client:
    """Where a connection comes from and, through a trusted proxy, the client it forwards."""

    source: str
    forwarded_for: str = ""


def front_address(source: str) -> str:
    """The front's loopback address in the family of `source`."""
    return "::1" if ":" in source else "127.0.0.1"


def stalled_body(port: int, client: Client = Client("127.0.0.1")) -> socket.socket:
    """A POST that announces 2,000 bytes of body, sends 20, then nothing more."""
    sock = socket.create_connection(
        (front_address(client.source), port), timeout=10, source_address=(client.source, 0)
    )
    forwarded = f"X-Forwarded-For: {client.forwarded_for}\r\n" if client.forwarded_for else ""
    sock.sendall(
        b"POST /api/emails/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + forwarded.encode()
        + b"Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n"
        + b'{"subject": "stalled'
    )
    return sock


def probe(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def jobs_stored(served: Production) -> int:
    with sqlite3.connect(served.database, timeout=10) as db:
        return int(db.execute("SELECT count(*) FROM playground_job").fetchone()[0])


def test_slow_and_idle_clients_do_not_stop_the_site_and_a_stalled_body_is_cut_off(
    tmp_path: Path,
) -> None:
    with production(tmp_path) as served, slow_clients(served.port) as under_attack:
        stalled = stalled_body(served.port)
        stalled.setblocking(False)
        statuses: list[int] = []
        stalled_closed = False
        deadline = time.monotonic() + CUT_OFF_WITHIN
        try:
            # Probe until the server has cut off the stalled body and every trickling
            # and idle connection at least once (each opened again at once).
            while not (
                stalled_closed
                and under_attack.reopened["trickling"] >= TRICKLING
                and under_attack.reopened["idle"] >= IDLE
                and len(statuses) >= PROBES
            ):
                assert time.monotonic() < deadline, (
                    f"after {CUT_OFF_WITHIN} s: stalled body closed {stalled_closed}, "
                    f"reopened {under_attack.reopened}, probes {statuses}"
                )
                statuses.append(probe(served.port))
                readable(stalled, timeout=0.25)
                stalled_closed = stalled_closed or closed_by_server(stalled)
        finally:
            stalled.close()
        assert set(statuses) == {200}
        under_attack.close()
        assert probe(served.port) == 200
        assert jobs_stored(served) == 0  # the stalled body made no job


def requests_per_client(served: Production) -> int:
    config = (Path(served.env["SERVE_RUN_DIR"]) / "nginx.conf").read_text()
    share = re.search(r"limit_conn per_client (\d+);", config)
    assert share is not None
    return int(share.group(1))


def healthz_from(client: Client, port: int) -> tuple[int, dict[str, str]]:
    forwarded = [("X-Forwarded-For", client.forwarded_for)] if client.forwarded_for else []
    return request_from(client.source, port, "/healthz", forwarded)


def holding_its_share(
    served: Production, holder: Client, *, held_back: list[Client], others: list[Client]
) -> None:
    """`holder` holds its share of requests in progress (bodies trickling) until each of
    `held_back` has had nginx's 429; each of `others` is answered 200 all along. Then the
    held requests end, and `holder` is served again."""
    share = requests_per_client(served)
    held: list[socket.socket] = []
    refused: set[Client] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def trickle() -> None:
        # Every held body gets a byte each half second, however long the probes below
        # take on a busy machine: none is cut off for stalling (5 s between reads).
        while not stop.wait(0.5):
            with lock:
                for sock in held:
                    try:
                        sock.sendall(b" ")
                    except OSError:
                        continue

    trickling = threading.Thread(target=trickle, daemon=True)
    trickling.start()
    # A bound for a front that never refuses, not a measure of how fast it does.
    deadline = time.monotonic() + HOLD_WITHIN
    try:
        while refused != set(held_back):
            assert time.monotonic() < deadline, f"refused so far: {refused}"
            with lock:
                # One that was cut off anyway is opened again.
                for index, sock in enumerate(held):
                    if closed_by_server(sock):
                        sock.close()
                        held[index] = stalled_body(served.port, holder)
                while len(held) < share:
                    held.append(stalled_body(served.port, holder))
            for client in held_back:
                status, headers = healthz_from(client, served.port)
                if status == 429:
                    refused.add(client)
                    assert headers["Content-Type"] == "application/problem+json"
                    assert headers["Retry-After"] == "1"
            for client in others:
                assert healthz_from(client, served.port)[0] == 200, client
    finally:
        stop.set()
        trickling.join(timeout=10)
        for sock in held:
            sock.close()
    wait_for(
        lambda: healthz_from(holder, served.port)[0] == 200, timeout=CUT_OFF_WITHIN, what="a 200"
    )


def test_one_address_holds_at_most_its_share_of_requests_in_progress(tmp_path: Path) -> None:
    with production(tmp_path) as served:
        # Another address is not held back by this one's requests.
        holding_its_share(
            served,
            Client("127.0.0.1"),
            held_back=[Client("127.0.0.1")],
            others=[Client(OTHER_ADDRESS)],
        )


CLONE_NEWNET = 0x40000000


def join_network_namespace(namespace: IO[str]) -> None:
    """This thread (and what it starts from now on) joins the network namespace open as
    `namespace`: setns(2), which Python's os module has only from 3.12."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(namespace.fileno(), CLONE_NEWNET) != 0:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))


@contextmanager
def network_namespace(*, addresses: list[str]) -> Iterator[None]:
    """A network namespace of its own, its loopback up with `addresses` (each in a /64)
    besides 127.0.0.0/8 and ::1, so connections can come from several IPv6 addresses.
    This thread runs in it for the block, and so does every process it starts there."""
    if os.geteuid() != 0:
        pytest.skip("only root makes a network namespace with addresses of its own")
    name = f"front-test-{uuid.uuid4().hex[:12]}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=30)
    try:
        inside = ["ip", "netns", "exec", name, "ip"]
        subprocess.run([*inside, "link", "set", "lo", "up"], check=True, timeout=30)
        for address in addresses:
            # No duplicate address detection: the address is usable at once.
            subprocess.run(
                [*inside, "-6", "addr", "add", f"{address}/64", "dev", "lo", "nodad"],
                check=True,
                timeout=30,
            )
        with open("/proc/thread-self/ns/net") as own, open(f"/run/netns/{name}") as made:
            join_network_namespace(made)
            try:
                yield
            finally:
                join_network_namespace(own)
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True, timeout=30)


def test_an_ipv6_client_is_its_64_and_an_ipv4_mapped_one_its_ipv4_address(
    tmp_path: Path,
) -> None:
    with (
        network_namespace(addresses=[ONE_64, SAME_64, NEXT_64]),
        production(tmp_path, HOST="::") as served,
    ):
        # Every address of a /64 is one client: another address of it waits too, while
        # the next /64, IPv4 clients and ::1 are served as usual.
        holding_its_share(
            served,
            Client(ONE_64),
            held_back=[Client(ONE_64), Client(SAME_64)],
            others=[Client(NEXT_64), Client("127.0.0.1"), Client("::1")],
        )
        # Listening on "::" takes IPv4 too, as IPv4-mapped IPv6 addresses; each is its
        # IPv4 address, not the /64 of ::ffff:0:0/96 (where ::1 is too).
        holding_its_share(
            served,
            Client("127.0.0.1"),
            held_back=[Client("127.0.0.1")],
            others=[Client(OTHER_ADDRESS), Client("::1"), Client(ONE_64)],
        )


def test_behind_a_trusted_proxy_the_client_it_forwards_is_counted_as_the_site_counts_it(
    tmp_path: Path,
) -> None:
    with production(tmp_path, DJANGO_TRUSTED_PROXIES="127.0.0.1") as served:
        proxy = "127.0.0.1"
        holding_its_share(
            served,
            Client(proxy, ONE_64),
            held_back=[Client(proxy, ONE_64), Client(proxy, SAME_64)],
            others=[Client(proxy, NEXT_64), Client(proxy, "203.0.113.9"), Client(OTHER_ADDRESS)],
        )
        # An IPv4-mapped address forwarded is the IPv4 address it maps.
        holding_its_share(
            served,
            Client(proxy, "::ffff:203.0.113.9"),
            held_back=[Client(proxy, "::ffff:203.0.113.9"), Client(proxy, "203.0.113.9")],
            others=[Client(proxy, "203.0.113.10"), Client(proxy, "::1"), Client(proxy, ONE_64)],
        )


def sent_to_gunicorn(served: Production, path: str) -> tuple[str, str]:
    """The peer and X-Forwarded-For gunicorn logged for the request to `path` (its access
    log's first two fields)."""

    def logged() -> tuple[str, str] | None:
        for line in served.log.read_text(errors="replace").splitlines():
            found = re.match(r"(\S+) (\S+) \S+ \[[^]]*\] \"[A-Z]+ (\S+) ", line)
            if found and found.group(3) == path:
                return found.group(1), found.group(2)
        return None

    return wait_for(logged, timeout=10, what=f"gunicorn to log {path}")


def request_from(
    source: str, port: int, path: str, headers: list[tuple[str, str]], body: bytes = b""
) -> tuple[int, dict[str, str]]:
    """A request from a given loopback address, with header lines as given (repeats too)."""
    connection = http.client.HTTPConnection(
        front_address(source), port, timeout=10, source_address=(source, 0)
    )
    try:
        connection.putrequest("POST" if body else "GET", path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def test_forwarded_headers_are_believed_only_from_trusted_proxies(tmp_path: Path) -> None:
    payload = json.dumps(make_email_payload()).encode()
    with production(tmp_path, DJANGO_TRUSTED_PROXIES="127.0.0.1") as served:
        # A trusted proxy's X-Forwarded-For is walked from the right: the first address
        # that is not a trusted proxy is the client, and gunicorn hears only that one.
        request_from(
            "127.0.0.1",
            served.port,
            "/healthz?from=proxy",
            [("X-Forwarded-For", "203.0.113.9, 198.51.100.7"), ("X-Forwarded-For", "127.0.0.1")],
        )
        assert sent_to_gunicorn(served, "/healthz?from=proxy") == ("127.0.0.1", "198.51.100.7")
        # A client that is not a trusted proxy is itself, whatever it claims.
        request_from(
            OTHER_ADDRESS,
            served.port,
            "/healthz?from=client",
            [("X-Forwarded-For", "198.51.100.7"), ("X-Real-IP", "198.51.100.7")],
        )
        assert sent_to_gunicorn(served, "/healthz?from=client") == (
            "127.0.0.1",
            OTHER_ADDRESS,
        )
        # X-Forwarded-Proto (and its look-alikes) count only from a trusted proxy: the
        # job's Location says which scheme the site believed.
        json_type = ("Content-Type", "application/json")
        https_claims = [("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "on")]
        status, headers = request_from(
            OTHER_ADDRESS, served.port, "/api/emails/bulk", [json_type, *https_claims], payload
        )
        assert status == 202
        assert headers["Location"].startswith(f"http://127.0.0.1:{served.port}/")
        status, headers = request_from(
            "127.0.0.1", served.port, "/api/emails/bulk", [json_type, https_claims[0]], payload
        )
        assert status == 202
        assert headers["Location"].startswith(f"https://127.0.0.1:{served.port}/")


def fetched(port: int, path: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = connection.getresponse()
        return {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_the_front_passes_answers_unchanged_and_refuses_bodies_larger_than_the_site_reads(
    tmp_path: Path,
) -> None:
    octets = ("Content-Type", "application/octet-stream")
    with production(tmp_path, DEMO_MAX_UPLOAD_BYTES="1000") as served:
        # A page as gunicorn answers it and as nginx passes it on: the same headers
        # (the hop's own Connection and Date aside) and the same compressed bytes.
        for path, asked in [("/202/", {"Accept-Encoding": "br"}), ("/api/", {})]:
            direct, direct_body = fetched(int(served.env["WEB_PORT"]), path, asked)
            fronted, fronted_body = fetched(served.port, path, asked)
            hop = {"connection", "keep-alive", "date", "transfer-encoding"}
            assert {k: v for k, v in fronted.items() if k not in hop} == {
                k: v for k, v in direct.items() if k not in hop
            }
            assert fronted_body == direct_body
            assert fronted["server"] == direct["server"]
        # Over what the site accepts, under what it reads: the site's own answer, once
        # nginx has read the body whole (into a temporary file: it is over 64 KiB).
        status, headers = request_from(
            "127.0.0.1", served.port, "/api/files/process", [octets], b"x" * 200_000
        )
        assert status == 413 and headers["Content-Type"] == "application/problem+json"
        # Far over anything the site reads: nginx answers at once, in the same format,
        # from the Content-Length alone.
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(
                f"POST /api/files/process HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n".encode()
                + b"Content-Type: application/octet-stream\r\nContent-Length: 100000000\r\n\r\n"
            )
            response = http.client.HTTPResponse(sock)
            response.begin()
            problem = json.loads(response.read())
        assert response.status == 413
        assert response.getheader("Content-Type") == "application/problem+json"
        assert response.getheader("Server") == "nginx"  # no version
        assert problem["type"] == f"http://127.0.0.1:{served.port}/api/#problem-body-too-large"
        assert jobs_stored(served) == 0


def front_config(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SERVE_RUN_DIR": str(tmp_path),
        "SERVE_USER": "www-data",
        "HOST": "127.0.0.1",
        "PORT": "8000",
        "WEB_PORT": "8001",
        **environment,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "front.py"), str(tmp_path / "nginx.conf")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.example", "127.0.0.1;", "::1/200"])
def test_an_invalid_trusted_proxies_value_stops_the_start_naming_the_variable(
    tmp_path: Path, value: str
) -> None:
    done = front_config(tmp_path, DJANGO_TRUSTED_PROXIES=value)
    assert done.returncode != 0
    assert f"DJANGO_TRUSTED_PROXIES={value!r} is invalid; accepted values:" in done.stderr
    assert not (tmp_path / "nginx.conf").exists()


def test_trusted_proxies_are_the_only_addresses_nginx_believes(tmp_path: Path) -> None:
    done = front_config(tmp_path, DJANGO_TRUSTED_PROXIES=" 10.1.2.3, 192.168.0.0/16 ,2001:db8::/48")
    assert done.returncode == 0, done.stderr
    config = (tmp_path / "nginx.conf").read_text()
    believed = re.findall(r"set_real_ip_from (\S+);", config)
    assert believed == ["10.1.2.3/32", "192.168.0.0/16", "2001:db8::/48"]
    assert "real_ip_recursive on;" in config
    without = front_config(tmp_path, DJANGO_TRUSTED_PROXIES="")
    assert without.returncode == 0, without.stderr
    assert "set_real_ip_from" not in (tmp_path / "nginx.conf").read_text()
