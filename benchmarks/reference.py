"""Side-by-side benchmark of the reference pages, in process (no network).

Run with `make bench`. Each row is the median time per request over several
rounds, and its ratio to the first row, so a change that makes a path slower
shows up as a ratio, not as a flaky timed test.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.test import Client  # noqa: E402

from reference.catalog import get_catalog  # noqa: E402

ROUNDS = 5
REQUESTS = 100


def per_request(action: Callable[[], object]) -> float:
    """Median seconds per call of action over ROUNDS rounds of REQUESTS calls."""
    action()  # warm up
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(REQUESTS):
            action()
        timings.append((time.perf_counter() - started) / REQUESTS)
    return statistics.median(timings)


def main() -> None:
    client = Client()
    etag = client.get("/202/")["ETag"]

    def reparsed() -> object:
        # What every request would cost if content were read per request.
        get_catalog.cache_clear()
        return client.get("/202/")

    rows: list[tuple[str, Callable[[], object]]] = [
        ("GET /202/ (content parsed once per process)", lambda: client.get("/202/")),
        (
            "GET /202/ with If-None-Match (304)",
            lambda: client.get("/202/", headers={"If-None-Match": etag}),
        ),
        ("GET /202.json", lambda: client.get("/202.json")),
        ("GET / (index, all codes)", lambda: client.get("/")),
        (
            "GET /?q=gateway as htmx fragment",
            lambda: client.get("/", {"q": "gateway"}, headers={"HX-Request": "true"}),
        ),
        ("GET /418/ (summary page)", lambda: client.get("/418/")),
        ("GET /202/ re-parsing all content each time", reparsed),
    ]
    results = [(label, per_request(action)) for label, action in rows]
    get_catalog.cache_clear()
    base = results[0][1]
    width = max(len(label) for label, _ in results)
    print(f"{'request':<{width}}  {'ms/request':>10}  {'ratio':>7}")
    for label, seconds in results:
        print(f"{label:<{width}}  {seconds * 1000:>10.2f}  {seconds / base:>7.2f}")


if __name__ == "__main__":
    main()
