"""Many readers pressing Send at the same moment, each from an address of its own.

Every job's duration is read from its own record (finished_at - created_at) in the
server's database once all have finished, as tests/api/test_limits.py does.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from benchmarks.server import Server

# The 202 page's bulk email example: two recipients, six steps.
EXAMPLE = {
    "subject": "Welcome aboard",
    "body": "Hi {name}, thanks for signing up.",
    "recipients": ["ada@example.test", {"email": "grace@example.test", "name": "Grace"}],
}


@dataclass(frozen=True)
class Batch:
    submitted: int
    accepted: int
    statuses: dict[int, int]
    durations: list[float]
    wall_seconds: float

    @property
    def slowest(self) -> float:
        return max(self.durations, default=0.0)


def _post(server: Server, address: str, barrier: threading.Barrier) -> tuple[int, str | None]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.connect()
    body = json.dumps(EXAMPLE)
    headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
    barrier.wait()
    connection.request("POST", "/api/emails/bulk", body=body, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, answer.get("jobId")


def _durations(server: Server, job_ids: list[str], *, timeout: float) -> list[float]:
    marks = ",".join("?" * len(job_ids))
    query = (
        f"SELECT status, created_at, finished_at FROM playground_job WHERE public_id IN ({marks})"
    )
    deadline = time.monotonic() + timeout
    while True:
        with closing(sqlite3.connect(server.database, timeout=30)) as db:
            rows = db.execute(query, job_ids).fetchall()
        if all(status in ("succeeded", "failed", "canceled") for status, _, _ in rows):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs still pending after {timeout} s")
        time.sleep(0.25)
    bad = [status for status, _, _ in rows if status != "succeeded"]
    if bad:
        raise RuntimeError(f"{len(bad)} jobs did not succeed: {sorted(set(bad))}")
    return [
        (datetime.fromisoformat(finished) - datetime.fromisoformat(created)).total_seconds()
        for _, created, finished in rows
    ]


def submit_at_once(server: Server, *, count: int, timeout: float = 600) -> Batch:
    """count POSTs released together, one per address; wait for every job to finish."""
    barrier = threading.Barrier(count)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = list(
            pool.map(
                lambda n: _post(server, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", barrier),
                range(count),
            )
        )
    statuses: dict[int, int] = {}
    for status, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    job_ids = [job_id for status, job_id in answers if status == 202 and job_id]
    durations = _durations(server, job_ids, timeout=timeout) if job_ids else []
    return Batch(
        submitted=count,
        accepted=len(job_ids),
        statuses=statuses,
        durations=durations,
        wall_seconds=time.monotonic() - started,
    )
