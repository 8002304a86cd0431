"""The shared fixtures of the job engine's, the API's and the console's tests, and a
clock for the API's limits that stands still."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from api import limits
from tests.demo import api, demo_settings, live_worker

__all__ = ["api", "demo_settings", "live_worker", "stopped_clock"]


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limits' clock stands still: however slow the machine, every poll a test sends
    comes before the Retry-After the last answer gave."""
    now = time.time()
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now))
