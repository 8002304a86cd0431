"""The suite as `make test` runs it: in TEST_PROCESSES pytest processes (pytest-xdist).

Each process takes whole test files, so a module's servers, workers and sites start
once; the modules tests/conftest.py lists as SPREAD (their tests share nothing costly)
are dealt out test by test instead, so one long file does not decide when the run
ends. Most tests wait on real servers, workers, clients and browsers rather than on
the processor, so more processes than cores still shorten the run.

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
