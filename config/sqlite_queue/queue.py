"""A queue for one SQLite database's write lock, shared by the threads and processes
of this machine.

A writer takes a lock of its process first (threads wait on it and wake the moment
it is free), then a lock file beside the database, shared by every process, tried
every half millisecond. Both are given up after the timeout, and SQLite's own busy
handler takes over, as without the queue.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

RETRY_EVERY = 0.0005

_process_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


class WriterQueue:
    """One connection's place in the queue of `database`'s writers."""

    def __init__(self, database: str, *, timeout: float) -> None:
        with _guard:
            self.process_lock = _process_locks.setdefault(database, threading.Lock())
        self.path = f"{database}-writers"
        self.timeout = timeout
        self.file: int | None = None
        self.held = False

    def join(self) -> None:
        """Wait for the turn of this connection (or the timeout)."""
        deadline = time.monotonic() + self.timeout
        if not self.process_lock.acquire(timeout=self.timeout):
            return
        self.held = True
        if self.file is None:
            self.file = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        while True:
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(RETRY_EVERY)

    def leave(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
        if self.held:
            self.held = False
            self.process_lock.release()

    def close(self) -> None:
        self.leave()
        if self.file is not None:
            os.close(self.file)
            self.file = None
