"""Writers queue for SQLite's write lock (config/sqlite_queue): one at a time, across
threads and processes, and never stuck: past the timeout SQLite's own busy handler
takes over."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connections, transaction
from django.utils import timezone

from config.sqlite_queue.queue import WriterQueue
from jobs.models import WorkerHeartbeat


def test_one_writer_at_a_time_across_threads(tmp_path: Path) -> None:
    database = str(tmp_path / "db.sqlite3")
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        queue = WriterQueue(database, timeout=10)
        for _ in range(20):
            queue.join()
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            time.sleep(0.0005)
            inside.remove(n)
            queue.leave()
        queue.close()

    threads = [threading.Thread(target=write, args=[n]) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not [thread for thread in threads if thread.is_alive()]
    assert sorted(set(inside)) == [] and overlaps == []


def test_another_process_waits_for_its_turn(tmp_path: Path) -> None:
    database = str(tmp_path / "db.sqlite3")
    released = tmp_path / "released"
    mine = WriterQueue(database, timeout=10)
    mine.join()
    # The other process reports, once its turn came, whether this one had let go by then.
    code = (
        "import sys; from pathlib import Path; from config.sqlite_queue.queue import WriterQueue;"
        f"q = WriterQueue({database!r}, timeout=30); print('trying', flush=True); q.join();"
        f"print('after release' if Path({str(released)!r}).exists() else 'too soon')"
    )
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert other.stdout is not None
    assert other.stdout.readline().strip() == "trying"
    # Give a broken queue the chance to let the other process in while this one holds it.
    time.sleep(0.3)
    released.touch()
    mine.leave()
    out, _ = other.communicate(timeout=60)
    assert out.strip() == "after release"
    mine.close()


def test_past_the_timeout_the_writer_goes_on(tmp_path: Path) -> None:
    database = str(tmp_path / "db.sqlite3")
    holder, late = WriterQueue(database, timeout=10), WriterQueue(database, timeout=0.2)
    holder.join()
    waiting = threading.Thread(target=late.join)
    waiting.start()
    # The late one gives up its place in the queue and goes on to SQLite itself, without
    # the turn the holder still has.
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert holder.held and not late.held
    holder.close()
    late.close()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_of_the_sites_database_holds_its_place_until_it_ends() -> None:
    wrapper: Any = connections["default"]
    if wrapper.vendor != "sqlite":
        return  # PostgreSQL queues writers with row locks (make test-postgres)
    assert type(wrapper).__module__ == "config.sqlite_queue.base"
    with transaction.atomic():
        WorkerHeartbeat.objects.create(worker_id="w", pid=1, seen_at=timezone.now())
        assert wrapper._writers is not None and wrapper._writers.held
    assert not wrapper._writers.held
