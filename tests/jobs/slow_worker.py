"""A real `manage.py db_worker` process whose job takes a while at one named step.

A slice of a job lasts milliseconds (its waiting is the queue's): to kill or stop
a worker while it holds a job, the real-process tests run this instead, and the
step at POINT takes SECONDS of work, as a slow mail server would make it.

    python -m tests.jobs.slow_worker POINT SECONDS db_worker ARGS...
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def main() -> None:
    point, seconds, *command = sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from jobs.work import steps

    def slow(sender: Any, *, job: Any, point: str, **kwargs: Any) -> None:
        if point == wanted:
            print(f"Step {point} of {job.public_id} takes {seconds} s.", flush=True)
            # In slices, so a SIGTERM is handled as soon as it comes, as in real work.
            deadline = time.monotonic() + float(seconds)
            while time.monotonic() < deadline:
                time.sleep(0.01)

    wanted = point
    steps.reached.connect(slow, weak=False)
    execute_from_command_line(["manage.py", *command])


if __name__ == "__main__":
    main()
