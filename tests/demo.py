"""Fixtures the tests of the job engine, the API and the console share (each folder's
conftest.py takes them): the demo's settings for tests, a worker in a thread, an API client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from jobs.management.commands.db_worker import Worker
from jobs.work import steps
from tests.helpers import ApiClient, make_worker


@pytest.fixture(autouse=True)
def demo_settings(settings: Any, tmp_path: Any) -> Iterator[None]:
    # No waiting between steps: a slice runs a whole job.
    settings.DEMO_PACE = 0
    settings.DEMO_UPLOAD_DIR = tmp_path / "uploads"
    settings.DEMO_MAX_RECIPIENTS = 5
    settings.DEMO_MAX_UPLOAD_BYTES = 4096
    steps.stop_requested.clear()
    yield
    steps.stop_requested.clear()


# The worker's thread has a connection of its own: it must see what tests commit.
@pytest.fixture
def live_worker(transactional_db: None) -> Iterator[Worker]:
    """A worker polling in a thread, for tests where a request waits on a job."""
    worker = make_worker(worker_id="live", batch=False, interval=0.01)

    def loop() -> None:
        try:
            worker.run()
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()
