"""Each convention's every stage is backed by its document: each quote is a sentence of
the passages kept in tests/api/sources (as read from the document), each stage has
quotes or says why the demo chose, the statuses agree with the conventions' data, and
the API answers each stage with the statuses and headers the citations name.

A convention cited but not served yet (no entry in api.conventions) is left out of
the checks that need one, and only those.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.citations import CITATIONS, Stage
from api.conventions import CONVENTIONS, Convention
from jobs.models import Job
from tests.helpers import ApiClient, make_email_payload, run_worker

SOURCES = Path(__file__).parent / "sources"
STAGE_NAMES = {
    "accepted",
    "pending",
    "running",
    "succeeded",
    "result",
    "failed",
    "canceled",
    "cancel",
    "cancel-running",
    "cancel-finished",
    "expired",
}
# Which cited stages each field of api.conventions.Stages sums up.
STAGES_FIELDS = {
    "accepted": ("accepted",),
    "pending": ("pending", "running"),
    "done": ("succeeded",),
    "result": ("result",),
    "failed": ("failed",),
    "canceled": ("canceled",),
    "cancel": ("cancel", "cancel-running"),
}
SERVED = [convention for convention in CONVENTIONS if convention.id in CITATIONS]
BOUNCING = ("a@bounce.example.test", "b@bounce.example.test")


def plain(text: str) -> str:
    """The words of a passage without its markup, so a quote matches the sentence as
    the published page shows it. Applied alike to the kept passages and the quotes:
    the XML elements and BCP 14 entities of the RFC's source (<x:ref>, &SHOULD;), the
    comment marks of a .proto file (// at a line's start), Markdown link targets
    ([text](url), [text][ref]) and pandoc spans ([text]{style}), the emphasis and code
    marks * _ `, the brackets and braces left over (AsciiDoc's {201} reads 201), and
    backslash escapes; then every run of whitespace is one space."""
    text = re.sub(r"</?(?:x:ref|x:dfn|t)>", "", text)
    text = re.sub(r"&([A-Z]+(?:-[A-Z]+)*);", lambda entity: entity[1].replace("-", " "), text)
    text = re.sub(r"(?m)^\s*//", "", text)
    text = re.sub(r"\]\([^)]*\)", "", text)
    text = re.sub(r"\]\[[^\]]*\]", "", text)
    text = re.sub(r"\]\{[^}]*\}", "", text)
    text = re.sub(r"[\[\]{}*_`\\]", "", text)
    return " ".join(text.split())


@cache
def kept_passages() -> dict[str, str]:
    """Each document's kept passages, by the document's URL (the file's source: line)."""
    passages = {}
    for path in sorted(SOURCES.glob("*.txt")):
        text = path.read_text()
        source = re.match(r"source: (\S+)\n", text)
        assert source is not None, f"{path.name} starts with its source: URL"
        assert re.search(r"^read from: \S+/\S+ \S+ @ [0-9a-f]{40}$", text, re.M), path.name
        passages[source[1]] = plain(text)
    return passages


def document_of(url: str) -> str:
    return url.partition("#")[0]


QUOTES = [
    pytest.param(quote, id=f"{convention_id}-{stage.stage}-{index}")
    for convention_id, stages in CITATIONS.items()
    for stage in stages
    for index, quote in enumerate(stage.quotes)
]


# -- The data --------------------------------------------------------------------


@pytest.mark.parametrize("quote", QUOTES)
def test_every_quote_is_a_sentence_of_its_document(quote: Any) -> None:
    passages = kept_passages()
    document = document_of(quote.url)
    assert document in passages, f"no passages of {document} are kept in {SOURCES}"
    assert plain(quote.text) in passages[document], quote.text


@pytest.mark.parametrize("quote", QUOTES)
def test_every_quote_links_to_its_section(quote: Any) -> None:
    assert urlsplit(quote.url).scheme == "https"
    assert urlsplit(quote.url).fragment, quote.url
    assert quote.label


def test_every_served_convention_is_cited() -> None:
    assert {convention.id for convention in CONVENTIONS} <= set(CITATIONS)


@pytest.mark.parametrize("convention_id", list(CITATIONS))
def test_every_stage_has_quotes_or_says_why_the_demo_chose(convention_id: str) -> None:
    names = [stage.stage for stage in CITATIONS[convention_id]]
    assert len(names) == len(set(names)), names
    assert set(names) <= STAGE_NAMES, set(names) - STAGE_NAMES
    for stage in CITATIONS[convention_id]:
        assert stage.quotes or stage.our_choice, f"{convention_id} {stage.stage}"
        assert stage.statuses and all(100 <= status <= 599 for status in stage.statuses)
        assert all(re.fullmatch(r"[A-Z][A-Za-z-]+", header) for header in stage.headers)


@pytest.mark.parametrize("convention", SERVED, ids=lambda c: c.id)
def test_the_cited_statuses_are_the_conventions_statuses(convention: Convention) -> None:
    cited = {stage.stage: set(stage.statuses) for stage in CITATIONS[convention.id]}
    listed = convention.statuses.to_json()
    for field, stage_names in STAGES_FIELDS.items():
        named = set().union(*(cited.get(name, set()) for name in stage_names))
        assert named == set(listed[field]), f"{convention.id} {field}"


def test_the_registry_serves_each_conventions_stages(api: ApiClient) -> None:
    served = api.get("/api/conventions").json()["conventions"]
    assert [c["id"] for c in served] == [c.id for c in CONVENTIONS]
    for convention in served:
        stages = convention["stages"]
        assert [s["stage"] for s in stages] == [s.stage for s in CITATIONS[convention["id"]]]
        for stage in stages:
            assert set(stage) == {
                "stage",
                "statuses",
                "headers",
                "members",
                "quotes",
                "ourChoice",
            }
            assert stage["quotes"] or stage["ourChoice"]
        # The keys clients already read are all still there.
        assert {"statuses", "submit", "monitor", "result", "cancel", "notes"} <= set(convention)


# -- The API, stage by stage -------------------------------------------------------


def submit(api: ApiClient, convention: Convention, **kwargs: Any) -> Any:
    outcome = kwargs.pop("outcome", "")
    url = convention.submit["bulk-email"] + (f"?outcome={outcome}" if outcome else "")
    payload = make_email_payload(*kwargs.pop("recipients", ()))
    # OData processes a request asynchronously only when asked to; the others ignore it.
    return api.post_json(url, payload, headers={"Prefer": "respond-async"})


def job_id_of(response: Any) -> str:
    body = response.json()
    found = body.get("jobId") or body.get("id") or body["name"].removeprefix("operations/")
    assert isinstance(found, str) and found.startswith("job_"), body
    return found


def cancel(api: ApiClient, convention: Convention, job_id: str) -> Any:
    assert convention.cancel is not None, f"{convention.id} cites a cancel it does not serve"
    return api.request(convention.cancel.method, convention.cancel.path.replace("{jobId}", job_id))


def assert_answers_as_cited(response: Any, stage: Stage, convention: Convention) -> None:
    where = f"{convention.id} {stage.stage}"
    assert response.status_code in stage.statuses, f"{where}: {response.status_code}"
    for header in stage.headers:
        assert header in response, f"{where}: no {header}"
    if stage.members:
        body = response.json()
        assert set(stage.members) <= set(body), f"{where}: {set(stage.members) - set(body)}"


def result_answer(api: ApiClient, convention: Convention, succeeded: Any, job_id: str) -> Any:
    """The result where the convention's client reads it: at the redirect's Location, at
    the result URL, or in the monitor's own answer when there is no result URL."""
    if succeeded.status_code in (302, 303):
        return api.get(succeeded["Location"])
    if convention.result is None:
        return api.get(convention.monitor_path(job_id))
    return api.get(convention.result.replace("{jobId}", job_id))


# Once (make test): it checks the citations against the answers, whatever the database.
@pytest.mark.documents
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", SERVED, ids=lambda c: c.id)
def test_the_api_answers_each_stage_as_cited(api: ApiClient, convention: Convention) -> None:
    stages = {stage.stage: stage for stage in CITATIONS[convention.id]}
    answers: dict[str, Any] = {}
    answers["accepted"] = submit(api, convention)
    job_id = job_id_of(answers["accepted"])
    answers["pending"] = api.get(convention.monitor_path(job_id))
    failing = job_id_of(submit(api, convention, recipients=BOUNCING))
    expiring = job_id_of(submit(api, convention, outcome="gone-after-done"))
    queued = job_id_of(submit(api, convention))
    answers["cancel"] = cancel(api, convention, queued)
    answers["canceled"] = api.get(convention.monitor_path(queued))
    answers["cancel-finished"] = cancel(api, convention, queued)
    run_worker()
    answers["succeeded"] = api.get(convention.monitor_path(job_id))
    answers["result"] = result_answer(api, convention, answers["succeeded"], job_id)
    answers["failed"] = api.get(convention.monitor_path(failing))
    answers["expired"] = api.get(convention.monitor_path(expiring))
    if "cancel-running" in stages:
        running = job_id_of(submit(api, convention))
        # As a worker would have it when the cancel comes: running, so it stops at its next step.
        Job.objects.filter(public_id=running).update(status=Job.Status.RUNNING)
        answers["cancel-running"] = cancel(api, convention, running)
    assert set(stages) <= set(answers), set(stages) - set(answers)
    for name, stage in stages.items():
        assert_answers_as_cited(answers[name], stage, convention)
