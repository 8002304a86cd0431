"""A real `manage.py db_worker` process whose job takes a while at one named step.

A slice of a job lasts milliseconds (its waiting is the queue's): to kill or stop
a worker while it holds a job, the real-process tests run this instead, and the
step at POINT takes SECONDS of work, as a slow mail server would make it. The
step ends sooner when the worker is told to stop (SIGTERM, SIGINT) or the job's
cancel is requested, or the file SLOW_STEP_RELEASE names exists: a test that
does one of these waits for that state, never for a length of time that a busy
machine could outrun.

    python -m tests.jobs.slow_worker POINT SECONDS db_worker ARGS...
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    point, seconds, *command = sys.argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    from jobs.models import Job
    from jobs.work import steps

    release = os.environ.get("SLOW_STEP_RELEASE")

    def released(job: Any) -> bool:
        if release and Path(release).exists():
            return True
        return Job.objects.filter(pk=job.pk, cancel_requested_at__isnull=False).exists()

    def slow(sender: Any, *, job: Any, point: str, **kwargs: Any) -> None:
        if point == wanted:
            print(f"Step {point} of {job.public_id} takes {seconds} s.", flush=True)
            # In slices, so a SIGTERM is handled as soon as it comes, as in real work;
            # the step then ends, as a sent message would, and the worker stops after it.
            deadline = time.monotonic() + float(seconds)
            while time.monotonic() < deadline and not steps.stop_requested.wait(0.05):
                if released(job):
                    break

    wanted = point
    steps.reached.connect(slow, weak=False)
    execute_from_command_line(["manage.py", *command])


if __name__ == "__main__":
    main()
