"""The suite as `make test` runs it: in TEST_PROCESSES pytest processes (pytest-xdist).

Tests are dealt out one by one, so no long file decides when the run ends; the
modules tests/conftest.py lists as WHOLE (their tests share a site of gunicorn and
workers, started once) go whole to one process. Most tests wait on real servers,
workers, clients and browsers rather than on the processor, so more processes than
cores still shorten the run.

    python -m tests.suite [pytest arguments...]

Exits with pytest's status.
"""

from __future__ import annotations

import os
import subprocess
import sys

PROCESSES = os.environ.get("TEST_PROCESSES") or "4"


def main(arguments: list[str]) -> int:
    command = [sys.executable, "-m", "pytest", "-n", PROCESSES, "--dist", "loadscope", *arguments]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
