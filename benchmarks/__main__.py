"""`make bench`: the production setup (`make serve`: nginx in front of gunicorn) on
loopback, measured side by side.

Every figure is next to the one it is compared with, measured in the same run on
the same server, so what is read is a ratio, not a time that depends on the
machine. Nothing here is asserted by the tests; the run fails (exit 1) only when an
unexpected status or a "database is locked" occurred.

    make bench                      about two and a half minutes
    BENCH_SECONDS=20 make bench     longer measurements (seconds per wrk run, 3 by default)
    BENCH_OUT=path.md make bench    where the table is written (var/bench/bench.md)
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import check_cost, jobs_at_once, page_weight, parse_cost, wrk
from benchmarks.compare import (
    Measure,
    Row,
    pair,
    problems,
    table,
    under_a_second,
    within_twice,
)
from benchmarks.server import LIMITS_OUT_OF_THE_WAY, ROOT, Server, serve
from benchmarks.slow_clients import IDLE, TRICKLING, slow_clients
from tests import postgres_server

SECONDS = float(os.environ.get("BENCH_SECONDS") or 3)
PAGE_CONNECTIONS = 16
POST_CONNECTIONS = 32
JOBS_AT_ONCE = 200
DEFAULT_PACE = 1.0
OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "var" / "bench" / "bench.md")
# Production, as a deployment behind a TLS proxy runs it: the proxy redirects to https.
PRODUCTION = {
    "SITE_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "DJANGO_SSL_REDIRECT": "false",
    # Each bench reader has an address of its own: wrk, on 127.0.0.1, stands for a proxy
    # in front of the site, whose X-Forwarded-For the front believes.
    "DJANGO_TRUSTED_PROXIES": "127.0.0.1",
}
EMAIL_BODY = json.dumps(jobs_at_once.EXAMPLE)


def page_size(server: Server) -> int:
    response = server.get("/202/", {"Accept": "text/html"})
    return len(response.read())


def write_static(size: int) -> tuple[Path, str]:
    """A file of `size` bytes among the static files (STATIC_ROOT), and its URL path.

    The server indexes the static files when it starts, so this is written before the
    server that serves it starts (see main).
    """
    path = ROOT / "staticfiles" / "bench" / f"page-sized-{size}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"<!-- " + b"x" * max(0, size - 9) + b" -->")
    return path, f"/static/bench/{path.name}"


def locked_count(server: Server) -> int:
    return (
        server.kept_log.read_text(errors="replace").count("database is locked")
        if server.kept_log
        else 0
    )


def post_load(url: str) -> wrk.Load:
    return wrk.run(
        url + "/api/emails/bulk",
        connections=POST_CONNECTIONS,
        seconds=SECONDS,
        method="POST",
        body=EMAIL_BODY,
        headers={"Content-Type": "application/json"},
        # Readers, each sending a job or two: the per-client limits are not what is measured.
        many_readers=True,
    )


def http_rows(server: Server, static_path: str) -> list[Row]:
    url = server.origin
    html = {"Accept": "text/html"}

    def get(path: str, connections: int, headers: dict[str, str] | None = None) -> Measure:
        return lambda: wrk.run(
            url + path, connections=connections, seconds=SECONDS, headers=headers
        )

    def slowed(measure: Measure) -> Measure:
        def measured() -> wrk.Load:
            with slow_clients(server.port):
                return measure()

        return measured

    rows = [
        *pair(
            f"GET /202/ ({PAGE_CONNECTIONS} connections)",
            get("/202/", PAGE_CONNECTIONS, html),
            "same-size static file",
            get(static_path, PAGE_CONNECTIONS, html),
            0.8,
            200,
            tail=within_twice,
        ),
        *pair(
            f"GET /healthz ({PAGE_CONNECTIONS} connections) while {IDLE} idle and "
            f"{TRICKLING} trickling connections are open",
            slowed(get("/healthz", PAGE_CONNECTIONS)),
            "GET /healthz, no slow clients",
            get("/healthz", PAGE_CONNECTIONS),
            0.5,
            200,
            tail=under_a_second,
        ),
        *pair(
            f"POST /api/emails/bulk -> 202 ({POST_CONNECTIONS} connections), a worker running "
            "the jobs it accepts",
            lambda: post_load(url),
            "GET /healthz",
            get("/healthz", POST_CONNECTIONS),
            0.5,
            202,
        ),
    ]
    # The workers pause: what accepting costs alone, and a pending job that does not
    # change while it is polled.
    server.ctl("stop", "db_worker:*")
    created = server_post(server)
    monitor = server.get(created, {})
    monitor.read()
    etag = monitor.getheader("ETag") or ""
    rows += [
        *pair(
            f"POST /api/emails/bulk -> 202 ({POST_CONNECTIONS} connections), workers paused",
            lambda: post_load(url),
            "GET /healthz, workers paused",
            get("/healthz", POST_CONNECTIONS),
            0.5,
            202,
        ),
        *pair(
            f"conditional poll of a pending job -> 304 ({POST_CONNECTIONS} connections)",
            get(created, POST_CONNECTIONS, {"If-None-Match": etag}),
            "GET /healthz, workers paused",
            get("/healthz", POST_CONNECTIONS),
            0.8,
            304,
        ),
    ]
    server.ctl("start", "db_worker:*")
    return rows


def server_post(server: Server) -> str:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("POST", "/api/emails/bulk", EMAIL_BODY, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    if response.status != 202:
        raise RuntimeError(f"POST answered {response.status}")
    return (response.getheader("Location") or "").removeprefix(server.origin)


def weight_rows(server: Server) -> list[Row]:
    weight = page_weight.measure(server, "/202/")
    cached = next(iter(weight.assets_cached_for.values()), "")
    files = ", ".join(
        f"{name.rsplit('/', 1)[-1]} {size:,} B" for name, size in weight.first_visit_files.items()
    )
    return [
        Row(
            "first visit to /202/, compressed (page, CSS, JS)",
            f"{weight.first_visit:,} B",
            files,
            "",
            "< 60 KB",
            weight.first_visit < 60_000,
        ),
        Row(
            "repeat visit to /202/ (revalidated)",
            f"{weight.repeat_visit:,} B",
            f"{weight.repeat_status} to If-None-Match; static files cached: {cached}",
            "",
            "< 2 KB",
            weight.repeat_visit < 2_000 and weight.repeat_status == 304,
        ),
    ]


def jobs_rows() -> tuple[list[Row], list[Server]]:
    rows, servers = [], []
    # Default limits here: 200 readers, each from an address of its own, must all be let in.
    with serve(workers=1, pace=DEFAULT_PACE, settings=PRODUCTION) as server:
        lone = jobs_at_once.submit_at_once(server, count=1)
        one = jobs_at_once.submit_at_once(server, count=JOBS_AT_ONCE)
    servers.append(server)
    with serve(workers=2, pace=DEFAULT_PACE, settings=PRODUCTION) as server:
        two = jobs_at_once.submit_at_once(server, count=JOBS_AT_ONCE)
    servers.append(server)
    for label, batch in [("one worker", one), ("two workers", two)]:
        if batch.accepted != batch.submitted:
            problems.append(
                f"{label}: {batch.accepted} of {batch.submitted} accepted ({batch.statuses})"
            )
        multiple = batch.slowest / lone.slowest
        rows.append(
            Row(
                f"{JOBS_AT_ONCE} jobs sent at once (pace {DEFAULT_PACE} s), {label}",
                f"slowest {batch.slowest:.2f} s; {batch.accepted}/{batch.submitted} accepted",
                f"a lone job: {lone.slowest:.2f} s",
                f"{multiple:.2f}x",
                "<= 1.5x (one worker)" if label == "one worker" else "",
                multiple <= 1.5 if label == "one worker" else None,
            )
        )
    for workers in (1, 2):
        with serve(
            workers=workers, pace=0, settings={**PRODUCTION, **LIMITS_OUT_OF_THE_WAY}
        ) as server:
            batch = jobs_at_once.submit_at_once(server, count=JOBS_AT_ONCE)
        servers.append(server)
        rows.append(
            Row(
                f"{JOBS_AT_ONCE} jobs at pace 0, {workers} worker(s)",
                f"{JOBS_AT_ONCE / batch.wall_seconds:.0f} jobs/s",
                f"{batch.wall_seconds:.2f} s from the first POST to the last job done",
                "",
                "",
                None,
            )
        )
    return rows, servers


def postgres_rows(http_settings: dict[str, str]) -> list[Row]:
    """POST again with DATABASE_URL: a throw-away PostgreSQL on loopback, this machine."""
    if not (postgres_server.BIN / "postgres").exists():
        print(f"No PostgreSQL server binaries in {postgres_server.BIN}: its row is left out.")
        return []
    directory = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
    port = postgres_server.free_port()
    try:
        postgres_server.start(directory, port)
        url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        with serve(
            workers=1, pace=DEFAULT_PACE, settings={**http_settings, "DATABASE_URL": url}
        ) as server:
            rows = pair(
                f"POST /api/emails/bulk -> 202 ({POST_CONNECTIONS} connections), a worker "
                "running the jobs it accepts, on PostgreSQL 15 (same machine)",
                lambda: post_load(server.origin),
                "GET /healthz on PostgreSQL",
                lambda: wrk.run(
                    server.origin + "/healthz", connections=POST_CONNECTIONS, seconds=SECONDS
                ),
                0.5,
                202,
            )
        return rows
    finally:
        postgres_server.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def main() -> int:
    print(f"Rate limits set out of the way for the HTTP rows: {LIMITS_OUT_OF_THE_WAY}")
    print("and DEMO_WORKER_STALE_AFTER=600 there, so /healthz stays 200 while workers pause.")
    print("The 200-readers rows keep the default limits (one job per address).")
    rows: list[Row] = []
    servers: list[Server] = []
    with serve(
        workers=1, pace=DEFAULT_PACE, settings={**PRODUCTION, **LIMITS_OUT_OF_THE_WAY}
    ) as server:
        size = page_size(server)
    servers.append(server)
    static_file, static_path = write_static(size)
    # /healthz stays the floor (a 200) while the workers pause for a minute or two.
    http_settings = {**PRODUCTION, **LIMITS_OUT_OF_THE_WAY, "DEMO_WORKER_STALE_AFTER": "600"}
    try:
        with serve(workers=1, pace=DEFAULT_PACE, settings=http_settings) as server:
            rows += http_rows(server, static_path)
            rows += weight_rows(server)
        servers.append(server)
    finally:
        static_file.unlink(missing_ok=True)
    more, job_servers = jobs_rows()
    rows += more
    servers += job_servers
    rows += postgres_rows(http_settings)
    rows += [Row(*row) for row in parse_cost.rows()]
    rows += [Row(*row) for row in check_cost.rows()]
    locked = sum(locked_count(s) for s in servers)
    if locked:
        problems.append(f'"database is locked" {locked} times in the servers\' logs')
    header = (
        f"`make bench`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite; wrk {SECONDS:g} s per run, "
        f"{PAGE_CONNECTIONS} connections for pages, {POST_CONNECTIONS} for the API; "
        f"nginx in front of gunicorn, gunicorn workers: "
        f"{os.environ.get('WEB_CONCURRENCY') or 'WEB_CONCURRENCY default'}."
    )
    errors = (
        "Errors: none." if not problems else "Errors:\n" + "\n".join(f"- {p}" for p in problems)
    )
    report = f"{header}\n\n{table(rows)}\n\n{errors}\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print(report)
    print(f"Written to {OUT}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
