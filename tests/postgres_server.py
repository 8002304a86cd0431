"""Run a command against a real PostgreSQL server: `make test-postgres` uses it.

    python -m tests.postgres_server COMMAND ARGS...

When DATABASE_URL already names a PostgreSQL server that answers, the command runs
against it. Otherwise a throw-away server is started on loopback, in a temporary
directory (the PostgreSQL 15 server binaries of Debian's `postgresql` package,
POSTGRES_BIN to use others), run as the `postgres` user when this runs as root
(the server refuses root), and removed with everything in it when the command
ends. The command's exit status is this one's.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(os.environ.get("POSTGRES_BIN") or "/usr/lib/postgresql/15/bin")
USER = "postgres"


def reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", USER, "--", *command]


def start(directory: Path, port: int) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam(USER)
        os.chown(directory, account.pw_uid, account.pw_gid)
    data = directory / "data"
    subprocess.run(
        as_server_user(
            [str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # Loopback only, a socket directory of its own, and no durability to wait for:
    # the data is thrown away with the directory.
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={directory}"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        as_server_user(
            [
                str(BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(directory / "server.log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def stop(directory: Path) -> None:
    subprocess.run(
        as_server_user([str(BIN / "pg_ctl"), "-D", str(directory / "data"), "-m", "fast", "stop"]),
        stdout=subprocess.DEVNULL,
        check=False,
    )


def main() -> int:
    command = sys.argv[1:]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and reachable(url):
        print(f"PostgreSQL at {url.rsplit('@', 1)[-1]}")
        return subprocess.call(command)
    if not (BIN / "postgres").exists():
        print(f"No PostgreSQL server binaries in {BIN}: install Debian's postgresql package.")
        return 2
    directory = Path(tempfile.mkdtemp(prefix="http202-postgres-"))
    port = free_port()
    try:
        start(directory, port)
        url = f"postgres://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while not reachable(url):
            if time.monotonic() > deadline:
                print((directory / "server.log").read_text())
                return 2
            time.sleep(0.2)
        print(f"A throw-away PostgreSQL on 127.0.0.1:{port}, in {directory}")
        return subprocess.call(command, env={**os.environ, "DATABASE_URL": url})
    finally:
        stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
