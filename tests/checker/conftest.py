"""The shared fixtures of the job engine's, the API's and the console's tests."""

from __future__ import annotations

from tests.demo import api, demo_settings, live_worker

__all__ = ["api", "demo_settings", "live_worker"]
