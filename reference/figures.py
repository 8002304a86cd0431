"""Figures written in content: a fenced block that the page shows as a drawing.

A prose section may hold a block fenced as ```` ```figure sequence ```` (exchanges
between lanes, top to bottom in time) or ```` ```figure states ```` (a job's states
as lanes, one transition per row). The file stays the source of truth: the block
says what is drawn, ``reference.diagram`` measures it, ``templates/includes/_sequence.html``
draws it as inline SVG with a sentence per row for screen readers. A block that does
not follow the syntax (reference/CONTENT.md, "Figures") stops the catalog with
an error naming the file, the section, the figure and the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string

from reference.diagram import DiagramError, Step, draw_head, draw_segment, frame, gaps_for
from reference.schema import ContentError

FIGURE_RE = re.compile(
    r"^```figure(?:[ \t]+(?P<kind>\S+))?[ \t]*\n(?P<body>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
# How wide each kind is drawn (px; it shrinks to fit a narrower column).
FIGURE_WIDTHS = {"sequence": 460, "states": 600}
ARROWS = {"->": "request", "-->": "response", "~>": "internal"}
ARROW_RE = re.compile(
    r"^(?P<source>[^:]+?)\s*(?P<arrow>-->|->|~>)\s*(?P<target>[^:]+?)\s*:(?P<label>.*)$"
)
NOTE_RE = re.compile(r"^note\s+(?P<lane>[^:]+?)\s*:(?P<label>.*)$")
STATUS_RE = re.compile(r"^([1-5])\d\d\b")
PLACEHOLDER = "figure-placeholder-{}"


@dataclass(frozen=True)
class Figure:
    kind: str
    caption: str
    lanes: tuple[str, ...]
    # Rows drawn together: a sequence's exchange, or one transition.
    groups: tuple[tuple[Step, ...], ...]


def _step(kind: str, lanes: tuple[str, ...], line: str) -> Step:
    """One row of a figure, or ValueError saying what the line should have been."""
    if note := NOTE_RE.match(line):
        if kind == "states":
            raise ValueError("a states figure has transitions only ('from -> to: why')")
        source = target = note["lane"]
        style, label = "note", note["label"]
    elif arrow := ARROW_RE.match(line):
        source, target, label = arrow["source"], arrow["target"], arrow["label"]
        style = "transition" if kind == "states" else ARROWS[arrow["arrow"]]
        if kind == "states" and arrow["arrow"] != "->":
            raise ValueError("a transition is written 'from -> to: why'")
    else:
        raise ValueError(
            "expected 'Lane -> Lane: label' (a request), '-->' (an answer), "
            "'~>' (a hand-off inside the server) or 'note Lane: label'"
        )
    for lane in (source, target):
        if lane not in lanes:
            raise ValueError(f"unknown lane '{lane}'; the lanes are {', '.join(lanes)}")
    lines = tuple(part.strip() for part in label.split("|"))
    if not all(lines):
        raise ValueError("expected a label after ':' (lines separated by '|')")
    if source == target and style != "note":
        raise ValueError("an arrow joins two different lanes")
    tone = target if kind == "states" else ""
    if status := STATUS_RE.match(lines[0]):
        tone = f"{status.group(1)}xx"
    return Step(source=source, target=target, lines=lines, style=style, tone=tone)


def parse_figure(path: Path, where: str, kind: str, body: str) -> Figure:
    """A figure's block, checked: a caption, its lanes, then rows in groups."""
    if kind not in FIGURE_WIDTHS:
        raise ContentError(
            path, where, f"unknown figure '{kind}'; expected one of {', '.join(FIGURE_WIDTHS)}"
        )
    fields: dict[str, str] = {}
    groups: list[list[Step]] = [[]]
    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.strip()
        key, _, value = line.partition(":")
        if not line:
            if groups[-1]:
                groups.append([])
        elif key in ("caption", "lanes") and not any(groups):
            if key in fields or not value.strip():
                raise ContentError(path, f"{where}, line {number}", f"expected one '{key}: ...'")
            fields[key] = value.strip()
        elif "lanes" not in fields or "caption" not in fields:
            raise ContentError(
                path, f"{where}, line {number}", "expected 'caption: ...' and 'lanes: ...' first"
            )
        else:
            lanes = tuple(lane.strip() for lane in fields["lanes"].split(","))
            try:
                groups[-1].append(_step(kind, lanes, line))
            except ValueError as error:
                raise ContentError(path, f"{where}, line {number}", str(error)) from error
    steps = tuple(tuple(group) for group in groups if group)
    if not steps:
        raise ContentError(path, where, "expected 'caption:', 'lanes:' and at least one row")
    lanes = tuple(lane.strip() for lane in fields["lanes"].split(","))
    return Figure(kind=kind, caption=fields["caption"], lanes=lanes, groups=steps)


def render_figure(figure: Figure) -> str:
    steps = [step for group in figure.groups for step in group]
    drawing = frame(
        lanes=figure.lanes,
        width=FIGURE_WIDTHS[figure.kind],
        gaps=gaps_for(figure.lanes, steps),
        kind=figure.kind,
    )
    context = {
        "head": draw_head(drawing),
        "segments": [draw_segment(drawing, group) for group in figure.groups],
        "caption": figure.caption,
    }
    return render_to_string("includes/_sequence.html#figure", context)


def figures_in(path: Path, heading: str, text: str) -> list[Figure]:
    """The figures of one section's Markdown, in order, each checked."""
    figures = []
    for index, match in enumerate(FIGURE_RE.finditer(text), start=1):
        where = f"heading '## {heading}', figure {index}"
        figure = parse_figure(path, where, match["kind"] or "", match["body"])
        try:
            frame(lanes=figure.lanes, width=FIGURE_WIDTHS[figure.kind])
        except DiagramError as error:
            raise ContentError(path, f"{where}, lanes", str(error)) from error
        figures.append(figure)
    return figures


def render_prose(*, path: Path, heading: str, text: str, to_html: Callable[[str], str]) -> str:
    """A section's Markdown as HTML, each figure block drawn where it stands."""
    figures = figures_in(path, heading, text)
    counter = iter(range(len(figures)))
    html = to_html(FIGURE_RE.sub(lambda _: "\n" + PLACEHOLDER.format(next(counter)) + "\n", text))
    for index, figure in enumerate(figures):
        placeholder = f"<p>{PLACEHOLDER.format(index)}</p>"
        if placeholder not in html:
            raise ContentError(
                path,
                f"heading '## {heading}', figure {index + 1}",
                "a figure stands on its own, with a blank line before and after it",
            )
        html = html.replace(placeholder, render_figure(figure))
    return html
