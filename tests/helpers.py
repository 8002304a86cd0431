"""Helpers the demo API tests share: plain make_* functions, a worker, an OpenAPI-checked client.

Every response that goes through ApiClient is checked against the OpenAPI
document: its status, documented headers and JSON body.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from jsonschema import Draft202012Validator, FormatChecker

from api.openapi import openapi_document
from jobs import lifecycle
from jobs.management.commands.db_worker import Worker
from jobs.models import Job
from jobs.work import steps

OPENAPI_PATHS = {
    "api:bulk-email": "/api/emails/bulk",
    "api:process-file": "/api/files/process",
    "api:job": "/api/jobs/{jobId}",
    "api:result": "/api/jobs/{jobId}/result",
    "api:operation": "/api/operations/{jobId}",
    "api:operation-cancel": "/api/operations/{jobId}:cancel",
    "api:openapi": "/api/openapi.json",
    "api:conventions": "/api/conventions",
    **{
        f"api:{prefix}-{name}": f"/api/{prefix}/{target}"
        for prefix in ["azure", "request-reply", "aip151", "job-resource", "odata"]
        for name, target in [("bulk-email", "emails/bulk"), ("process-file", "files/process")]
    },
    "api:request-reply-status": "/api/request-reply/status/{jobId}",
    "api:aip151-operation": "/api/aip151/operations/{jobId}",
    "api:aip151-cancel": "/api/aip151/operations/{jobId}:cancel",
    "api:job-resource-job": "/api/job-resource/jobs/{jobId}",
    "api:odata-monitor": "/api/odata/monitor/{jobId}",
    "checker:api-checks": "/api/checks",
    "checker:api-live": "/api/checks/live",
    "checker:api-check": "/api/checks/{checkId}",
    "checker:api-report": "/api/checks/{checkId}/report",
}
# The checker's endpoints: in the document, toured by tests/checker/test_api_checks.py.
CHECKER_PATHS = {path for name, path in OPENAPI_PATHS.items() if name.startswith("checker:")}


def openapi_path(url: str) -> str:
    """The document's path for a URL: its route's, or the one whose {jobId} it fills with
    an id of another form (no route has that URL: it answers not-found)."""
    path = urlsplit(url).path
    name = str(resolve(path).view_name)
    if name in OPENAPI_PATHS:
        return OPENAPI_PATHS[name]
    # The longest first: /api/aip151/operations/{jobId}:cancel before its operation's path.
    for template in sorted(OPENAPI_PATHS.values(), key=len, reverse=True):
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path):
            return template
    raise AssertionError(f"{url} is no path of the document")


def make_worker(*, worker_id: str = "test", batch: bool = True, interval: float = 0) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def run_worker() -> None:
    """Run every queued task (and the tasks they queue) in this process, then return.

    A job's next slice may be queued for later (its next step is not due yet): wait
    for it, as a worker would.
    """
    while True:
        make_worker().run()
        upcoming = DBTaskResult.objects.filter(status=TaskResultStatus.READY).order_by("run_after")
        first = upcoming.first()
        if first is None:
            return
        time.sleep(max(0.0, (first.run_after - timezone.now()).total_seconds()))


def wait_for(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll check until it returns something truthy, and return that.

    An OSError counts as not yet: a server still starting refuses connections.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def make_email_payload(*recipients: Any, **fields: Any) -> dict[str, Any]:
    return {
        "subject": "Welcome",
        "body": "Hello {name}, this is {email}.",
        "recipients": list(recipients) or ["ada@example.test", "grace@example.test"],
        **fields,
    }


def make_email_job(*recipients: str) -> Job:
    return lifecycle.accept_bulk_email(
        subject="Hi",
        body="Hello {name}",
        recipients=[lifecycle.Recipient(email=r, name=r.split("@")[0]) for r in recipients],
        fingerprint="test",
    ).job


def task_of(job: Job) -> DBTaskResult:
    """The task of the job's current attempt, as stored now."""
    assert job.task_result_id is not None, f"{job} has no task"
    return DBTaskResult.objects.get(pk=job.task_result_id)


class Killed(BaseException):
    """A worker killed on the spot: no handler of the job's own runs, nothing commits."""


@contextmanager
def fault_at(point: str, fault: Callable[[Job], None]) -> Iterator[None]:
    """Run fault(job) when a job reaches the named point (jobs.work.steps.reached)."""

    def receiver(sender: Any, *, job: Job, point: str, **kwargs: Any) -> None:
        if point == wanted:
            fault(job)

    wanted = point
    steps.reached.connect(receiver, dispatch_uid=f"fault-{point}")
    try:
        yield
    finally:
        steps.reached.disconnect(dispatch_uid=f"fault-{point}")


def raise_(error: BaseException) -> Callable[[Job], None]:
    def fault(job: Job) -> None:
        raise error

    return fault


# Sent by site-wide middleware on every response (the document's description says
# so once), or describing the body itself: not repeated for each response.
SITE_WIDE_HEADERS = {
    "content-type",
    "content-length",
    "content-encoding",
    "vary",
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "permissions-policy",
    "strict-transport-security",
}


def openapi_validator(schema: dict[str, Any], document: dict[str, Any]) -> Draft202012Validator:
    # The document's components sit beside the schema so "#/components/..." resolves.
    return Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=FormatChecker()
    )


def assert_conforms(response: HttpResponse, *, url: str, method: str) -> None:
    """Check a real response against the operation the OpenAPI document gives for it."""
    document = openapi_document(RequestFactory().get("/"))
    path = openapi_path(url)
    status = str(response.status_code)
    operation = document["paths"][path].get(method.lower())
    if operation is None:
        assert status == "405", f"{method} {path} is not documented"
        spec = document["components"]["responses"]["MethodNotAllowed"]
    else:
        assert status in operation["responses"], f"{method} {path} {status} is not documented"
        spec = operation["responses"][status]
    if "$ref" in spec:
        spec = document["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    headers = spec.get("headers", {})
    for name, header in headers.items():
        if header["required"]:
            assert name in response, f"{status} lacks the {name} header"
        if name in response:
            openapi_validator(header["schema"], document).validate(response[name])
    documented = {name.lower() for name in headers} | SITE_WIDE_HEADERS
    undocumented = [name for name in response.headers if name.lower() not in documented]
    assert not undocumented, f"{method} {path} {status} sends undocumented {undocumented}"
    content = spec.get("content")
    if not content or method == "HEAD":
        assert not response.content
        return
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in content, f"{media_type} is not documented for {status}"
    # A whole HTTP message (OData's application/http final response) is text, not JSON.
    body = response.content.decode() if media_type == "application/http" else None
    openapi_validator(content[media_type]["schema"], document).validate(
        json.loads(response.content) if body is None else body
    )


class ApiClient:
    """django.test.Client whose every answer is checked against the OpenAPI document."""

    def __init__(self) -> None:
        self.client = Client()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = getattr(self.client, method.lower())(url, **kwargs)
        assert_conforms(response, url=url, method=method)
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def post_json(self, url: str, payload: Any, **kwargs: Any) -> Any:
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        return self.request("POST", url, data=data, content_type="application/json", **kwargs)


def holding_step(log: Path, *, job: Job, point: str) -> Callable[[], bool]:
    """Whether the slow worker writing `log` is inside the job's step `point`: it says so
    when it enters it (tests/jobs/slow_worker.py). Once it is, `job` is read again,
    so the caller sees the job (and its task) as the worker holds it."""
    line = f"Step {point} of {job.public_id} takes"

    def check() -> bool:
        if not (log.exists() and line in log.read_text(errors="replace")):
            return False
        job.refresh_from_db()
        return True

    return check


def worker_command(
    worker_id: str, *, slow_at: str | None = None, slow_for: float = 60.0
) -> list[str]:
    """`manage.py db_worker` as the real-process tests start it: no reloader, fast polling.

    With slow_at, the job step of that name takes slow_for seconds
    (tests/jobs/slow_worker.py): the worker holds the job there, to be killed
    or stopped.
    """
    start = (
        [sys.executable, "-m", "tests.jobs.slow_worker", slow_at, str(slow_for)]
        if slow_at
        else [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    )
    return [
        *start,
        "db_worker",
        "--skip-checks",
        "--no-reload",
        "--no-startup-delay",
        "--interval=0.05",
        f"--worker-id={worker_id}",
    ]


def database_env() -> dict[str, str]:
    """What a process of its own needs in its environment to open the test database."""
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = database["USER"] + (
            f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        )
        address = f"{database['HOST']}:{database['PORT']}"
        return {"DATABASE_URL": f"postgres://{credentials}@{address}/{database['NAME']}"}
    return {"DATABASE_PATH": str(database["NAME"])}


def processes_using(database: Path) -> list[int]:
    """Pids of the live processes whose environment names this database (file)."""
    found = []
    marker = f"DATABASE_PATH={database}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if status != "Z":  # a zombie is gone, only not yet reaped
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


# The ports of the servers tests start: below the kernel's ephemeral range (32768 and
# up by default), where no outgoing connection is given one, and a block of its own for
# each parallel test process, so no two processes pick the same port between choosing
# it and binding it (a port the kernel hands out for port 0 may be taken by then). The
# PostgreSQL suite (DATABASE_URL set) has blocks of its own after those of the first
# PROCESS_BLOCKS processes, so it may run beside `make test` on one machine.
FIRST_PORT = 20000
PORTS_PER_PROCESS = 600
PROCESS_BLOCKS = 8
_ports = itertools.count()


def free_port() -> int:
    """A loopback port no server holds now, from this test process's own block."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    if os.environ.get("DATABASE_URL"):
        index += PROCESS_BLOCKS
    first = FIRST_PORT + index * PORTS_PER_PROCESS
    for _ in range(PORTS_PER_PROCESS):
        port = first + next(_ports) % PORTS_PER_PROCESS
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {first}-{first + PORTS_PER_PROCESS - 1}")


@contextmanager
def worker_thread(*, worker_id: str) -> Iterator[None]:
    """A real worker, in a thread of this process, for the live server's jobs."""
    runner = make_worker(worker_id=worker_id, batch=False, interval=0.05)

    def work() -> None:
        try:
            runner.run()
        finally:
            close_old_connections()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        runner.running = False
        thread.join(timeout=10)
