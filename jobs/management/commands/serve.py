"""`manage.py serve --port N`: the web server and the worker, started and stopped together.

`make run` uses it so that a reader who starts the site also gets the worker that
makes its 202s come true. Ctrl-C (or SIGTERM) reaches both; if either dies the
other is stopped too, rather than leaving a site whose jobs never finish.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# SIGTERM lets the worker finish its current step; this is how long we wait.
STOP_TIMEOUT = 15
NAMES = ("worker", "web server")


class Command(BaseCommand):
    help = "Serve the site on 127.0.0.1:PORT together with one background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, port: int, host: str, **options: Any) -> None:
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        # Own sessions: a terminal Ctrl-C reaches only us, and we forward it once
        # (a second signal would make the worker abandon its step).
        children = [
            subprocess.Popen([*manage, "db_worker", "--no-reload"], start_new_session=True),
            subprocess.Popen(
                [*manage, "runserver", f"{host}:{port}", "--noreload"], start_new_session=True
            ),
        ]
        self.stdout.write(f"Serving http://{host}:{port}/ with a worker. Ctrl-C stops both.")

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
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
