"""`manage.py db_worker`: the library's worker, plus a heartbeat and crash recovery.

django-tasks-db's worker has no leases: a worker killed with SIGKILL leaves its
task RUNNING forever. A thread of this worker writes its heartbeat (what /healthz
reports) every few seconds and recovers jobs whose lease ran out. It overrides the
library's command because "jobs" comes before "django_tasks_db" in INSTALLED_APPS.
"""

from __future__ import annotations

import logging
import os
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.utils import OperationalError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.utils import is_locked_database_exception

from jobs import heartbeat, recovery, retention, running
from jobs.models import Job
from jobs.work import steps

logger = logging.getLogger("django_tasks_db")

# How a slice's task ends when its job ended as designed: canceled, failed with a
# reason the job records, or handed to another attempt. Not errors of the worker.
EXPECTED_ENDS = (
    steps.JobCanceled,
    steps.JobFailed,
    steps.LeaseLost,
    steps.Dropped,
    running.AttemptSuperseded,
)


class ExpectedEndsInOneLine(logging.Filter):
    """Log a task that ended as designed in one line, without a traceback.

    A stopgap: django-tasks logs every FAILED task with logger.exception (for error
    monitoring), so each cancel printed a traceback. The job's own state says why it
    ended; the task keeps the traceback in its row. Unexpected errors keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, EXPECTED_ENDS):
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = ()
            record.exc_info = record.exc_text = None
            if isinstance(error, steps.JobCanceled | steps.JobFailed):
                record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def log_expected_ends_in_one_line() -> None:
    tasks_logger = logging.getLogger("django_tasks")
    if not any(isinstance(f, ExpectedEndsInOneLine) for f in tasks_logger.filters):
        tasks_logger.addFilter(ExpectedEndsInOneLine())


class Worker(db_worker.Worker):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        log_expected_ends_in_one_line()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        # The job in progress finishes its current step, then goes back to the
        # queue (see jobs.work.steps); a second signal kills it outright.
        steps.stop_requested.set()
        super().shutdown(signum, frame)

    def run(self) -> None:
        self.housekeeping()
        if self.batch:
            super().run()
            return
        # A thread beside the library's loop, so the heartbeat stays fresh while
        # a long job runs and a dead worker's jobs are recovered meanwhile.
        stop = threading.Event()
        thread = threading.Thread(target=self.keep_house, args=[stop], daemon=True)
        thread.start()
        try:
            super().run()
        finally:
            stop.set()

    def keep_house(self, stop: threading.Event) -> None:
        interval = max(
            0.2, min(5.0, settings.DEMO_LEASE_TIMEOUT / 3, settings.DEMO_WORKER_STALE_AFTER / 3)
        )
        try:
            while not stop.wait(interval):
                self.housekeeping()
                # Here, not in a batch run: a long-running worker is what every
                # deployment has, and nobody has to schedule pruning beside it.
                self.prune()
        finally:
            connection.close()

    def housekeeping(self) -> None:
        try:
            heartbeat.record_heartbeat(worker_id=self.worker_id)
            recovery.recover_stalled_jobs()
        except OperationalError as error:
            # Another process held the write lock past the busy timeout; next time.
            if not is_locked_database_exception(error):
                raise
            logger.warning("Database busy; heartbeat skipped.")

    def prune(self) -> None:
        """Prune finished jobs when it is this deployment's turn (jobs.retention)."""
        try:
            pruned = retention.prune_when_due()
        except Exception:
            # Pruning can wait for the next turn; the heartbeat and recovery cannot.
            logger.exception("Pruning failed; the next turn tries again.")
        else:
            if pruned is not None and any(pruned.values()):
                logger.info("Pruned: %s.", ", ".join(f"{k} {v}" for k, v in pruned.items()))


# Seconds between looks at an empty queue. A job's next slice is queued for the
# moment its step is due, so this is how late a step may
# start on an idle worker: small next to the demo pace, and one cheap query.
IDLE_INTERVAL = 0.05


class Command(db_worker.Command):
    help = "Run the background worker for the demo API (heartbeat and crash recovery included)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(interval=IDLE_INTERVAL)

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise db_worker.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        logger.info(
            "Worker pid %s; %d job(s) pending.",
            os.getpid(),
            Job.objects.filter(status__in=Job.PENDING).count(),
        )
        if options["reload"] and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
