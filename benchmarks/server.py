"""The production setup the bench measures: `make serve`'s deploy/serve, on loopback.

Each Server is a supervisord with nginx in front of gunicorn and `DEMO_WORKERS`
db_workers, on a database and a rate-limit store of its own in a temporary directory,
stopped (with every process it started) when the block ends. Its log is kept to count
errors.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# The abuse limits, set out of the way: one load generator on loopback is one client.
LIMITS_OUT_OF_THE_WAY = {
    "DEMO_JOBS_PER_MINUTE": "100000000",
    "DEMO_POLLS_PER_MINUTE": "100000000",
    "DEMO_MAX_PENDING_PER_CLIENT": "1000000",
    "DEMO_MAX_PENDING_PER_NETWORK": "1000000",
    "DEMO_MAX_PENDING_JOBS": "1000000",
    "DEMO_MAX_JOBS_PER_CLIENT": "100000000",
    "DEMO_JOBS_PER_MINUTE_PER_NETWORK": "100000000",
    "DEMO_MAX_PENDING_WORK_PER_CLIENT": "100000000",
    "DEMO_MAX_STORED_BYTES_PER_CLIENT": "100000000000",
}


def site_user() -> str | None:
    """SERVE_USER for a deploy/serve started here: as root, www-data when it can run the
    project's Python, else root, named (deploy/serve refuses a user that cannot run the
    site: where the interpreter lives under a directory closed to other users, as a
    pyenv under /root); not root, None: everything runs as the caller."""
    if os.geteuid() != 0:
        return None
    probe = ["runuser", "-u", "www-data", "--", str(VENV_BIN / "python"), "-c", "import django"]
    runs = subprocess.run(probe, cwd="/", capture_output=True, check=False).returncode == 0
    return "www-data" if runs else "root"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    directory: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # Where the log is kept once the server stopped (var/bench/).
    kept_log: Path | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return Path(self.env["DATABASE_PATH"])

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", path, headers=headers or {})
        return connection.getresponse()

    def ctl(self, *args: str) -> str:
        """supervisorctl against this server (deploy/serve ctl ...)."""
        done = subprocess.run(
            [str(ROOT / "deploy" / "serve"), "ctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout


def _wait_healthy(server: Server, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = server.get("/healthz")
            response.read()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    raise RuntimeError(f"the server did not become healthy; its log ends:\n{tail}")


@contextmanager
def serve(*, workers: int, pace: float, settings: dict[str, str]) -> Iterator[Server]:
    """Run deploy/serve with this many db_workers and this pace; yield it once healthy."""
    directory = Path(tempfile.mkdtemp(prefix="bench-"))
    # The site's data alone in a directory: started as root, deploy/serve gives it to
    # SERVE_USER (the log beside it would make it refuse).
    data = Path(tempfile.mkdtemp(prefix="bench-data-"))
    port = free_port()
    env = {
        # SQLite unless settings name a DATABASE_URL; no Redis: the limits' own store.
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DEMO_", "DATABASE_URL", "REDIS_URL"))
        },
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_PATH": str(data / "site.sqlite3"),
        "DEMO_LIMITS_PATH": str(data / "limits.sqlite3"),
        "DEMO_UPLOAD_DIR": str(data / "uploads"),
        # A directory of its own: nginx's workers (SERVE_USER when root) must reach it.
        "SERVE_RUN_DIR": tempfile.mkdtemp(prefix="bench-run-"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_PORT": str(free_port()),
        "DEMO_WORKERS": str(workers),
        "DEMO_PACE": str(pace),
        "VENV_BIN": str(VENV_BIN),
        "LOG_LEVEL": "WARNING",
        **({"SERVE_USER": user} if (user := site_user()) else {}),
        **settings,
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    server = Server(port=port, directory=directory, env=env, log=directory / "serve.log")
    with server.log.open("wb") as log:
        server.process = subprocess.Popen(
            [str(ROOT / "deploy" / "serve")],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(server)
        yield server
    finally:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)
        kept = ROOT / "var" / "bench" / f"serve-{workers}w-{pace}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log, kept)
        server.kept_log = kept
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(env["SERVE_RUN_DIR"], ignore_errors=True)
