"""Django's SQLite backend, with writers queueing for the write lock instead of polling it.

Every transaction here takes SQLite's write lock up front (BEGIN IMMEDIATE), and a
writer that finds it taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10
... up to 100 ms between tries. With a few dozen request threads accepting jobs at
once, most of a request's time went to those sleeps. Here a writer first joins the
database's WriterQueue (config/sqlite_queue/queue.py); then BEGIN IMMEDIATE rarely
waits.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base

from config.sqlite_queue.queue import WriterQueue


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writers: WriterQueue | None = None

    def _start_transaction_under_autocommit(self) -> None:
        if not self.is_in_memory_db() and getattr(self, "transaction_mode", None):
            if self._writers is None:
                timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
                self._writers = WriterQueue(str(self.settings_dict["NAME"]), timeout=timeout)
            self._writers.join()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._leave()
            raise

    def _leave(self) -> None:
        if self._writers is not None:
            self._writers.leave()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._leave()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._leave()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self._writers is not None:
                self._writers.close()
                self._writers = None
