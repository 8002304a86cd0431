"""Run one client under one convention in one scenario against the live site; judge its conclusion.

Every client is a program with one contract (the example clients' own): started
with the submit URL and the JSON body, it prints the result and exits 0, exits 1
with the reason on stderr, or exits 3 when its own deadline passed. Whatever it
printed, what it concluded is judged against the job as the database holds it
the moment the client stopped: a client that exits 0 while the job is still
running reported success too early, whatever it believed.

A client never stopped when it is still asking about the job after the job has
ended: the site's access log shows FURTHER_REQUESTS requests to the job's URLs
after the harness saw the end. That is a state, not a time: however slow the
machine, a client that concludes does so within a few requests of the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from django.db import connections

from api.compatibility import (
    CLIENTS,
    CLIENTS_BY_ID,
    CONVENTION_IDS,
    SCENARIOS,
    SCENARIOS_BY_ID,
)
from api.conventions import BY_ID as CONVENTIONS
from api.presets import OUTCOME_PARAMETER, PRESETS
from checker.replay import COMMANDS, FURTHER_REQUESTS, NODE_MODULES, Command, conclude
from jobs.models import Job

ROOT = Path(__file__).resolve().parents[2]
# Seconds per job step in these tests. A job of two recipients is six steps, so
# it runs longer than the longest Retry-After the API sends (5 s) plus its jitter:
# every client meets it pending at least once, whatever the estimate said.
PACE = 1.5
RECIPIENTS = ["ada", "grace"]
# The lease of a lost-by-worker job runs out this long after its first step: the job
# then succeeds about LEASE_TIMEOUT + 2 paces after acceptance, before CLIENT_DEADLINE.
LEASE_TIMEOUT = 8.0
# The example clients' own deadline, the only time a client is judged by: far beyond
# the longest job here, so that a busy machine never makes it the conclusion.
CLIENT_DEADLINE = 60
# A client still asking about the job FURTHER_REQUESTS times after its end never stops
# (checker.replay's count, the same for a replayed flow).
# A client still running this long after it started (or after the job's end) without
# asking about the job is stuck, which is never stopping too: no job here takes a
# tenth of it, and no client waits more than CLIENT_DEADLINE.
STUCK_AFTER = 300
# How often the harness looks at the job and the access log while a client runs.
LOOK_EVERY = 0.25
# Seconds after acceptance the canceled scenario cancels the job.
CANCEL_AFTER = 2.5
PENDING = {Job.Status.QUEUED, Job.Status.RUNNING}


def start_client(
    client: str,
    *,
    url: str,
    body: str,
    deadline: float = CLIENT_DEADLINE,
    command: Command | None = None,
) -> subprocess.Popen[str]:
    """The client as a process of its own, its output captured; `command` starts another."""
    env = {**os.environ, "DEADLINE": f"{deadline:g}", "NODE_PATH": str(NODE_MODULES)}
    return subprocess.Popen(
        (command or COMMANDS[client])(url, body, deadline),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


@dataclass(frozen=True)
class Run:
    client: str
    convention: str
    scenario: str
    verdict: str
    exit_code: int | None
    stdout: str
    stderr: str
    job_status: str | None
    seconds: float
    # The job's attempts when the client stopped (a lost-by-worker job's retry makes two).
    job_attempts: int = 0
    # Requests to the job's URLs the site answered after the harness saw the job end.
    requests_after_end: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.client, self.convention, self.scenario)

    def describe(self) -> str:
        said = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return (
            f"{self.client} / {self.convention} / {self.scenario}: {self.verdict} "
            f"(exit {self.exit_code}, job {self.job_status} after {self.job_attempts} "
            f"attempts, {self.requests_after_end} requests after its end, {self.seconds:.1f} s"
            f"{': ' + said[-1][:160] if said else ''})"
        )


def payload(*, scenario: str, subject: str) -> dict[str, Any]:
    domain = "bounce.example.test" if scenario == "fails" else "example.test"
    return {
        "subject": subject,
        "body": "Hello {name}, this is {email}.",
        "recipients": [f"{name}@{domain}" for name in RECIPIENTS],
    }


def submit_url(*, origin: str, convention: str, scenario: str) -> str:
    url = origin + CONVENTIONS[convention].submit["bulk-email"]
    preset = SCENARIOS_BY_ID[scenario].preset
    queried = {p.id: p.provoke.value for p in PRESETS if p.provoke.where == "query"}
    if preset in queried:
        url += f"?{OUTCOME_PARAMETER}={queried[preset]}"
    return url


def find_job(subject: str) -> Job | None:
    return Job.objects.filter(input__subject=subject).first()


def requests_about(job: Job, *, access_log: Path, since: int) -> int:
    """The requests about the job the site answered since that point of its log.

    gunicorn's access lines only ("METHOD path ..."; the site's warnings about a 4xx
    or 5xx name the path too), and none the harness sent itself (DELETE).
    """
    with access_log.open("rb") as log:
        log.seek(since)
        said = log.read().decode(errors="replace")
    # Every URL of a job holds its id, a random token no other URL holds.
    about = re.compile(r'"(GET|HEAD|POST|PUT|PATCH|OPTIONS) [^" ]*' + re.escape(job.public_id))
    return len(about.findall(said))


class Canceling:
    """Cancel the job through the RFC 9110 monitor (a job is one job, whichever convention
    watches it) a moment after it was accepted, beside the client, in a thread.

    The moment: after a client that asks at once has had its answer, and well before
    any client that waits for the first Retry-After (5 s here) polls. A client that
    stopped by then leaves the job as it was; one that stops while the cancellation
    is answered concluded from the job pending (see seen_by_the_client).
    """

    def __init__(
        self, *, origin: str, subject: str, access_log: Path, client: subprocess.Popen[str]
    ) -> None:
        self.origin, self.subject, self.access_log = origin, subject, access_log
        self.client = client
        self.log_at_cancel: int | None = None
        self.said = "not canceled: the client had stopped"
        self.thread = threading.Thread(target=self.cancel, daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        try:
            give_up = time.monotonic() + STUCK_AFTER
            while self.client.poll() is None and time.monotonic() < give_up:
                job = find_job(self.subject)
                if job is not None:
                    time.sleep(CANCEL_AFTER)
                    if self.client.poll() is not None:
                        return
                    url = f"{self.origin}/api/jobs/{job.public_id}"
                    answer = requests.delete(url, timeout=30)
                    self.log_at_cancel = self.access_log.stat().st_size
                    self.said = f"DELETE answered {answer.status_code}"
                    return
                time.sleep(0.05)
        finally:
            connections.close_all()

    def seen_by_the_client(self, job: Job) -> bool:
        """Whether the client asked about the job after the cancellation was answered:
        without that, what it concluded it concluded from the job pending."""
        self.thread.join(timeout=STUCK_AFTER + 30)
        return self.log_at_cancel is not None and bool(
            requests_about(job, access_log=self.access_log, since=self.log_at_cancel)
        )


def holds_result(value: Any, result: dict[str, Any]) -> bool:
    """Whether the value is, or embeds, the job's delivery report."""
    if isinstance(value, dict):
        if value.get("counts") == result.get("counts") and value.get("recipients") == result.get(
            "recipients"
        ):
            return True
        return any(holds_result(item, result) for item in value.values())
    if isinstance(value, list):
        return any(holds_result(item, result) for item in value)
    return False


def judge(*, scenario: str, exit_code: int | None, stdout: str, job: Job | None) -> str:
    """What the client concluded, given how it stopped and the job as it was at that moment."""
    state = None if job is None else "pending" if job.status in PENDING else str(job.status)
    return conclude(
        exit_code=exit_code,
        stdout=stdout,
        state=state,
        ends_badly=SCENARIOS_BY_ID[scenario].expected == "raised",
        holds_result=lambda value: holds_result(value, (job.result if job else None) or {}),
    )


class Watch:
    """The job a client runs, and the client's requests about it once it has ended.

    Requests are counted in the site's access log (one line per request answered,
    with the path, which holds the job's id) from where the log stood when the job
    was first seen ended: requests answered earlier do not count.
    """

    def __init__(self, *, subject: str, access_log: Path) -> None:
        self.subject, self.access_log = subject, access_log
        self.started = time.monotonic()
        self.job: Job | None = None
        self.ended: float | None = None
        self.log_at_end = 0
        self.requests_after_end = 0

    def look(self) -> None:
        if self.job is None or self.job.status in PENDING:
            self.job = find_job(self.subject)
        if self.ended is None and self.job is not None and self.job.status not in PENDING:
            self.ended = time.monotonic()
            self.log_at_end = self.access_log.stat().st_size
        if self.ended is not None and self.job is not None:
            self.requests_after_end = requests_about(
                self.job, access_log=self.access_log, since=self.log_at_end
            )

    def never_stops(self) -> bool:
        self.look()
        now = time.monotonic()
        if self.ended is None:
            return now - self.started > STUCK_AFTER
        return self.requests_after_end >= FURTHER_REQUESTS or now - self.ended > STUCK_AFTER


def run(
    *,
    client: str,
    convention: str,
    scenario: str,
    origin: str,
    access_log: Path,
    command: Command | None = None,
) -> Run:
    """Start the client, let it conclude (or stop it once it never stops), judge it.

    A run the harness itself could not carry out is a run with that as its verdict:
    its row fails, and the others are still measured.
    """
    try:
        return _run(
            client=client,
            convention=convention,
            scenario=scenario,
            origin=origin,
            access_log=access_log,
            command=command,
        )
    except Exception as error:
        return Run(client, convention, scenario, f"not measured ({error!r})", None, "", "", None, 0)


def _run(
    *,
    client: str,
    convention: str,
    scenario: str,
    origin: str,
    access_log: Path,
    command: Command | None,
) -> Run:
    subject = f"compatibility {client} {convention} {scenario} {uuid.uuid4().hex[:8]}"
    body = json.dumps(payload(scenario=scenario, subject=subject))
    url = submit_url(origin=origin, convention=convention, scenario=scenario)
    watch = Watch(subject=subject, access_log=access_log)
    try:
        with start_client(client, url=url, body=body, command=command) as process:
            canceling = (
                Canceling(origin=origin, subject=subject, access_log=access_log, client=process)
                if scenario == "canceled"
                else None
            )
            while True:
                try:
                    stdout, stderr = process.communicate(timeout=LOOK_EVERY)
                    exit_code: int | None = process.returncode
                    break
                except subprocess.TimeoutExpired:
                    if watch.never_stops():
                        process.kill()
                        stdout, stderr = process.communicate()
                        exit_code = None
                        break
        # The job as it was when the client stopped, before anything else can change it.
        job = find_job(subject)
        canceled = ""
        if canceling and job is not None:
            seen = canceling.seen_by_the_client(job)
            canceled = canceling.said + ("" if seen else ", after the client's last request")
            if job.status == Job.Status.CANCELED and not seen:
                # The client concluded from the job pending: the cancellation came later.
                job.status = Job.Status.RUNNING
        return Run(
            client=client,
            convention=convention,
            scenario=scenario,
            verdict=judge(scenario=scenario, exit_code=exit_code, stdout=stdout, job=job),
            exit_code=exit_code,
            stdout=stdout,
            stderr=f"{canceled}\n{stderr}".strip(),
            job_status=None if job is None else job.status,
            seconds=time.monotonic() - watch.started,
            job_attempts=0 if job is None else job.attempts,
            requests_after_end=watch.requests_after_end,
        )
    finally:
        connections.close_all()


CONVENTIONS_LINE = re.compile(r"^\W*Conventions: (.+)$", re.MULTILINE)


def claimed_conventions(client_id: str) -> tuple[str, ...]:
    """The conventions an example client's file says it supports; the others meet them all."""
    client = CLIENTS_BY_ID[client_id]
    if client.source is None or not client.id.startswith("example-"):
        return CONVENTION_IDS
    match = CONVENTIONS_LINE.search((ROOT / client.source).read_text())
    assert match, f"{client.source} does not say which conventions it supports"
    return tuple(match.group(1).split())


def measured_keys() -> list[tuple[str, str, str]]:
    """Every run the table needs: each client under each convention it meets, each scenario."""
    return [
        (client.id, convention, scenario.id)
        for client in CLIENTS
        for convention in claimed_conventions(client.id)
        for scenario in SCENARIOS
    ]
