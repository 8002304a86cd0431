"""The suite as `make test` runs it: most tests in parallel processes, then the tests
marked `alone` in one process of their own.

Alone: the client-compatibility matrix, which starts dozens of client processes at
once against a site of its own and counts a client that has not concluded by the
test's deadline as one that never stops, so the other tests' load must not decide
its rows; and the API fuzzer, whose tests share one node id that parallel processes
cannot tell apart. Everything else runs in TEST_PROCESSES pytest processes
(pytest-xdist), each taking whole test files: most tests wait on real servers,
workers and browsers rather than on the processor, so more processes than cores
still shorten the run.

    python -m tests.suite [-m EXPRESSION] [pytest arguments...]

Exits non-zero when either part fails; a part that selects no test is no failure,
unless neither selects any.
"""

from __future__ import annotations

import os
import subprocess
import sys

PROCESSES = os.environ.get("TEST_PROCESSES") or "4"
NO_TESTS = 5  # pytest's exit status when nothing was collected


def main(arguments: list[str]) -> int:
    expression, rest = "", list(arguments)
    if rest[:1] == ["-m"]:
        expression, rest = rest[1], rest[2:]

    def selecting(part: str) -> str:
        return f"({expression}) and {part}" if expression else part

    parts = [
        ["-n", PROCESSES, "--dist", "loadfile", "-m", selecting("not alone"), *rest],
        ["-m", selecting("alone"), *rest],
    ]
    codes = [
        subprocess.run([sys.executable, "-m", "pytest", *part], check=False).returncode
        for part in parts
    ]
    failed = [code for code in codes if code not in (0, NO_TESTS)]
    if failed:
        return failed[0]
    return NO_TESTS if all(code == NO_TESTS for code in codes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
