"""The geometry of sequence diagrams: where lanes stand, how steps stack, how labels fit."""

from __future__ import annotations

import itertools

import pytest

from reference.diagram import (
    ARROWHEAD,
    CHAR_WIDTH,
    DiagramError,
    Segment,
    Step,
    draw_head,
    draw_segment,
    frame,
    gaps_for,
    wrap,
)

LANES = ("Client", "API", "Worker")


def make_step(source: str, target: str, *lines: str, style: str = "request") -> Step:
    return Step(source=source, target=target, lines=lines, style=style)


def extent(segment: Segment) -> list[tuple[float, float]]:
    """The vertical band of every arrow (its labels included) and note, top to bottom."""
    bands = [
        (min([arrow.y, *(label.y for label in arrow.labels)]) - 11, arrow.y + 4)
        for arrow in segment.arrows
    ]
    bands += [(note.y, note.y + note.height) for note in segment.notes]
    return sorted(bands)


def test_lanes_stand_in_order_inside_the_width_with_room_to_their_weights() -> None:
    drawing = frame(lanes=LANES, width=380, gaps=(5, 2))
    head = draw_head(drawing)
    assert list(drawing.xs) == sorted(drawing.xs)
    for lane in head.lanes:
        assert lane.box_x >= 0 and lane.box_x + lane.box_width <= 380
        assert lane.box_x + lane.box_width / 2 == pytest.approx(lane.x, abs=0.1)
        assert lane.label.text == lane.name and lane.label.x == lane.x
    first_gap, second_gap = drawing.xs[1] - drawing.xs[0], drawing.xs[2] - drawing.xs[1]
    assert first_gap / second_gap == pytest.approx(5 / 2, rel=0.01)
    assert head.height > head.box_top + head.box_height


def test_a_frame_refuses_lanes_it_cannot_place() -> None:
    with pytest.raises(DiagramError, match="each named once"):
        frame(lanes=("API", "API"), width=300)
    with pytest.raises(DiagramError, match="two or more lanes"):
        frame(lanes=("API",), width=300)
    with pytest.raises(DiagramError, match="positive gap"):
        frame(lanes=LANES, width=300, gaps=(1,))


def test_wrap_fits_the_room_and_loses_nothing() -> None:
    lines = wrap(["GET /api/jobs/job_123", "a-very-long-word-with-no-space-at-all"], room=100)
    assert all(len(line) * CHAR_WIDTH <= 100 for line in lines)
    assert len(lines) > 2
    assert (
        "".join(lines).replace(" ", "")
        == "GET/api/jobs/job_123a-very-long-word-with-no-space-at-all"
    )


def test_steps_stack_top_to_bottom_without_overlapping() -> None:
    drawing = frame(lanes=LANES, width=380, gaps=(5, 2))
    steps = [
        make_step("Client", "API", "POST /api/emails/bulk"),
        make_step("API", "Worker", "job queued", style="internal"),
        make_step("Worker", "Worker", "40%: Rendered message 1 of 2", style="note"),
        make_step("API", "Client", "202 Accepted", "Location: /api/jobs/job_1", style="response"),
    ]
    segment = draw_segment(drawing, steps)
    bands = extent(segment)
    assert len(bands) == 4
    for (_, bottom), (top, _) in itertools.pairwise(bands):
        assert bottom <= top + 1, bands
    assert [arrow.y for arrow in segment.arrows] == sorted(arrow.y for arrow in segment.arrows)
    assert bands[-1][1] <= segment.height
    assert segment.lifelines == drawing.xs


def test_an_arrow_runs_between_its_lanes_with_its_head_on_the_target() -> None:
    drawing = frame(lanes=LANES, width=380, gaps=(5, 2))
    client, api, _ = drawing.xs
    request, answer = draw_segment(
        drawing,
        [
            make_step("Client", "API", "GET /api/jobs/job_1"),
            make_step("API", "Client", "200 OK", "running · Retry-After: 1", style="response"),
        ],
    ).arrows
    assert request.x1 == client and request.x2 == pytest.approx(api - ARROWHEAD, abs=0.1)
    assert request.head.startswith(f"{api},{request.y} ")
    assert answer.x1 == api and answer.x2 == pytest.approx(client + ARROWHEAD, abs=0.1)
    assert answer.head.startswith(f"{client},{answer.y} ")
    assert [label.text for label in answer.labels] == ["200 OK", "running · Retry-After: 1"]
    for label in (*request.labels, *answer.labels):
        # Above its arrow, centred between the lanes, and no wider than the room between.
        assert label.y < (request if label in request.labels else answer).y
        assert label.x == pytest.approx((client + api) / 2, abs=0.1)
        assert len(label.text) * CHAR_WIDTH <= api - client


def test_a_long_label_wraps_onto_more_lines_and_pushes_the_arrow_down() -> None:
    drawing = frame(lanes=LANES, width=380)
    short = draw_segment(drawing, [make_step("Client", "API", "GET /")]).arrows[0]
    long = draw_segment(drawing, [make_step("Client", "API", "word " * 30)]).arrows[0]
    assert len(short.labels) == 1 and len(long.labels) > 2
    assert long.y > short.y


def test_a_note_on_an_outer_lane_stays_inside_the_drawing() -> None:
    drawing = frame(lanes=LANES, width=380, gaps=(5, 2))
    note = draw_segment(
        drawing, [make_step("Worker", "Worker", "Cancellation requested; it stops", style="note")]
    ).notes[0]
    assert note.x >= 0 and note.x + note.width <= 380
    assert note.x < drawing.x("Worker") < note.x + note.width
    assert all(note.y < label.y < note.y + note.height for label in note.labels)


def test_the_text_alternative_says_every_step_in_order() -> None:
    drawing = frame(lanes=LANES, width=380)
    segment = draw_segment(
        drawing,
        [
            Step(
                "Client",
                "API",
                ("GET /api/jobs/job_1…",),
                "request",
                spoken="GET /api/jobs/job_123",
            ),
            make_step("Worker", "Worker", "Done.", style="note"),
            make_step("API", "Client", "303 See Other", "Location: /r", style="response"),
        ],
    )
    assert segment.description == (
        "Client to API: GET /api/jobs/job_123. Worker: Done. "
        "API to Client: 303 See Other, Location: /r."
    )


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (make_step("Client", "Database", "SELECT"), "no lane 'Database'"),
        (make_step("API", "API", "loop"), "points at itself"),
        (make_step("Client", "API", "x", style="shout"), "unknown style"),
    ],
)
def test_a_step_the_drawing_cannot_place_is_refused(step: Step, error: str) -> None:
    with pytest.raises(DiagramError, match=error):
        draw_segment(frame(lanes=LANES, width=380), [step])


def test_gaps_follow_the_widest_label_between_lanes() -> None:
    lanes = ("queued", "running", "succeeded")
    steps = [
        make_step("queued", "running", "a worker starts it and the label goes on and on"),
        make_step("running", "succeeded", "done"),
        make_step("Worker", "Worker", "a note asks for no gap at all", style="note"),
    ]
    wide, narrow = gaps_for(lanes, steps)
    assert wide > narrow
    # The label's longest line fits the gap it was given.
    assert wide >= len(steps[0].lines[0]) * CHAR_WIDTH + 2 * ARROWHEAD
    # A gap with only a short label still has room for the two head boxes side by side.
    head = draw_head(frame(lanes=lanes, width=int(wide + narrow + 200), gaps=(wide, narrow)))
    running, succeeded = head.lanes[1], head.lanes[2]
    assert running.box_x + running.box_width < succeeded.box_x
