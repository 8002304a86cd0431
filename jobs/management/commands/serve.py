"""`manage.py serve --port N`: the web server and the worker, started and stopped together.

`make run` uses it so that a reader who starts the site also gets the worker that
makes its 202s come true. Ctrl-C (or SIGTERM) reaches both; if either dies the
other is stopped too, rather than leaving a site whose jobs never finish.
"""

from __future__ import annotations

import errno
import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

# SIGTERM lets the worker finish its current step; this is how long we wait.
STOP_TIMEOUT = 15
NAMES = ("worker", "web server")


class Command(BaseCommand):
    help = "Serve the site on 127.0.0.1:PORT together with one background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        # Before anything starts: a busy port would otherwise show the worker and the
        # server's banner first, and the reason only in the server's traceback.
        try:
            free = port_is_free(host=host, port=port)
        except OSError as error:  # a privileged port, or an address not of this machine
            self.stderr.write(f"Cannot serve on {host}:{port}: {error.strerror}.")
            sys.exit(1)
        if not free:
            self.stderr.write(
                f"Port {port} is in use: try make run PORT={next_free_port(host=host, port=port)}"
            )
            sys.exit(1)
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        # Own sessions: a terminal Ctrl-C reaches only us, and we forward it once
        # (a second signal would make the worker abandon its step).
        children = [
            subprocess.Popen([*manage, "db_worker", "--no-reload"], start_new_session=True),
            subprocess.Popen(
                [*manage, "runserver", f"{host}:{port}", "--noreload"], start_new_session=True
            ),
        ]
        stopping = False
        announced = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            # Said once the server answers, so the addresses printed last are ones that work.
            if not announced and accepts_connections(host=host, port=port):
                self.announce(origin=origin_of(host=host, port=port))
                announced = True
            time.sleep(0.2)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        failed = [
            name
            for name, child in zip(NAMES, children, strict=True)
            if child.returncode not in (0, -15)
        ]
        if failed and not stopping:
            self.stderr.write(f"Stopped because the {' and the '.join(failed)} exited.")
            sys.exit(1)

    def announce(self, *, origin: str) -> None:
        self.stdout.write(f"Serving {origin}/ with a worker. Ctrl-C stops both.")
        reference = reverse("reference:status", args=[202])
        self.stdout.write(f"Start reading at {origin}{reference} (the reference for 202 Accepted),")
        playground = reverse("playground:playground")
        self.stdout.write(f"then send a request and watch its job at {origin}{playground}")
        # Written among the children's output: not held back when stdout is a file or pipe.
        self.stdout.flush()


def port_is_free(*, host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the web server binds: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def next_free_port(*, host: str, port: int) -> int:
    """The first free port above port, to suggest; port + 1 when none of the next 100 is."""
    for candidate in range(port + 1, min(port + 101, 65536)):
        try:
            if port_is_free(host=host, port=candidate):
                return candidate
        except OSError:
            continue
    return port + 1


def accepts_connections(*, host: str, port: int) -> bool:
    try:
        with socket.create_connection((connect_host(host), port), timeout=0.5):
            return True
    except OSError:
        return False


def connect_host(host: str) -> str:
    """Where to reach a server bound to host: the loopback for a wildcard address."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def origin_of(*, host: str, port: int) -> str:
    reachable = connect_host(host)
    return f"http://[{reachable}]:{port}" if ":" in reachable else f"http://{reachable}:{port}"
