"""How `make bench` compares two loads and writes what it found: alternating rounds of
the measured and the floor it is read against, their medians and ratios, and the table.

A run with an unexpected status, a socket error, a timeout or no answer at all is
recorded in `problems`; the bench fails when there is any.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import wrk

# Each comparison: this many alternating runs of both sides.
ROUNDS = 3


@dataclass
class Row:
    what: str
    figure: str
    compared_with: str
    ratio: str
    target: str
    met: bool | None


problems: list[str] = []


def expect(load: wrk.Load, what: str, *statuses: int) -> wrk.Load:
    print(f"  {what}: {rate(load)}; statuses {load.statuses}", flush=True)
    unexpected = {s: n for s, n in load.statuses.items() if s not in statuses}
    if unexpected or load.socket_errors or load.timeouts or not load.statuses:
        # No answer at all is a failure too: a server that stopped answering has no p99.
        problems.append(
            f"{what}: unexpected statuses {unexpected}, {load.socket_errors} socket errors, "
            f"{load.timeouts} timeouts, {sum(load.statuses.values())} answers"
        )
    return load


def rate(load: wrk.Load) -> str:
    return (
        f"{load.requests_per_second:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"
    )


Measure = Callable[[], wrk.Load]


def pair(
    what: str,
    measure: Measure,
    floor_name: str,
    floor: Measure,
    target: float,
    *status: int,
    tail: Callable[[float, float], tuple[str, bool]] | None = None,
) -> list[Row]:
    """ROUNDS alternating runs of the floor and the measured: the medians, and the median
    of each round's ratio, so a machine busy for a moment moves both sides alike.

    With `tail`, a second row compares the p99s: tail(p99, floor's p99) gives the
    target and whether it is met."""
    loads, floors, ratios = [], [], []
    for _ in range(ROUNDS):
        floors.append(expect(floor(), floor_name, 200))
        loads.append(expect(measure(), what, *status))
        ratios.append(loads[-1].requests_per_second / floors[-1].requests_per_second)
    value = statistics.median(ratios)
    rows = [
        Row(
            what,
            median_rate(loads),
            f"{floor_name}: {median_rate(floors)}",
            f"{value:.2f}",
            f">= {target}",
            value >= target,
        )
    ]
    if tail:
        p99 = statistics.median(load.p99_ms for load in loads)
        floor_p99 = statistics.median(load.p99_ms for load in floors)
        tail_target, met = tail(p99, floor_p99)
        met = met and all(load.statuses for load in loads)
        rows.append(
            Row(
                f"{what}: p99",
                f"{p99:.1f} ms",
                f"{floor_name}: {floor_p99:.1f} ms",
                f"{p99 / floor_p99:.2f}x" if floor_p99 else "",
                tail_target,
                met,
            )
        )
    return rows


def within_twice(p99: float, floor_p99: float) -> tuple[str, bool]:
    return "<= 2x", p99 <= 2 * floor_p99


def under_a_second(p99: float, floor_p99: float) -> tuple[str, bool]:
    return "< 1,000 ms", p99 < 1000


def median_rate(loads: list[wrk.Load]) -> str:
    rps = statistics.median(load.requests_per_second for load in loads)
    p50 = statistics.median(load.p50_ms for load in loads)
    p99 = statistics.median(load.p99_ms for load in loads)
    return f"{rps:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def table(rows: list[Row]) -> str:
    lines = [
        "| measured | figure | compared with | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        cells = [row.what, row.figure, row.compared_with, row.ratio, row.target, met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
