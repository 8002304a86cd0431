"""The test database: a file, one per test process.

Tests that start a real worker process (tests/playground/test_worker.py) need a
test database both processes can open: a file, not an in-memory database. One
file per test process, so concurrent test runs in the same checkout do not
clobber each other.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def django_db_modify_db_settings() -> None:
    """pytest-django's hook, run just before it creates the test databases.

    It updates the TEST dict in place: Django has already filled in that dict's
    other keys (MIRROR, MIGRATE, ...) and shares it with the connection.
    """
    name = Path(tempfile.gettempdir()) / f"http202-test-{os.getpid()}.sqlite3"
    database: dict[str, Any] = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = name
