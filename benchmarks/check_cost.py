"""What checking a recorded flow costs (checker/): 200 exchanges, next to a short flow.

In process, no server: a 202, its polls (pending, with Retry-After and validators) and
the 303 to the result, each linted by httplint and judged by the flow rules. The long
flow should cost about its length in short flows (linear), and under a second.

    .venv/bin/python -m benchmarks.check_cost     just these rows
"""

from __future__ import annotations

import json
import os
import timeit
from typing import Any

LONG = 200
SHORT = 4
REPEATS = 5
UNDER = 1.0
MONITOR = "https://api.example.test/jobs/1"


def flow(length: int) -> list[Any]:
    from checker.exchanges import Exchange, Request, Response

    def answer(status: int, headers: tuple[tuple[str, str], ...], body: object = None) -> Response:
        typed = (("Content-Type", "application/json"),) if body is not None else ()
        return Response(status, "", (*typed, *headers), "" if body is None else json.dumps(body))

    pending = answer(
        200,
        (("Cache-Control", "no-cache"), ("ETag", '"1"'), ("Retry-After", "1")),
        {"status": "running", "progress": 40},
    )
    accepted = answer(202, (("Location", MONITOR), ("Retry-After", "1")), {"status": "queued"})
    done = answer(303, (("Location", MONITOR + "/result"), ("Cache-Control", "no-cache")))
    exchanges = [Exchange(Request("POST", "https://api.example.test/jobs", (), "{}"), accepted)]
    exchanges += [Exchange(Request("GET", MONITOR), pending) for _ in range(length - 3)]
    exchanges.append(Exchange(Request("GET", MONITOR), done))
    result = answer(200, (), {"sent": 3})
    exchanges.append(Exchange(Request("GET", MONITOR + "/result"), result))
    return exchanges


def seconds(exchanges: list[Any]) -> float:
    """The least of REPEATS checks, each from cold: no note's text made before."""
    from checker import linting, report

    timer = timeit.Timer(lambda: report.build(exchanges), setup=linting.forget_texts)
    return min(timer.repeat(repeat=REPEATS, number=1))


Row = tuple[str, str, str, str, str, bool | None]


def rows() -> list[Row]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    long, short = seconds(flow(LONG)), seconds(flow(SHORT))
    per_exchange = (long / LONG) / (short / SHORT)
    return [
        (
            f"checking a recorded flow of {LONG} exchanges (httplint and the flow rules)",
            f"{long * 1e3:.0f} ms",
            f"{SHORT} exchanges: {short * 1e3:.1f} ms",
            f"{per_exchange:.1f}x per exchange",
            f"< {UNDER:g} s",
            long < UNDER,
        )
    ]


if __name__ == "__main__":
    for row in rows():
        print(" | ".join(str(cell) for cell in row))
