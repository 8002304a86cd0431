"""The flow rules on real flows: the site's own, under every convention, draw no error
and no warning (the site practises what it teaches); each broken flow draws the rule
it breaks, and only where it breaks it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.conventions import CONVENTIONS, Convention
from checker import flow, report
from checker.exchanges import Exchange, Request, Response
from tests.helpers import make_email_payload, run_worker

ORIGIN = "http://testserver"
RECOGNISED = {
    "rfc9110": "rfc9110",
    "azure": "azure",
    "request-reply": "request-reply",
    "aip151": "aip151",
    "job-resource": "job-resource",
    "odata": "odata",
}


def recorded(client: Client, method: str, url: str, **kwargs: Any) -> Exchange:
    """One exchange with the site, as a HAR would hold it."""
    answer = client.generic(method, url, **kwargs)
    sent = [(name, value) for name, value in kwargs.get("headers", {}).items()]
    body = kwargs.get("data", "")
    return Exchange(
        Request(method, url if "://" in url else ORIGIN + url, tuple(sent), str(body)),
        Response(
            answer.status_code,
            answer.reason_phrase,
            tuple(answer.items()),
            answer.content.decode(),
        ),
    )


def own_flow(client: Client, convention: Convention) -> list[Exchange]:
    """The site's own flow under a convention: submit, poll while pending, then follow to
    the result, as a careful client does."""
    headers = {"Prefer": "respond-async"} if convention.id == "odata" else {}
    submit = recorded(
        client,
        "POST",
        convention.submit["bulk-email"],
        data=json.dumps(make_email_payload()),
        content_type="application/json",
        headers=headers,
    )
    exchanges = [submit]
    # Polled where the convention says a client finds the monitor.
    source = convention.monitor_from.partition(":")[2]
    monitor = dict(flow.monitors_of(submit)).get("body:name" if source == "name" else source)
    assert monitor is not None, convention.id
    exchanges.append(recorded(client, "GET", monitor))
    run_worker()
    done = recorded(client, "GET", monitor)
    exchanges.append(done)
    target = done.response.header("Location")
    if done.response.status in (302, 303) and target:
        exchanges.append(recorded(client, "GET", done.resolve(target)))
    return exchanges


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.id)
def test_the_sites_own_flows_draw_no_error_and_no_warning(
    client: Client, convention: Convention
) -> None:
    checked = report.build(own_flow(client, convention))
    assert checked.convention == RECOGNISED[convention.id]
    serious = [
        f"{f.rule.id}: {f.detail}" for f in checked.findings if f.rule.level in ("error", "warning")
    ]
    assert not serious, serious
    # Told, honestly, where the site chose Location on its 202.
    if convention.statuses.accepted == (202,) and any(
        e.response.status == 202 and e.response.header("Location")
        for e in checked_exchanges(checked)
    ):
        assert "location-on-202" in {f.rule.id for f in checked.findings}


def checked_exchanges(checked: report.Report) -> list[Exchange]:
    return [entry.exchange for entry in checked.entries]


# -- Broken flows ------------------------------------------------------------------

JSON = ("Content-Type", "application/json")


def answer(status: int, *headers: tuple[str, str], body: Any = None) -> Response:
    text = "" if body is None else json.dumps(body)
    return Response(status, "", (JSON, *headers) if body is not None else headers, text)


def post(response: Response, *headers: tuple[str, str]) -> Exchange:
    return Exchange(Request("POST", "https://api.example.test/jobs", headers, "{}"), response)


def get(url: str, response: Response) -> Exchange:
    return Exchange(Request("GET", url), response)


MONITOR = "https://api.example.test/jobs/1"
FRESH = ("Cache-Control", "no-cache")
TAG = ("ETag", '"1"')
GOOD_202 = answer(202, ("Location", MONITOR), ("Retry-After", "1"), body={"status": "queued"})
PENDING = answer(200, FRESH, TAG, ("Retry-After", "1"), body={"status": "running"})
DONE = answer(303, ("Location", MONITOR + "/result"), FRESH, TAG)
RESULT = answer(200, body={"sent": 3})


def good_flow() -> list[Exchange]:
    return [
        post(GOOD_202),
        get(MONITOR, PENDING),
        get(MONITOR, DONE),
        get(MONITOR + "/result", RESULT),
    ]


def fired(exchanges: list[Exchange]) -> dict[str, set[int | None]]:
    found: dict[str, set[int | None]] = {}
    for finding in report.build(exchanges).findings:
        found.setdefault(finding.rule.id, set()).add(finding.exchange)
    return found


def test_a_good_flow_draws_only_the_location_note() -> None:
    assert fired(good_flow()) == {"location-on-202": {0}}


def with_answer(index: int, response: Response) -> list[Exchange]:
    exchanges = good_flow()
    exchanges[index] = Exchange(exchanges[index].request, response)
    return exchanges


BROKEN = [
    (
        "accepted-without-monitor",
        with_answer(0, answer(202, ("Retry-After", "1"), body={"status": "queued"})),
        {0},
    ),
    (
        "accepted-but-done",
        with_answer(
            0,
            answer(202, ("Location", MONITOR), ("Retry-After", "1"), body={"status": "succeeded"}),
        ),
        {0},
    ),
    (
        "retry-after-invalid",
        with_answer(
            1, answer(200, FRESH, TAG, ("Retry-After", "soon"), body={"status": "running"})
        ),
        {1},
    ),
    (
        "retry-after-missing",
        with_answer(1, answer(200, FRESH, TAG, body={"status": "running"})),
        {1},
    ),
    (
        "monitor-cacheable",
        with_answer(
            1,
            answer(
                200,
                ("Cache-Control", "max-age=600"),
                TAG,
                ("Retry-After", "1"),
                body={"status": "running"},
            ),
        ),
        {1},
    ),
    (
        "monitor-without-validator",
        with_answer(1, answer(200, FRESH, ("Retry-After", "1"), body={"status": "running"})),
        {1},
    ),
    (
        "done-with-302",
        with_answer(2, answer(302, ("Location", MONITOR + "/result"), FRESH, TAG)),
        {2},
    ),
    ("done-without-result", with_answer(3, answer(404, body={"title": "Not Found"})), {3}),
    (
        "failure-as-server-error",
        with_answer(2, answer(500, FRESH, TAG, body={"status": "failed", "error": {"code": "x"}})),
        {2},
    ),
    ("busy-without-retry-after", with_answer(1, answer(503, body={"title": "Busy"})), {1}),
    (
        "cors-hides-monitor",
        with_answer(
            0,
            answer(
                202,
                ("Location", MONITOR),
                ("Retry-After", "1"),
                ("Access-Control-Allow-Origin", "*"),
                body={"status": "queued"},
            ),
        ),
        {0},
    ),
]


@pytest.mark.parametrize(("rule", "exchanges", "where"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_broken_flow_draws_its_rule_where_it_breaks(
    rule: str, exchanges: list[Exchange], where: set[int]
) -> None:
    found = fired(exchanges)
    assert found.get(rule) == where, found
    # And nothing else but what the good flow draws.
    others = set(found) - {rule, "location-on-202"}
    assert not others, found


def test_azure_status_values_are_azures() -> None:
    operation = "https://api.example.test/operations/1"
    exchanges = [
        post(
            answer(
                202,
                ("Operation-Location", operation),
                ("Retry-After", "1"),
                body={"id": "1", "status": "NotStarted"},
            )
        ),
        get(
            operation,
            answer(200, FRESH, TAG, ("Retry-After", "1"), body={"id": "1", "status": "InProgress"}),
        ),
        get(
            operation,
            answer(200, FRESH, TAG, body={"id": "1", "status": "Completed", "result": {}}),
        ),
    ]
    checked = report.build(exchanges)
    assert checked.convention == "azure"
    vocabulary = [f for f in checked.findings if f.rule.id == "status-vocabulary"]
    assert [f.exchange for f in vocabulary] == [1, 2]
    # The same flow under a convention without a vocabulary is not faulted for it.
    plain = [post(GOOD_202), *exchanges[1:]]
    assert "status-vocabulary" not in {f.rule.id for f in report.build(plain).findings}


def test_httplint_notes_appear_beside_each_message() -> None:
    checked = report.build(good_flow())
    notes = {note.name for note in checked.entries[0].notes}
    # httplint's own warning on Location with a 202.
    assert "LOCATION_UNDEFINED" in notes


def test_credentials_never_reach_the_report() -> None:
    exchanges = good_flow()
    secret_request = Request(
        "POST",
        "https://api.example.test/jobs?api_key=s3cret&page=2",
        (("Authorization", "Bearer s3cret"), ("X-Api-Key", "s3cret"), ("Idempotency-Key", '"k1"')),
        "{}",
    )
    exchanges[0] = Exchange(secret_request, exchanges[0].response)
    shown = json.dumps(report.build(exchanges).to_json())
    assert "s3cret" not in shown
    assert "page=2" in shown and '\\"k1\\"' in shown
