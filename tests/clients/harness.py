"""Run one client under one convention in one scenario against the live site; judge its conclusion.

Every client is a program with one contract (the example clients' own): started
with the submit URL and the JSON body, it prints the result and exits 0, exits 1
with the reason on stderr, or exits 3 when its own deadline passed. Whatever it
printed, what it concluded is judged against the job as the database holds it
the moment the client stopped: a client that exits 0 while the job is still
running reported success too early, whatever it believed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
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
from jobs.models import Job

ROOT = Path(__file__).resolve().parents[2]
RUNNERS = Path(__file__).resolve().parent / "runners"
NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
# Seconds per job step in these tests. A job of two recipients is six steps, so
# it runs longer than the longest Retry-After the API sends (5 s) plus its jitter:
# every client meets it pending at least once, whatever the estimate said.
PACE = 1.5
RECIPIENTS = ["ada", "grace"]
# The lease of a lost-by-worker job runs out this long after its first step: the job
# then succeeds about LEASE_TIMEOUT + 2 paces after acceptance, before CLIENT_DEADLINE.
LEASE_TIMEOUT = 8.0
# The example clients' own deadline, and the test's: a client still running at the
# second one never stopped polling.
CLIENT_DEADLINE = 30
TEST_DEADLINE = 40
# Seconds after acceptance the canceled scenario cancels the job.
CANCEL_AFTER = 1.5
PENDING = {Job.Status.QUEUED, Job.Status.RUNNING}

# How to start each client: the submit URL, the JSON body, and the deadline the
# example clients keep (the shell one reads it from DEADLINE; the others have none).
Command = Callable[[str, str, float], list[str]]

COMMANDS: dict[str, Command] = {
    "azure-core": lambda url, body, deadline: [
        sys.executable,
        str(RUNNERS / "azure_core_poller.py"),
        url,
        body,
    ],
    "core-lro": lambda url, body, deadline: [
        "node",
        str(RUNNERS / "core_lro_poller.mjs"),
        url,
        body,
    ],
    "naive-requests": lambda url, body, deadline: [
        sys.executable,
        str(RUNNERS / "naive_requests.py"),
        url,
        body,
    ],
    "example-python": lambda url, body, deadline: [
        sys.executable,
        str(ROOT / "clients/python/poll.py"),
        f"--deadline={deadline:g}",
        url,
        body,
    ],
    "example-javascript": lambda url, body, deadline: [
        "node",
        str(ROOT / "clients/javascript/poll.mjs"),
        "--deadline",
        f"{deadline:g}",
        url,
        body,
    ],
    "example-shell": lambda url, body, deadline: [
        "sh",
        str(ROOT / "clients/shell/poll.sh"),
        url,
        body,
    ],
}


def start_client(
    client: str, *, url: str, body: str, deadline: float = CLIENT_DEADLINE
) -> subprocess.Popen[str]:
    """The client as a process of its own, its output captured."""
    env = {**os.environ, "DEADLINE": f"{deadline:g}", "NODE_PATH": str(NODE_MODULES)}
    return subprocess.Popen(
        COMMANDS[client](url, body, deadline),
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

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.client, self.convention, self.scenario)

    def describe(self) -> str:
        said = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return (
            f"{self.client} / {self.convention} / {self.scenario}: {self.verdict} "
            f"(exit {self.exit_code}, job {self.job_status} after {self.job_attempts} "
            f"attempts, {self.seconds:.1f} s"
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


class Canceling:
    """Cancel the job through the RFC 9110 monitor (a job is one job, whichever convention
    watches it) a moment after it was accepted, beside the client, in a thread.

    The moment: after a client that concludes at once has concluded, and well before
    any client that waits for the first Retry-After polls again.
    """

    def __init__(self, *, origin: str, subject: str, within: float = 30) -> None:
        self.origin, self.subject, self.within = origin, subject, within
        self.said = "not canceled yet"
        self.thread = threading.Thread(target=self.cancel, daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        try:
            give_up = time.monotonic() + self.within
            while time.monotonic() < give_up:
                job = find_job(self.subject)
                if job is not None:
                    time.sleep(CANCEL_AFTER)
                    url = f"{self.origin}/api/jobs/{job.public_id}"
                    self.said = f"DELETE answered {requests.delete(url, timeout=30).status_code}"
                    return
                time.sleep(0.05)
            self.said = f"no job appeared within {self.within} s to cancel"
        finally:
            connections.close_all()

    def result(self) -> str:
        self.thread.join(timeout=self.within + 30)
        return self.said


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


def reports_pending(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    status = str(value.get("status", "")).lower()
    return status in {"queued", "running", "notstarted"} or value.get("done") is False


def judge(*, scenario: str, exit_code: int | None, stdout: str, job: Job | None) -> str:
    """What the client concluded, given how it stopped and the job as it was at that moment."""
    if exit_code is None:
        return "never-stopped"
    if exit_code == 3:
        return "gave-up"
    if exit_code != 0:
        # Where an error is the right end (the job fails, is canceled or expires), one
        # raised while the job still ran was about something else. Where the job
        # succeeds, any error is wrong, whenever it came.
        ends_badly = SCENARIOS_BY_ID[scenario].expected == "raised"
        early = job is None or job.status in PENDING
        return "raised-early" if ends_badly and early else "raised"
    try:
        value = json.loads(stdout)
    except ValueError:
        value = stdout
    if job is None or job.status in PENDING or reports_pending(value):
        return "pending-success"
    if job.status != Job.Status.SUCCEEDED:
        return "false-success"
    return "succeeded" if holds_result(value, job.result or {}) else "no-result"


def run(*, client: str, convention: str, scenario: str, origin: str) -> Run:
    """Start the client, let it conclude (or stop it at the test's deadline), judge it.

    A run the harness itself could not carry out is a run with that as its verdict:
    its row fails, and the others are still measured.
    """
    try:
        return _run(client=client, convention=convention, scenario=scenario, origin=origin)
    except Exception as error:
        return Run(client, convention, scenario, f"not measured ({error!r})", None, "", "", None, 0)


def _run(*, client: str, convention: str, scenario: str, origin: str) -> Run:
    subject = f"compatibility {client} {convention} {scenario} {uuid.uuid4().hex[:8]}"
    body = json.dumps(payload(scenario=scenario, subject=subject))
    url = submit_url(origin=origin, convention=convention, scenario=scenario)
    started = time.monotonic()
    try:
        with start_client(client, url=url, body=body) as process:
            canceling = (
                Canceling(origin=origin, subject=subject) if scenario == "canceled" else None
            )
            try:
                stdout, stderr = process.communicate(timeout=TEST_DEADLINE)
                exit_code: int | None = process.returncode
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
                exit_code = None
        # The job as it was when the client stopped, before anything else can change it.
        job = find_job(subject)
        canceled = canceling.result() if canceling else ""
        return Run(
            client=client,
            convention=convention,
            scenario=scenario,
            verdict=judge(scenario=scenario, exit_code=exit_code, stdout=stdout, job=job),
            exit_code=exit_code,
            stdout=stdout,
            stderr=f"{canceled}\n{stderr}".strip(),
            job_status=None if job is None else job.status,
            seconds=time.monotonic() - started,
            job_attempts=0 if job is None else job.attempts,
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
