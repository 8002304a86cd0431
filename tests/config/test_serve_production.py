"""`make serve`'s command for real: nginx, gunicorn and two db_workers under supervisord.

The test starts deploy/serve the way the Makefile does, kills the worker that ran a
job's latest slice with SIGKILL, and checks that supervisord starts a replacement within 5 s, that
the job is recovered and still delivers each message once, and that SIGTERM to
supervisord stops every process it started, nginx included.
"""

from __future__ import annotations

import configparser
import contextlib
import http.client
import importlib.util
import json
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from benchmarks.server import site_user
from tests.helpers import free_port, processes_using, wait_for

# Slow: real servers or workers in processes of their own (make test-fast leaves it out).
pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
SERVE = ROOT / "deploy" / "serve"
CONFIG = ROOT / "deploy" / "supervisord.conf"
VENV_BIN = Path(sys.executable).parent
RESTART_WITHIN = 5.0
RECIPIENTS = ["a@example.test", "b@slow.example.test", "c@example.test"]


def stop_timeout() -> int:
    """The longest stopwaitsecs in supervisord.conf, plus a margin for the SIGKILL after it."""
    parser = configparser.RawConfigParser()
    parser.read(CONFIG)
    waits = [int(parser[name].get("stopwaitsecs", "10")) for name in parser.sections()]
    return max(waits) + 5


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def supervised(env: dict[str, str]) -> dict[str, tuple[str, int | None]]:
    """`deploy/serve ctl status` (supervisorctl): each process's name, state and pid."""
    listed = subprocess.run(
        [str(SERVE), "ctl", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    processes = {}
    for line in listed.stdout.splitlines():
        name, state, *rest = line.split()
        pid = int(rest[1].rstrip(",")) if rest[:1] == ["pid"] else None
        processes[name.split(":")[-1]] = (state, pid)
    return processes


@dataclass
class Production:
    """A running `deploy/serve` on loopback: nginx on `port`, gunicorn behind it."""

    port: int
    env: dict[str, str]
    database: Path
    supervisord: subprocess.Popen[bytes]
    log: Path


@contextmanager
def production(tmp_path: Path, **settings: str) -> Iterator[Production]:
    """deploy/serve as `make serve` runs it, once /healthz answers 200; every process it
    started is stopped when the block ends (the log is printed if the block failed).

    The site's data lives in a directory of its own that any user may reach (as root,
    deploy/serve gives it to SERVE_USER); pytest's tmp_path is closed to other users."""
    data = Path(tempfile.mkdtemp(prefix="serve-data-"))
    database = data / "site.sqlite3"
    port = free_port()
    env = {
        # A SQLite file of its own, whatever database the tests use.
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "SITE_ENV", "DATABASE_URL"))
        },
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_PATH": str(database),
        "DEMO_UPLOAD_DIR": str(data / "uploads"),
        "DEMO_LIMITS_PATH": str(data / "limits.sqlite3"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "DEMO_WORKERS": "2",
        "VENV_BIN": str(VENV_BIN),
        **({"SERVE_USER": user} if (user := site_user()) else {}),
        **settings,
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        check=True,
        timeout=120,
    )
    # Short: a unix socket's path must fit in 108 bytes. Removed in the finally below.
    run_dir = Path(tempfile.mkdtemp(prefix="serve-"))
    env["SERVE_RUN_DIR"] = str(run_dir)
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    supervisord = subprocess.Popen(
        [str(SERVE)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for(lambda: call(port, "GET", "/healthz")[0] == 200, timeout=60, what="/healthz")
        yield Production(port, env, database, supervisord, log_path)
    except BaseException:
        log.flush()
        print(log_path.read_text(errors="replace")[-6000:])  # shown with the failure
        raise
    finally:
        # Everything supervisord started goes with it: nginx, which holds no database,
        # would otherwise outlive a killed supervisord.
        started = descendants_of(supervisord.pid)
        for pid in processes_using(database):
            os.kill(pid, signal.SIGKILL)
        if supervisord.poll() is None:
            supervisord.kill()
            supervisord.wait(timeout=10)
        for pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def descendants_of(pid: int) -> list[int]:
    """Every process pid started, and those they started, as they are now."""
    found: list[int] = []
    parents = [pid]
    while parents:
        children = children_of(parents.pop())
        found += children
        parents += children
    return found


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
            if int(parent) == pid:
                found.append(int(entry.name))
    return found


@contextmanager
def database_at(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path, timeout=10)) as connection:
        yield connection


def worker_running(database: Path, job_id: str) -> int | None:
    """The pid of the worker that ran job_id's latest slice, once the job has delivered a
    message and is still running, else None."""
    with database_at(database) as db:
        status = db.execute(
            "SELECT status FROM playground_job WHERE public_id = ?", [job_id]
        ).fetchone()
        row = db.execute(
            "SELECT worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE args_kwargs LIKE ? AND started_at IS NOT NULL ORDER BY started_at DESC",
            [f'%"{job_id}"%'],
        ).fetchone()
        delivered = db.execute("SELECT count(*) FROM playground_mailboxmessage").fetchone()[0]
        if status != ("running",) or row is None or not delivered:
            return None
        worker_id = json.loads(row[0])[-1]
        found = db.execute(
            "SELECT pid FROM playground_workerheartbeat WHERE worker_id = ?", [worker_id]
        ).fetchone()
        return int(found[0]) if found else None


def test_make_serve_restarts_a_killed_worker_recovers_its_job_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    with production(tmp_path, DEMO_PACE="0.3", DEMO_LEASE_TIMEOUT="2") as served:
        port, env, database, supervisord = (
            served.port,
            served.env,
            served.database,
            served.supervisord,
        )
        listed = wait_for(
            lambda: (
                (listed := supervised(env))
                and all(state == "RUNNING" for state, _ in listed.values())
                and listed
            ),
            timeout=30,
            what="supervisord to list its processes RUNNING",
        )
        workers = {name: pid for name, (_, pid) in listed.items() if name.startswith("db_worker")}
        assert sorted(listed) == ["db_worker_00", "db_worker_01", "front", "web"]
        front = listed["front"][1]
        assert front is not None
        # Started as root, what reads a request or runs a job is SERVE_USER.
        user = env.get("SERVE_USER")
        uid = pwd.getpwnam(user).pw_uid if user else os.geteuid()
        for name, pid in {**workers, "web": listed["web"][1]}.items():
            assert pid is not None and uid_of(pid) == uid, name
        nginx_workers = children_of(front)
        assert nginx_workers and {uid_of(pid) for pid in nginx_workers} == {uid}

        status, headers, _ = call(
            port,
            "POST",
            "/api/emails/bulk",
            {"subject": "Hi", "body": "Hello {name}", "recipients": RECIPIENTS},
        )
        assert status == 202
        monitor = headers["Location"].removeprefix(f"http://127.0.0.1:{port}")
        job_id = monitor.rsplit("/", 1)[-1]

        # Kill the worker that ran the job last, once it has delivered the first message.
        victim = wait_for(
            lambda: worker_running(database, job_id), timeout=30, what="the job to run"
        )
        name = next(name for name, pid in workers.items() if pid == victim)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        replacement = wait_for(
            lambda: (pid := supervised(env).get(name, ("", None))[1]) not in (None, victim) and pid,
            timeout=RESTART_WITHIN + 5,
            what=f"supervisord to restart {name}",
        )
        restarted_in = time.monotonic() - killed_at
        print(f"{name}: pid {victim} killed, pid {replacement} started in {restarted_in:.2f} s")
        assert restarted_in < RESTART_WITHIN
        wait_for(
            lambda: supervised(env)[name] == ("RUNNING", replacement),
            timeout=10,
            what=f"{name} to be RUNNING again",
        )

        # The lease runs out, a worker retries the job, and it finishes.
        done = wait_for(
            lambda: (answer := call(port, "GET", monitor))[0] == 303 and answer,
            timeout=60,
            what="the job to finish",
        )
        result_status, _, body = call(port, "GET", done[1]["Location"].split(str(port), 1)[1])
        assert result_status == 200
        assert json.loads(body)["counts"] == {"recipients": 3, "delivered": 3, "bounced": 0}
        with database_at(database) as db:
            attempts = db.execute(
                "SELECT attempts FROM playground_job WHERE public_id = ?", [job_id]
            ).fetchone()[0]
            delivered = db.execute(
                "SELECT recipient FROM playground_mailboxmessage ORDER BY recipient"
            ).fetchall()
        # Killed while it held the job, the worker's attempt is recovered and a second
        # one finishes; killed between two slices, it held nothing, and the one
        # attempt goes on with the other worker.
        assert attempts in (1, 2)
        assert [recipient for (recipient,) in delivered] == RECIPIENTS  # once each

        # SIGTERM stops every process: nginx, web, both workers, then supervisord itself.
        children = [pid for pid in processes_using(database) if pid != supervisord.pid]
        assert len(children) >= 5  # gunicorn, its 2 workers, 2 db_workers
        supervisord.send_signal(signal.SIGTERM)
        supervisord.wait(timeout=stop_timeout())
        assert supervisord.returncode == 0
        wait_for(lambda: not processes_using(database), timeout=5, what="every process to stop")
        # nginx's master too (its workers leave with it).
        wait_for(lambda: not Path(f"/proc/{front}").exists(), timeout=5, what="nginx to stop")


def test_started_as_root_it_refuses_to_hand_over_a_directory_that_holds_more_than_the_site(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only a start as root switches users")
    data = Path(tempfile.mkdtemp(prefix="serve-data-"))
    run_dir = Path(tempfile.mkdtemp(prefix="serve-"))
    try:
        (data / "notes.txt").write_text("someone else's")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_ENV"))},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_PATH": str(data / "site.sqlite3"),
            "DEMO_LIMITS_PATH": str(data / "limits.sqlite3"),
            "DEMO_UPLOAD_DIR": str(data / "uploads"),
            "PORT": str(free_port()),
            "VENV_BIN": str(VENV_BIN),
            "SERVE_RUN_DIR": str(run_dir),
        }
        env.pop("SERVE_USER", None)  # the default: www-data
        done = subprocess.run(
            [str(SERVE)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode != 0
        refusal = done.stderr.strip().splitlines()[-1]
        assert refusal.startswith("deploy/serve: started as root: ")
        # Either www-data cannot run this project's Python at all, or it could, and the
        # data's directory is not handed over.
        assert "SERVE_USER=www-data cannot read the project" in refusal or (
            "DATABASE_PATH=" in refusal and "notes.txt" in refusal
        )
        assert not (run_dir / "supervisord.pid").exists()
        assert (data / "notes.txt").stat().st_uid == 0 and data.stat().st_uid == 0
        assert not processes_using(data / "site.sqlite3")
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)


def load_hand_over() -> Any:
    spec = importlib.util.spec_from_file_location("hand_over", ROOT / "deploy" / "hand_over.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_a_directory_holding_the_sites_data_alone_may_be_handed_over(tmp_path: Path) -> None:
    hand_over = load_hand_over()
    run_dir = tmp_path / "run"
    keep = [ROOT, VENV_BIN, run_dir]
    data = tmp_path / "data"
    data.mkdir()
    database = data / "site.sqlite3"
    site_files = {database, data / "site.sqlite3-wal", data / "uploads"}
    database.write_bytes(b"")
    (data / "site.sqlite3-wal").write_bytes(b"")

    def why(directory: Path) -> str:
        return str(hand_over.closed_to_hand_over(directory, site_files=site_files, keep=keep))

    assert why(data) == ""
    assert why(tmp_path / "not-yet") == ""
    (data / "notes.txt").write_text("someone else's")
    assert "more than the site's data (e.g. notes.txt)" in why(data)
    assert "code or SERVE_RUN_DIR" in why(ROOT)
    assert "code or SERVE_RUN_DIR" in why(ROOT.parent)
    assert "code or SERVE_RUN_DIR" in why(tmp_path)  # it holds SERVE_RUN_DIR
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp is
    assert "every user shares" in why(shared)
