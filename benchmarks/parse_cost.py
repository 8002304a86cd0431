"""What the API's header parsers cost on their worst inputs, next to an ordinary one.

In process, no server: each parser reads the hardest inputs of the longest length it
reads (its limit; a longer header is refused or ignored before parsing), and the
same input at a quarter of that length. The worst time is compared with an ordinary
header's; the quarter-length time shows the cost grows with the length, not with its
square (four times the input should take about four times as long, not sixteen).

    .venv/bin/python -m benchmarks.parse_cost     just these rows
"""

from __future__ import annotations

import os
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

# Growing linearly, four times the input takes about four times as long; a parser that
# re-reads its input (quadratic) takes sixteen times as long, one that backtracks more.
LINEAR_AT_MOST = 6
# The least of several timings: what the parse costs when nothing else is running.
REPEATS = 7


@dataclass(frozen=True)
class Parser:
    header: str
    # What is timed: the parse of what prepare made of the header's value.
    parse: Callable[[Any], object]
    limit: int
    ordinary: str
    # Each builds a hostile value of (about) the given length.
    worst: tuple[Callable[[int], str], ...]
    prepare: Callable[[str], Any] = str


def _fill(head: str, unit: str, tail: str = "") -> Callable[[int], str]:
    return lambda length: head + unit * ((length - len(head) - len(tail)) // len(unit)) + tail


def parsers() -> list[Parser]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test import RequestFactory

    from api import headers

    factory = RequestFactory()

    def request_with(value: str) -> HttpRequest:
        request = factory.post("/", headers={"Content-Disposition": value})
        request.headers  # noqa: B018 (Django reads the headers once, before any parser)
        return request

    return [
        Parser(
            "Content-Type",
            headers.is_media_type,
            headers.MAX_CONTENT_TYPE,
            "application/json; charset=utf-8",
            (
                # The shape that held a worker 30 s: empty parameters between whitespace.
                _fill("application/json", "  ;  ", "@"),
                _fill('a/b; x="', '\\"', '"'),
                _fill("a/b", "; x=y"),
                _fill("a/b", '; x="', '"'),
            ),
        ),
        Parser(
            "Prefer",
            headers.parse_prefer,
            headers.MAX_PREFER,
            "respond-async, wait=5",
            (
                _fill("", '","'),
                _fill("", ","),
                _fill("", 'a;"",'),
                _fill("", '"a",'),
                _fill("", 'x="'),
            ),
        ),
        Parser(
            "Content-Disposition",
            headers.read_disposition_filename,
            headers.MAX_CONTENT_DISPOSITION,
            'attachment; filename="report.pdf"',
            (
                _fill('attachment; filename="', ";"),
                _fill("attachment", "; filename=a"),
                _fill("attachment; filename*=UTF-8''", "%41"),
                _fill("", '";'),
            ),
            prepare=request_with,
        ),
    ]


def seconds(parser: Parser, value: str) -> float:
    prepared = parser.prepare(value)
    timer = timeit.Timer(lambda: parser.parse(prepared))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=REPEATS, number=number)) / number


Row = tuple[str, str, str, str, str, bool | None]


def rows() -> list[Row]:
    """One row per parser, as the bench's table has them (what, figure, compared with,
    ratio, target, met)."""
    measured: list[Row] = []
    for parser in parsers():
        ordinary = seconds(parser, parser.ordinary)
        full = {build: seconds(parser, build(parser.limit)) for build in parser.worst}
        worst = max(full, key=full.__getitem__)
        quarter = seconds(parser, worst(parser.limit // 4))
        growth = full[worst] / quarter
        measured.append(
            (
                f"worst-case {parser.header} parse ({parser.limit} characters, its limit) "
                "vs an ordinary one",
                f"{full[worst] * 1e3:.3f} ms; at a quarter of the length "
                f"{quarter * 1e3:.3f} ms ({growth:.1f}x for four times the input)",
                f"{parser.ordinary!r}: {ordinary * 1e6:.1f} us",
                f"{full[worst] / ordinary:.0f}x",
                f"linear: <= {LINEAR_AT_MOST}x for four times the input",
                growth <= LINEAR_AT_MOST,
            )
        )
    return measured


if __name__ == "__main__":
    for row in rows():
        print(" | ".join("" if cell is None else str(cell) for cell in row))
