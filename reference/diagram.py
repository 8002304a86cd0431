"""Sequence diagrams as geometry: lanes side by side, steps from top to bottom.

Both apps draw with it: the playground draws each exchange with the demo API as it
happens, and the reference draws the figures written in its content (a sequence of
exchanges, a job's states). It lives here because it belongs to neither. This
module only measures: where each lane stands, at which y each arrow and note sits,
how a label wraps. ``templates/includes/_sequence.html`` turns the result into
inline SVG, styled by the site's stylesheet, so it follows the light and dark themes.

A drawing is a head (the lanes' names) and then segments, each an SVG of its own.
Segments of the same lanes line up under one another, so a page can append one per
exchange as it happens, and each carries a sentence for screen readers.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# Labels are monospace, where every character is 0.6 em wide: text can be measured here.
FONT_SIZE = 11
CHAR_WIDTH = FONT_SIZE * 0.6
LINE_HEIGHT = 14
MARGIN = 4
HEAD_HEIGHT = 24
HEAD_GAP = 8
ARROWHEAD = 7
NOTE_PADDING = 6
NOTE_MAX_WIDTH = 176
# What a step is, and the SVG class it is drawn with.
STYLES = ("request", "response", "internal", "transition", "note")


class DiagramError(ValueError):
    """A step names a lane the drawing does not have, or a style it does not know."""


@dataclass(frozen=True)
class Step:
    """One arrow from source to target, or one note on a lane (target is the source).

    ``lines`` are drawn as given, each wrapped to the room it has; ``spoken``, when
    set, replaces them in the text alternative (a label may shorten what it shows).
    ``tone`` colours it: a status class ("2xx") or a job state ("running").
    """

    source: str
    target: str
    lines: tuple[str, ...]
    style: str
    tone: str = ""
    spoken: str = ""

    @property
    def is_note(self) -> bool:
        return self.style == "note"

    def describe(self) -> str:
        text = (self.spoken or ", ".join(line for line in self.lines if line)).rstrip(".")
        if self.is_note:
            return f"{self.source}: {text}."
        return f"{self.source} to {self.target}: {text}."


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Lane:
    name: str
    x: float
    box_x: float
    box_width: float
    label: Text


@dataclass(frozen=True)
class Arrow:
    x1: float
    x2: float
    y: float
    # The arrowhead, as the points of an SVG polygon.
    head: str
    labels: tuple[Text, ...]
    style: str
    tone: str


@dataclass(frozen=True)
class Note:
    x: float
    y: float
    width: float
    height: float
    labels: tuple[Text, ...]
    tone: str


@dataclass(frozen=True)
class Frame:
    """The lanes of a drawing and the x of each; every part of the drawing shares it."""

    lanes: tuple[str, ...]
    xs: tuple[float, ...]
    width: int
    kind: str = "sequence"

    def x(self, lane: str) -> float:
        if lane not in self.lanes:
            raise DiagramError(f"no lane {lane!r}; the lanes are {', '.join(self.lanes)}")
        return self.xs[self.lanes.index(lane)]


@dataclass(frozen=True)
class Head:
    width: int
    height: int
    kind: str
    lanes: tuple[Lane, ...]
    box_top: int = MARGIN
    box_height: int = HEAD_HEIGHT


@dataclass(frozen=True)
class Segment:
    width: int
    height: int
    lifelines: tuple[float, ...]
    arrows: tuple[Arrow, ...]
    notes: tuple[Note, ...]
    description: str


def _round(value: float) -> float:
    return round(value, 1)


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def wrap(lines: Sequence[str], *, room: float) -> list[str]:
    """The lines, each broken at spaces (or, for a long word, anywhere) to fit room px."""
    width = max(4, math.floor(room / CHAR_WIDTH))
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
    return wrapped


def frame(
    *,
    lanes: Sequence[str],
    width: int,
    gaps: Sequence[float] | None = None,
    kind: str = "sequence",
) -> Frame:
    """Place the lanes across width px; gaps weigh the room between neighbours."""
    if len(lanes) < 2 or len(set(lanes)) != len(lanes):
        raise DiagramError("a drawing needs two or more lanes, each named once")
    weights = list(gaps) if gaps is not None else [1.0] * (len(lanes) - 1)
    if len(weights) != len(lanes) - 1 or any(weight <= 0 for weight in weights):
        raise DiagramError("expected one positive gap between each pair of neighbouring lanes")
    # The outer lanes stand far enough in for their head box to fit.
    first = _head_width(lanes[0]) / 2 + MARGIN
    last = width - _head_width(lanes[-1]) / 2 - MARGIN
    step = (last - first) / sum(weights)
    xs = [first]
    for weight in weights:
        xs.append(xs[-1] + weight * step)
    return Frame(lanes=tuple(lanes), xs=tuple(_round(x) for x in xs), width=width, kind=kind)


def gaps_for(lanes: Sequence[str], steps: Sequence[Step]) -> list[float]:
    """Weights for frame() that give each gap the room its widest label asks for.

    An arrow's label asks for its longest line's width, shared by the gaps it spans;
    every gap asks at least for its two head boxes, side by side.
    """
    needs = [
        (_head_width(left) + _head_width(right)) / 2 + 4 * MARGIN
        for left, right in itertools.pairwise(lanes)
    ]
    for step in steps:
        if step.is_note or step.source not in lanes or step.target not in lanes:
            continue
        first, last = sorted((lanes.index(step.source), lanes.index(step.target)))
        width = max(_text_width(line) for line in step.lines) + 2 * ARROWHEAD + 2 * MARGIN
        for gap in range(first, last):
            needs[gap] = max(needs[gap], width / (last - first))
    return needs


def _head_width(name: str) -> float:
    return max(48.0, _text_width(name) + 2 * NOTE_PADDING)


def draw_head(frame: Frame) -> Head:
    """The lanes' names in boxes, with the start of each lifeline below."""
    lanes = []
    for name, x in zip(frame.lanes, frame.xs, strict=True):
        box_width = _head_width(name)
        lanes.append(
            Lane(
                name=name,
                x=x,
                box_x=_round(x - box_width / 2),
                box_width=_round(box_width),
                label=Text(x=x, y=_round(MARGIN + HEAD_HEIGHT / 2 + FONT_SIZE / 3), text=name),
            )
        )
    return Head(
        width=frame.width,
        height=MARGIN + HEAD_HEIGHT + HEAD_GAP,
        kind=frame.kind,
        lanes=tuple(lanes),
    )


def draw_segment(frame: Frame, steps: Sequence[Step]) -> Segment:
    """The steps, one under another, between the lanes' lifelines."""
    arrows: list[Arrow] = []
    notes: list[Note] = []
    y = float(MARGIN)
    for step in steps:
        if step.style not in STYLES:
            raise DiagramError(f"unknown style {step.style!r}; expected one of {STYLES}")
        if step.is_note:
            note = _note(frame, step, top=y)
            notes.append(note)
            y = note.y + note.height + MARGIN + 2
        else:
            arrow = _arrow(frame, step, top=y)
            arrows.append(arrow)
            y = arrow.y + MARGIN + 3
    return Segment(
        width=frame.width,
        height=math.ceil(y),
        lifelines=frame.xs,
        arrows=tuple(arrows),
        notes=tuple(notes),
        description=" ".join(step.describe() for step in steps),
    )


def _arrow(frame: Frame, step: Step, *, top: float) -> Arrow:
    x1, x2 = frame.x(step.source), frame.x(step.target)
    if x1 == x2:
        raise DiagramError(f"an arrow needs two lanes; {step.source!r} points at itself")
    middle = (x1 + x2) / 2
    lines = wrap(step.lines, room=abs(x2 - x1) - 2 * ARROWHEAD)
    labels = tuple(
        Text(x=_round(middle), y=_round(top + LINE_HEIGHT * (index + 1) - 3), text=line)
        for index, line in enumerate(lines)
    )
    y = _round(top + LINE_HEIGHT * len(lines) + 3)
    direction = 1 if x2 > x1 else -1
    base = x2 - direction * ARROWHEAD
    head = f"{x2},{y} {_round(base)},{_round(y - 4)} {_round(base)},{_round(y + 4)}"
    return Arrow(
        x1=x1, x2=_round(base), y=y, head=head, labels=labels, style=step.style, tone=step.tone
    )


def _note(frame: Frame, step: Step, *, top: float) -> Note:
    x = frame.x(step.source)
    room = min(NOTE_MAX_WIDTH, frame.width - 2 * MARGIN) - 2 * NOTE_PADDING
    lines = wrap(step.lines, room=room)
    width = max(_text_width(line) for line in lines) + 2 * NOTE_PADDING
    # Centred on its lane, but kept inside the drawing: an outer lane's note leans inwards.
    left = min(max(x - width / 2, MARGIN), frame.width - MARGIN - width)
    height = LINE_HEIGHT * len(lines) + NOTE_PADDING
    labels = tuple(
        Text(
            x=_round(left + NOTE_PADDING),
            y=_round(top + NOTE_PADDING / 2 + LINE_HEIGHT * (index + 1) - 3),
            text=line,
        )
        for index, line in enumerate(lines)
    )
    return Note(
        x=_round(left),
        y=_round(top),
        width=_round(width),
        height=height,
        labels=labels,
        tone=step.tone,
    )
