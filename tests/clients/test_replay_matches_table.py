"""The replay (checker/replay.py) on the site's own API: a flow recorded live, replayed
to every client of the compatibility table, gives each the verdict the table measured
live. Here, beside the matrix, so it runs once in CI (the PostgreSQL suite)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.management import call_command

from api.compatibility import CLIENTS, CLIENTS_BY_ID, VERDICTS
from api.compatibility_rows import rows_by_key
from checker import flow, live, replay
from checker.exchanges import Exchange, Request
from checker.guard import system_resolver
from tests.clients.harness import payload, submit_url
from tests.clients.site import Site

JSON = (("Content-Type", "application/json"),)
# Seconds per job step: six steps outlast the first round of polls.
PACE = 0.6
TERMINAL = {"succeeded", "failed", "canceled", "gone"}
# (convention, scenario) pairs recorded on the site and replayed.
LIVE = [("rfc9110", "success"), ("azure", "fails")]


@pytest.fixture(scope="module")
def recordings(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], list[Exchange]]]:
    with django_db_blocker.unblock():
        site = Site(tmp_path_factory.mktemp("replay"), pace=PACE)
        try:
            site.wait_until_healthy()
            submits = [
                Request(
                    "POST",
                    submit_url(origin=site.origin, convention=convention, scenario=scenario),
                    JSON,
                    json.dumps(
                        payload(scenario=scenario, subject=f"replay {convention} {scenario}")
                    ),
                )
                for convention, scenario in LIVE
            ]
            # Both at once, one job per worker.
            with ThreadPoolExecutor(max_workers=len(LIVE)) as pool:
                recorded = dict(zip(LIVE, pool.map(record, submits), strict=True))
            yield recorded
        finally:
            site.stop()
            call_command("flush", interactive=False, verbosity=0)


SCENARIO_END = {"success": "succeeded", "fails": "failed"}


def record(submit: Request) -> list[Exchange]:
    """The site's flow as every client met it: the submit, then each monitor it names
    asked in turn, a round at a time, until every one says the job ended, then the result.

    Kept of the rounds: the first (the job pending: its six steps outlast a round) and
    the last, as clients that poll less often meet them; the answers between only say
    that it still runs.
    """

    def send(request: Request) -> Exchange:
        return live.send(request, allow_local=True, resolve=system_resolver, timeout=10)

    first = send(submit)
    monitors = list(dict.fromkeys(url for _, url in flow.monitors_of(first)))
    rounds: list[list[Exchange]] = []
    while len(rounds) < 300:
        rounds.append([send(Request("GET", url)) for url in monitors])
        if all(replay.answer_state(e.response) in TERMINAL for e in rounds[-1]):
            break
        time.sleep(0.1)  # a poll's interval: the loop waits for the job's end, above
    results = [
        Request("GET", e.resolve(link))
        for e in rounds[-1]
        for link in flow.result_links(e.response)[:1]
    ]
    fetched = [send(r) for r in {r.url: r for r in results}.values()]
    return [first, *rounds[0], *rounds[-1], *fetched]


# The site's processes open the test database, which pytest-django makes for marked tests.
@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(("convention", "scenario"), LIVE, ids=[f"{c}-{s}" for c, s in LIVE])
def test_a_live_flow_replayed_gives_every_client_its_measured_verdict(
    convention: str, scenario: str, recordings: dict[tuple[str, str], list[Exchange]]
) -> None:
    exchanges = recordings[(convention, scenario)]
    read = flow.read(exchanges)
    # The recording met the job pending, then saw it end, as every client did live.
    assert [answer.state for answer in read.answers] == ["pending", SCENARIO_END[scenario]]
    conclusions = replay.replay(exchanges)
    assert [c.client for c in conclusions] == [client.id for client in CLIENTS]
    table = rows_by_key()
    differ = [
        f"{c.client}: replayed {c.verdict} ({c.detail[-160:]!r}), measured live "
        f"{table[(c.client, convention, scenario)].verdict}"
        for c in conclusions
        if c.verdict != table[(c.client, convention, scenario)].verdict
    ]
    assert differ == []
    for c in conclusions:
        assert c.name == CLIENTS_BY_ID[c.client].name and c.verdict in VERDICTS
        assert c.requests >= 1 and c.sentence.startswith(c.name)
