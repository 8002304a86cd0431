"""The guide behind "Which code should I return?" (``/which-code/``): its schema,
loading and validation, and walking a path of answers through it.

The questions live in ``reference/which_code.yaml``, not in templates. Each
question has answers; each answer leads to another question (``next``) or to a
result (``result``): a status code with the reason, the headers to send and the
section of the code's page that explains it. The schema is declared here and
nowhere else. :func:`load_guide` raises :class:`ContentError` naming the file,
the key and what was expected; the system check in ``reference.checks`` runs it
through :func:`get_guide`, so a broken file stops ``manage.py check``,
``runserver`` and the tests, never a request.

Beyond the keys and their types, a guide must hang together: every ``next``
names a question and every ``result`` a result, every result's code has a page
with that section, every question and result is reachable from ``start``, and no
answer leads back to a question already asked, so every path ends on a result.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reference.catalog import (
    CODE_LINK_RE,
    INTERNAL_LINK_RE,
    SITE_PATHS,
    get_catalog,
    render_markdown,
)
from reference.catalog import _check_mapping as check_mapping
from reference.schema import SLUG_RE, Catalog, ContentError

GUIDE_PATH = Path(__file__).with_name("which_code.yaml")

# -- The schema ---------------------------------------------------------------

GUIDE_KEYS = {"intro": str, "start": str, "questions": dict, "results": dict}
QUESTION_KEYS = {"text": str, "help": str, "diagram": str, "answers": list}
QUESTION_REQUIRED = ("text", "answers")
# An answer has exactly one of "next" (a question id) and "result" (a result id).
ANSWER_KEYS = {"slug": str, "text": str, "next": str, "result": str}
ANSWER_REQUIRED = ("slug", "text")
RESULT_KEYS = {"code": int, "section": str, "reason": str, "headers": list}
RESULT_REQUIRED = ("code", "section", "reason")
HEADER_KEYS = {"name": str, "value": str, "why": str}

HEADER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
INLINE_CODE_RE = re.compile(r"`([^`]+)`")

# -- What a guide is ------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    slug: str
    text: str
    html: str
    next: str | None
    result: str | None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    html: str
    help_html: str
    diagram: str
    answers: tuple[Answer, ...]

    def answer(self, slug: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.slug == slug), None)


@dataclass(frozen=True)
class HeaderAdvice:
    name: str
    value: str
    why_html: str


@dataclass(frozen=True)
class Result:
    id: str
    code: int
    title: str
    status_class: str
    section_id: str
    section_heading: str
    reason_html: str
    headers: tuple[HeaderAdvice, ...]

    @property
    def status_line(self) -> str:
        return f"HTTP/1.1 {self.code} {self.title}"


@dataclass(frozen=True)
class Step:
    """One answer given: the question, the answer, and the answers that led to the question."""

    question: Question
    answer: Answer
    asked_after: tuple[str, ...]


@dataclass(frozen=True)
class Walk:
    """Where a path of answers leads: the steps taken, then a question or a result."""

    slugs: tuple[str, ...]
    steps: tuple[Step, ...]
    question: Question | None
    result: Result | None


class UnknownAnswers(LookupError):
    """A path of answers the guide does not have."""


@dataclass(frozen=True)
class Guide:
    intro_html: str
    start: str
    questions: Mapping[str, Question]
    results: Mapping[str, Result]

    def walk(self, slugs: Sequence[str]) -> Walk:
        """Follow ``slugs`` from the first question; raise UnknownAnswers off the guide."""
        question: Question | None = self.questions[self.start]
        result: Result | None = None
        steps: list[Step] = []
        for position, slug in enumerate(slugs):
            answer = question.answer(slug) if question else None
            if question is None or answer is None:
                raise UnknownAnswers("/".join(slugs))
            steps.append(Step(question, answer, tuple(slugs[:position])))
            if answer.next:
                question = self.questions[answer.next]
            else:
                question, result = None, self.results[str(answer.result)]
        return Walk(tuple(slugs), tuple(steps), question, result)

    def finished_paths(self) -> list[tuple[str, ...]]:
        """Every path of answers that ends on a result, in the order the guide lists them."""
        paths: list[tuple[str, ...]] = []

        def visit(question: Question, prefix: tuple[str, ...]) -> None:
            for answer in question.answers:
                if answer.next:
                    visit(self.questions[answer.next], (*prefix, answer.slug))
                else:
                    paths.append((*prefix, answer.slug))

        visit(self.questions[self.start], ())
        return paths


# -- Parsing and validation ------------------------------------------------------


def _inline_html(path: Path, where: str, text: str) -> str:
    """Question and answer texts become link text: plain words and `code`, no links."""
    if not text.strip():
        raise ContentError(path, where, "expected a non-empty string")
    if INTERNAL_LINK_RE.search(text) or "](" in text:
        raise ContentError(path, where, "expected plain text (it becomes a link; no links in it)")
    return INLINE_CODE_RE.sub(r"<code>\1</code>", html.escape(text.strip(), quote=False))


def _prose_html(path: Path, where: str, text: str, catalog: Catalog) -> str:
    """Markdown whose links to this site must lead to a page (and section) that exists."""
    if not text.strip():
        raise ContentError(path, where, "expected a non-empty string")
    for link in INTERNAL_LINK_RE.findall(text):
        target = CODE_LINK_RE.match(link)
        if target:
            page = catalog.get(int(target.group(1)))
            if page is None:
                raise ContentError(path, where, f"link {link} leads to no content file")
            if target.group(2) and target.group(2) not in page.section_ids:
                raise ContentError(path, where, f"link {link} names no section of that page")
        elif link.split("#")[0] not in SITE_PATHS:
            raise ContentError(path, where, f"link {link} leads to no page of this site")
    return render_markdown(text.strip())


def _check_id(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise ContentError(path, where, "expected a lowercase slug like not-done")
    return value


def _parse_result(path: Path, result_id: str, raw: Any, catalog: Catalog) -> Result:
    where = f"results.{result_id}"
    data = check_mapping(path, where, raw, RESULT_KEYS, RESULT_REQUIRED)
    page = catalog.get(data["code"])
    if page is None:
        raise ContentError(
            path,
            f"{where}.code",
            f"no content file for code {data['code']}; expected a code with a page",
        )
    if data["section"] not in page.section_ids:
        raise ContentError(
            path,
            f"{where}.section",
            f"/{page.code}/ has no section {data['section']!r}; "
            f"expected one of {', '.join(page.section_ids)}",
        )
    headers = []
    for index, raw_header in enumerate(data.get("headers", [])):
        header_where = f"{where}.headers[{index}]"
        header = check_mapping(path, header_where, raw_header, HEADER_KEYS, HEADER_KEYS)
        if not HEADER_NAME_RE.match(header["name"]):
            raise ContentError(path, f"{header_where}.name", "expected a header field name")
        if not header["value"].strip() or "\n" in header["value"]:
            raise ContentError(path, f"{header_where}.value", "expected a one-line value")
        why = _prose_html(path, f"{header_where}.why", header["why"], catalog)
        headers.append(HeaderAdvice(header["name"], header["value"].strip(), why))
    return Result(
        id=result_id,
        code=page.code,
        title=page.title,
        status_class=page.status_class,
        section_id=data["section"],
        section_heading=page.section(data["section"]).heading,
        reason_html=_prose_html(path, f"{where}.reason", data["reason"], catalog),
        headers=tuple(headers),
    )


def _parse_answer(path: Path, where: str, raw: Any) -> Answer:
    data = check_mapping(path, where, raw, ANSWER_KEYS, ANSWER_REQUIRED)
    slug = _check_id(path, f"{where}.slug", data["slug"])
    if ("next" in data) == ("result" in data):
        raise ContentError(path, where, "expected exactly one of next (a question) or result")
    return Answer(
        slug=slug,
        text=data["text"].strip(),
        html=_inline_html(path, f"{where}.text", data["text"]),
        next=data.get("next"),
        result=data.get("result"),
    )


def _parse_question(path: Path, question_id: str, raw: Any, catalog: Catalog) -> Question:
    where = f"questions.{question_id}"
    data = check_mapping(path, where, raw, QUESTION_KEYS, QUESTION_REQUIRED)
    if len(data["answers"]) < 2:
        raise ContentError(path, f"{where}.answers", "expected at least two answers")
    answers = tuple(
        _parse_answer(path, f"{where}.answers[{index}]", item)
        for index, item in enumerate(data["answers"])
    )
    slugs = [answer.slug for answer in answers]
    for index, slug in enumerate(slugs):
        if slug in slugs[:index]:
            raise ContentError(
                path,
                f"{where}.answers[{index}].slug",
                f"expected a slug unique in the question, not {slug!r} again",
            )
    help_text = data.get("help", "")
    return Question(
        id=question_id,
        text=data["text"].strip(),
        html=_inline_html(path, f"{where}.text", data["text"]),
        help_html=_prose_html(path, f"{where}.help", help_text, catalog) if help_text else "",
        diagram=data.get("diagram", "").strip(),
        answers=answers,
    )


def _check_links(
    path: Path, questions: Mapping[str, Question], results: Mapping[str, Result]
) -> None:
    for question in questions.values():
        for index, answer in enumerate(question.answers):
            where = f"questions.{question.id}.answers[{index}]"
            if answer.next is not None and answer.next not in questions:
                raise ContentError(
                    path,
                    f"{where}.next",
                    f"no question {answer.next!r}; expected one of {', '.join(questions)}",
                )
            if answer.result is not None and answer.result not in results:
                raise ContentError(
                    path,
                    f"{where}.result",
                    f"no result {answer.result!r}; expected one of {', '.join(results)}",
                )


def _check_shape(path: Path, start: str, questions: Mapping[str, Question]) -> set[str]:
    """No cycles, and every question reachable from ``start``; return the results used."""
    used: set[str] = set()
    done: set[str] = set()

    def visit(question_id: str, asked: tuple[str, ...]) -> None:
        path_here = (*asked, question_id)
        for index, answer in enumerate(questions[question_id].answers):
            following = answer.next
            if following is None:
                used.add(str(answer.result))
            elif following in path_here:
                cycle = " → ".join((*path_here[path_here.index(following) :], following))
                raise ContentError(
                    path,
                    f"questions.{question_id}.answers[{index}].next",
                    f"leads back to a question already asked ({cycle}); "
                    "expected every path to end on a result",
                )
            elif following not in done:
                visit(following, path_here)
        done.add(question_id)

    visit(start, ())
    for question_id in questions:
        if question_id not in done:
            raise ContentError(
                path,
                f"questions.{question_id}",
                f"no answer leads here; expected every question to be reachable from {start!r}",
            )
    return used


def load_guide(path: Path, catalog: Catalog) -> Guide:
    """Read and validate the guide in ``path`` against the pages of ``catalog``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContentError(path, "file", f"expected valid YAML ({error})") from error
    data = check_mapping(path, "file", raw, GUIDE_KEYS, GUIDE_KEYS)
    for key in ("questions", "results"):
        if not data[key]:
            raise ContentError(path, key, "expected at least one entry")
    questions = {
        _check_id(path, f"questions.{key}", key): _parse_question(path, key, value, catalog)
        for key, value in data["questions"].items()
    }
    results = {
        _check_id(path, f"results.{key}", key): _parse_result(path, key, value, catalog)
        for key, value in data["results"].items()
    }
    start = data["start"]
    if start not in questions:
        raise ContentError(
            path, "start", f"no question {start!r}; expected one of {', '.join(questions)}"
        )
    _check_links(path, questions, results)
    used = _check_shape(path, start, questions)
    for result_id in results:
        if result_id not in used:
            raise ContentError(
                path,
                f"results.{result_id}",
                f"no answer leads here; expected every result to be reachable from {start!r}",
            )
    intro = _prose_html(path, "intro", data["intro"], catalog)
    return Guide(intro_html=intro, start=start, questions=questions, results=results)


@functools.cache
def get_guide() -> Guide:
    """The site's guide, parsed once per process (after the catalog it links to)."""
    return load_guide(GUIDE_PATH, get_catalog())
