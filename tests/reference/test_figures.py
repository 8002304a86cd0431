"""Figures written in content: the 202 page's drawings, and the checks on figure blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobs.models import Job
from reference.catalog import get_catalog, parse_file
from reference.figures import FIGURE_RE, Figure, figures_in
from reference.schema import ContentError
from tests.reference.test_content import make_content_file

FINAL_STATES = {"succeeded", "failed", "canceled"}


def server_perspective() -> tuple[Path, str, str]:
    page = get_catalog().pages[202]
    section = page.section("server-perspective")
    return page.path, section.markdown, section.html


def figure_of_kind(kind: str) -> Figure:
    path, markdown, _ = server_perspective()
    (figure,) = [
        figure for figure in figures_in(path, "Server perspective", markdown) if figure.kind == kind
    ]
    return figure


def test_the_server_perspective_draws_its_two_figures_instead_of_text_diagrams() -> None:
    _, markdown, html = server_perspective()
    assert "```text" not in markdown and "──▶" not in html
    figures = re.findall(r'<figure class="sequence sequence--(\w+)">', html)
    assert figures == ["states", "sequence"]
    # Drawn inline, as decoration beside a sentence per row.
    assert html.count("<svg") == html.count('aria-hidden="true"') > 2
    assert "<figcaption>" in html


def test_the_state_figure_draws_the_jobs_own_states_and_real_transitions() -> None:
    figure = figure_of_kind("states")
    assert set(figure.lanes) == set(Job.Status.values)
    transitions = {(step.source, step.target) for group in figure.groups for step in group}
    assert {("queued", "running"), ("running", "succeeded"), ("running", "failed")} <= transitions
    # Recovery puts a job whose worker stopped back in the queue; cancel ends a pending one.
    assert {("running", "queued"), ("queued", "canceled"), ("running", "canceled")} <= transitions
    assert not [edge for edge in transitions if edge[0] in FINAL_STATES]
    assert all(len(group) == 1 for group in figure.groups)


def test_the_sequence_figure_draws_the_exchange_from_202_to_the_result() -> None:
    figure = figure_of_kind("sequence")
    assert figure.lanes == ("Client", "API", "Worker")
    answers = [
        step.lines[0] for group in figure.groups for step in group if step.style == "response"
    ]
    assert answers == ["202 Accepted", "200 OK", "304 Not Modified", "303 See Other", "200 OK"]
    # One group per exchange: each starts with the client's request and ends with the answer.
    for group in figure.groups:
        assert group[0].source == "Client" and group[-1].style == "response"
    _, _, html = server_perspective()
    assert "Client to API: GET /api/jobs/job_123, If-None-Match: &quot;v1&quot;." in html


FIGURE = """## Explanation

A short, accurate explanation.

```figure {kind}
{body}
```

More text.
"""
GOOD_BODY = (
    "caption: How to read it.\nlanes: Client, API\n\nClient -> API: GET /\nAPI --> Client: 200 OK"
)


def error_for(tmp_path: Path, body: str, kind: str = "sequence") -> str:
    path = make_content_file(tmp_path, body=FIGURE.format(kind=kind, body=body))
    with pytest.raises(ContentError) as raised:
        parse_file(path)
    return str(raised.value)


def test_a_figure_block_renders_in_place_of_its_fence(tmp_path: Path) -> None:
    page = parse_file(
        make_content_file(tmp_path, body=FIGURE.format(kind="sequence", body=GOOD_BODY))
    )
    html = page.section("explanation").html
    assert html.index("explanation.") < html.index("<figure") < html.index("More text.")
    assert "```" not in html and "figure-placeholder" not in html
    assert "API to Client: 200 OK." in html
    assert FIGURE_RE.search(page.section("explanation").markdown)


NOTE_IN_STATES = "caption: c\nlanes: a, b\nnote a: hi"
BROKEN_FIGURES = {
    "unknown kind": (GOOD_BODY, "sequense", "unknown figure 'sequense'; expected one of"),
    "unknown lane": (GOOD_BODY.replace("> Client", "> Web"), "sequence", "5: unknown lane 'Web'"),
    "no lanes": (GOOD_BODY.replace("lanes: Client, API\n", ""), "sequence", "line 3: expected"),
    "no arrow": (GOOD_BODY + "\nClient => API: /", "sequence", "line 6: expected 'Lane -> La"),
    "no label": (GOOD_BODY + "\nClient -> API:", "sequence", "line 6: expected a label after"),
    "a loop": (GOOD_BODY + "\nAPI -> API: x", "sequence", "line 6: an arrow joins two differ"),
    "an answer in states": (GOOD_BODY, "states", "line 5: a transition is written 'from ->"),
    "a note in states": (NOTE_IN_STATES, "states", "line 3: a states figure has transitions"),
    "no rows": ("caption: c\nlanes: a, b", "sequence", "expected 'caption:', 'lanes:' and at"),
    "one lane twice": ("caption: c\nlanes: a, b, a\na -> b: x", "sequence", "lanes: a drawing"),
}


@pytest.mark.parametrize(("body", "kind", "expected"), BROKEN_FIGURES.values(), ids=BROKEN_FIGURES)
def test_a_broken_figure_names_the_file_section_figure_and_line(
    tmp_path: Path, body: str, kind: str, expected: str
) -> None:
    error = error_for(tmp_path, body, kind)
    assert error.startswith("299.md: heading '## Explanation', figure 1"), error
    assert expected in error


def test_a_figure_that_cannot_stand_on_its_own_is_refused(tmp_path: Path) -> None:
    # Inside raw HTML, Markdown leaves the block's text alone: there is no place to draw it.
    body = "## Explanation\n\n<div>\n```figure sequence\n" + GOOD_BODY + "\n```\n</div>\n"
    path = make_content_file(tmp_path, body=body)
    with pytest.raises(ContentError, match="a figure stands on its own"):
        parse_file(path)
