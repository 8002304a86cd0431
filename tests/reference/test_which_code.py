"""Which code should I return? (/which-code/): the guide's content, its validation and its pages."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.checks import run_checks
from django.test import Client

from reference import which_code
from reference.catalog import get_catalog
from reference.schema import ContentError
from reference.which_code import get_guide, load_guide

POLL = "/which-code/ready/work/clear/not-done/may-fail/poll/"
# What an asynchronous API needs the guide to reach, besides the synchronous successes.
REQUIRED_CODES = {200, 201, 202, 204, 303, 409, 410, 429, 503}


class StepParser(HTMLParser):
    """The links of one step: answers, the trail, the code-page section of a finished answer."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []
        self.trail: list[str] = []
        self.sections: list[str] = []
        self.ids: set[str] = set()
        self.in_trail = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "nav" and "which-code__trail" in classes:
            self.in_trail = True
        if tag != "a" or not values.get("href"):
            return
        href = values["href"] or ""
        if "which-code__answer" in classes:
            self.answers.append(href)
            assert values.get("data-hx-get") == href, "the htmx request and the link must agree"
        elif "which-code__section" in classes:
            self.sections.append(href)
        elif self.in_trail and href.startswith("/which-code/"):
            self.trail.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_trail = False


def parse(html: str) -> StepParser:
    parser = StepParser()
    parser.feed(html)
    return parser


@pytest.fixture
def client() -> Client:
    return Client()


# -- The guide's pages, through HTTP -----------------------------------------------


def test_every_path_from_the_first_question_reaches_a_code_page(client: Client) -> None:
    finished: dict[str, str] = {}
    queue = ["/which-code/"]
    seen: set[str] = set()
    while queue:
        path = queue.pop()
        assert path not in seen, f"{path} reached twice: the guide's URLs must be one per path"
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        step = parse(response.content.decode())
        if step.answers:
            assert not step.sections, f"{path} asks a question and answers at once"
            assert all(answer.startswith(path) for answer in step.answers), path
            queue.extend(step.answers)
            continue
        assert len(step.sections) == 1, f"{path} neither asks nor answers"
        finished[path] = step.sections[0]
    assert len(finished) == len(get_guide().finished_paths())
    codes = set()
    for path, section in finished.items():
        target = urlsplit(section)
        page = client.get(target.path)
        assert page.status_code == 200, (
            f"{path} leads to {section}, which answers {page.status_code}"
        )
        assert target.fragment in parse(page.content.decode()).ids, f"{path}: {section}"
        codes.add(int(target.path.strip("/")))
    assert codes >= REQUIRED_CODES


def test_a_finished_answer_url_renders_the_answer_directly(client: Client) -> None:
    response = client.get(POLL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Answer 202 Accepted — Which code should I return?</title>" in html
    assert (
        '<h2 id="answer-heading" tabindex="-1"><span class="status-code status-code--2xx">202'
        in html
    )
    assert "HTTP/1.1 202 Accepted\nLocation: /api/jobs/job_123\n" in html
    assert "Retry-After: 2" in html and "Content-Location" in html
    step = parse(html)
    assert step.sections == ["/202/#how-to-respond"]
    # The trail: one link per answer given, each back to the question it answered.
    assert step.trail == [
        "/which-code/",
        "/which-code/ready/",
        "/which-code/ready/work/",
        "/which-code/ready/work/clear/",
        "/which-code/ready/work/clear/not-done/",
        "/which-code/ready/work/clear/not-done/may-fail/",
        "/which-code/",  # start over
    ]
    assert f'href="http://testserver{POLL}" data-copy-link' in html


@pytest.mark.parametrize(
    ("path", "code", "header"),
    [
        ("/which-code/rate-limited/", 429, "Retry-After: 30"),
        ("/which-code/overloaded/", 503, "Retry-After: 30"),
        ("/which-code/ready/work/clear/done/created/", 201, "Location: /api/things/thing_42"),
        ("/which-code/ready/monitor/known/succeeded/", 303, "Location: /api/jobs/job_123/result"),
        ("/which-code/ready/monitor/expired/", 410, None),
        ("/which-code/ready/cancel/finished/", 409, "Content-Type: application/problem+json"),
        ("/which-code/ready/work/clear/done/not-created/no-body/", 204, "ETag"),
    ],
)
def test_answers_name_the_code_and_the_headers_to_send(
    client: Client, path: str, code: int, header: str | None
) -> None:
    html = client.get(path).content.decode()
    assert f'<span class="status-code status-code--{code // 100}xx">{code}</span>' in html
    if header:
        assert header in html


def test_a_question_url_renders_that_question(client: Client) -> None:
    html = client.get("/which-code/ready/work/clear/not-done/").content.decode()
    assert "Can what runs after you answer still fail, or change the outcome?" in html
    assert parse(html).answers == [
        "/which-code/ready/work/clear/not-done/cannot-fail/",
        "/which-code/ready/work/clear/not-done/may-fail/",
    ]
    first = client.get("/which-code/").content.decode()
    assert "Can the server take this request on right now?" in first
    assert 'id="trail-heading"' not in first  # nothing answered yet


def test_htmx_gets_just_the_step_with_its_title_and_a_history_restore_the_page(
    client: Client,
) -> None:
    response = client.get(POLL, headers={"HX-Request": "true"})
    html = response.content.decode().strip()
    assert html.startswith("<title>Answer 202 Accepted — Which code should I return?</title>")
    assert "<html" not in html and "<h1" not in html
    assert '<div id="which-code"' in html
    assert 'id="answer-heading" tabindex="-1" autofocus' in html
    assert "HX-Request" in response["Vary"]
    restore = client.get(POLL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()
    assert "autofocus" not in restore.content.decode()
    assert "HX-History-Restore-Request" in restore["Vary"]


def test_steps_are_publicly_cacheable_and_answer_conditional_requests(client: Client) -> None:
    response = client.get(POLL)
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    again = client.get(POLL, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert client.head(POLL).status_code == 200
    assert client.post(POLL).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/which-code/nope/",
        "/which-code/ready/nope/",
        "/which-code/rate-limited/ready/",  # past a finished answer
        f"{POLL}more/",
        "/which-code/READY/",
        "/which-code/ready//work/",
        "/which-code/ready/monitor/known/ready/",
    ],
)
def test_unknown_paths_are_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_path_without_its_slash_redirects_to_it(client: Client) -> None:
    response = client.get("/which-code/ready/work")
    assert response.status_code == 301
    assert response["Location"] == "/which-code/ready/work/"


def test_the_guide_is_linked_from_the_header_and_the_site_map(client: Client) -> None:
    assert 'href="/which-code/"' in client.get("/202/").content.decode()
    assert 'href="/which-code/" aria-current="page"' in client.get("/which-code/").content.decode()
    assert "<loc>http://testserver/which-code/</loc>" in client.get("/sitemap.xml").content.decode()


# -- The shipped guide ---------------------------------------------------------------


def test_the_shipped_guide_validates_and_covers_an_asynchronous_api() -> None:
    guide = get_guide()
    assert {result.code for result in guide.results.values()} >= REQUIRED_CODES
    catalog = get_catalog()
    for result in guide.results.values():
        assert result.section_id in catalog.pages[result.code].section_ids
    assert (
        guide.walk(("ready", "work", "clear", "not-done", "may-fail", "poll")).result
        == (guide.results["accepted-poll"])
    )


# -- Validation of the file ------------------------------------------------------------

GOOD: dict[str, Any] = {
    "intro": "Pick an answer. See [202](/202/#pitfalls).",
    "start": "first",
    "questions": {
        "first": {
            "text": "Is the work done?",
            "answers": [
                {"slug": "done", "text": "Yes", "result": "ok"},
                {"slug": "later", "text": "No", "next": "second"},
            ],
        },
        "second": {
            "text": "Can it fail?",
            "diagram": "M20 DELETE enacted?",
            "answers": [
                {"slug": "may-fail", "text": "Yes", "result": "accepted"},
                {"slug": "full", "text": "The queue is full", "result": "full"},
            ],
        },
    },
    "results": {
        "ok": {"code": 200, "section": "server-perspective", "reason": "Done."},
        "accepted": {
            "code": 202,
            "section": "how-to-respond",
            "reason": "Later.",
            "headers": [{"name": "Retry-After", "value": "2", "why": "When to poll."}],
        },
        "full": {"code": 503, "section": "explanation", "reason": "Full."},
    },
}


def make_guide_file(folder: Path, change: Any = None) -> Path:
    """GOOD, changed in place by ``change(data)``, written where the loader reads it."""
    data = copy.deepcopy(GOOD)
    if change:
        change(data)
    path = folder / "which_code.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ContentError) as raised:
        load_guide(path, get_catalog())
    return str(raised.value)


def test_a_valid_guide_loads_and_walks(tmp_path: Path) -> None:
    guide = load_guide(make_guide_file(tmp_path), get_catalog())
    assert guide.finished_paths() == [("done",), ("later", "may-fail"), ("later", "full")]
    walk = guide.walk(("later", "may-fail"))
    assert walk.result is not None and walk.result.code == 202
    assert walk.result.section_heading == "How to respond"
    assert [step.asked_after for step in walk.steps] == [(), ("later",)]
    with pytest.raises(which_code.UnknownAnswers):
        guide.walk(("later", "done"))


def test_unknown_key_names_file_key_and_what_was_expected(tmp_path: Path) -> None:
    path = make_guide_file(tmp_path, lambda d: d["questions"]["first"].update(colour="red"))
    assert error_of(path) == (
        "which_code.yaml: questions.first.colour: unknown key; "
        "expected one of text, help, diagram, answers"
    )
    path = make_guide_file(tmp_path, lambda d: d.update(title="x"))
    assert error_of(path) == (
        "which_code.yaml: file.title: unknown key; expected one of intro, start, questions, results"
    )


def test_an_answer_naming_a_code_with_no_page_is_refused(tmp_path: Path) -> None:
    path = make_guide_file(tmp_path, lambda d: d["results"]["ok"].update(code=299))
    assert error_of(path) == (
        "which_code.yaml: results.ok.code: no content file for code 299; "
        "expected a code with a page"
    )


def test_a_section_the_code_page_lacks_is_refused(tmp_path: Path) -> None:
    path = make_guide_file(tmp_path, lambda d: d["results"]["full"].update(section="pitfalls"))
    assert error_of(path) == (
        "which_code.yaml: results.full.section: /503/ has no section 'pitfalls'; "
        "expected one of explanation, references, related"
    )


def test_a_dangling_question_is_refused(tmp_path: Path) -> None:
    def dangle(data: dict[str, Any]) -> None:
        data["questions"]["first"]["answers"][1]["next"] = "nowhere"

    assert error_of(make_guide_file(tmp_path, dangle)) == (
        "which_code.yaml: questions.first.answers[1].next: no question 'nowhere'; "
        "expected one of first, second"
    )

    def dangle_result(data: dict[str, Any]) -> None:
        data["questions"]["second"]["answers"][0]["result"] = "nothing"

    assert error_of(make_guide_file(tmp_path, dangle_result)) == (
        "which_code.yaml: questions.second.answers[0].result: no result 'nothing'; "
        "expected one of ok, accepted, full"
    )


def test_a_cycle_is_refused(tmp_path: Path) -> None:
    def loop(data: dict[str, Any]) -> None:
        data["questions"]["second"]["answers"][1] = {"slug": "again", "text": "?", "next": "first"}
        data["results"].pop("full")

    assert error_of(make_guide_file(tmp_path, loop)) == (
        "which_code.yaml: questions.second.answers[1].next: leads back to a question already "
        "asked (first → second → first); expected every path to end on a result"
    )


def test_unreachable_questions_and_results_are_refused(tmp_path: Path) -> None:
    def orphan(data: dict[str, Any]) -> None:
        data["questions"]["third"] = copy.deepcopy(data["questions"]["second"])

    assert error_of(make_guide_file(tmp_path, orphan)) == (
        "which_code.yaml: questions.third: no answer leads here; "
        "expected every question to be reachable from 'first'"
    )

    def unused(data: dict[str, Any]) -> None:
        data["results"]["spare"] = {"code": 204, "section": "eli5", "reason": "Spare."}

    assert error_of(make_guide_file(tmp_path, unused)) == (
        "which_code.yaml: results.spare: no answer leads here; "
        "expected every result to be reachable from 'first'"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["questions"]["first"]["answers"][0].update(next="second"),
            "questions.first.answers[0]: expected exactly one of next (a question) or result",
        ),
        (
            lambda d: d["questions"]["first"]["answers"][0].pop("result"),
            "questions.first.answers[0]: expected exactly one of next (a question) or result",
        ),
        (
            lambda d: d["questions"]["first"]["answers"][0].update(slug="Done!"),
            "questions.first.answers[0].slug: expected a lowercase slug like not-done",
        ),
        (
            lambda d: d["questions"]["first"]["answers"][1].update(slug="done"),
            "questions.first.answers[1].slug: expected a slug unique in the question, "
            "not 'done' again",
        ),
        (
            lambda d: d["questions"]["first"].update(
                answers=d["questions"]["first"]["answers"][:1]
            ),
            "questions.first.answers: expected at least two answers",
        ),
        (
            lambda d: d["questions"]["first"]["answers"][0].update(text="See [this](/202/)"),
            "questions.first.answers[0].text: "
            "expected plain text (it becomes a link; no links in it)",
        ),
        (
            lambda d: d["results"]["ok"].update(reason="See [410](/410/#pitfalls)."),
            "results.ok.reason: link /410/#pitfalls names no section of that page",
        ),
        (
            lambda d: d.update(intro="See [the guide](/no-such-page/)."),
            "intro: link /no-such-page/ leads to no page of this site",
        ),
        (
            lambda d: d["results"]["accepted"]["headers"][0].update(name="Retry After"),
            "results.accepted.headers[0].name: expected a header field name",
        ),
        (
            lambda d: d["results"]["accepted"]["headers"][0].pop("why"),
            "results.accepted.headers[0].why: missing required key",
        ),
        (lambda d: d["results"]["ok"].update(code="200"), "results.ok.code: expected an integer"),
        (
            lambda d: d.update(start="second-ish"),
            "start: no question 'second-ish'; expected one of first, second",
        ),
    ],
)
def test_each_rule_names_the_key(tmp_path: Path, change: Any, expected: str) -> None:
    assert error_of(make_guide_file(tmp_path, change)) == f"which_code.yaml: {expected}"


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "which_code.yaml"
    path.write_text("questions: [unclosed\n", encoding="utf-8")
    assert error_of(path).startswith("which_code.yaml: file: expected valid YAML (")


@pytest.fixture
def fresh_guide() -> Iterator[None]:
    get_guide.cache_clear()
    yield
    get_guide.cache_clear()


def test_the_system_check_reports_a_broken_guide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_guide: None
) -> None:
    assert [m for m in run_checks(tags=["content"]) if m.id == "reference.E002"] == []
    path = make_guide_file(tmp_path, lambda d: d["results"]["ok"].update(code=299))
    monkeypatch.setattr(which_code, "GUIDE_PATH", path)
    errors = [m for m in run_checks(tags=["content"]) if m.id == "reference.E002"]
    assert [error.msg for error in errors] == [
        "which_code.yaml: results.ok.code: no content file for code 299; "
        "expected a code with a page"
    ]
    assert errors[0].hint == f"Fix {path}."
