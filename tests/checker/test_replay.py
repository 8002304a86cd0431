"""What real clients conclude on a recorded flow, replayed to them (checker/replay.py).

A broken flow made by hand gives the verdicts it should; a client that cannot run here
says so instead of failing. On the site's own API, a flow recorded live and replayed
gives every client the verdict the compatibility table measured live:
tests/clients/test_replay_matches_table.py.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from checker import replay
from checker.exchanges import Exchange, Request, Response

ORIGIN = "https://api.example.test"
JSON = (("Content-Type", "application/json"),)


def exchange(method: str, path: str, status: int, headers: Any = (), body: Any = None) -> Exchange:
    sent = (
        Request(method, ORIGIN + path, JSON, "{}")
        if method == "POST"
        else Request(method, ORIGIN + path)
    )
    text = "" if body is None else json.dumps(body)
    return Exchange(sent, Response(status, "", (*headers, *JSON), text))


def accepted(**headers: str) -> Exchange:
    return exchange(
        "POST", "/jobs", 202, [*headers.items(), ("Retry-After", "1")], {"status": "queued"}
    )


def verdicts(exchanges: list[Exchange], clients: list[str]) -> dict[str, str | None]:
    return {c.client: c.verdict for c in replay.replay(exchanges, clients=clients, deadline=20)}


# A monitor that answers 200 while running and 200 "Completed" with the result in it.
COMPLETED = [
    accepted(Location=f"{ORIGIN}/jobs/1"),
    exchange("GET", "/jobs/1", 200, [("Retry-After", "1")], {"status": "running"}),
    exchange("GET", "/jobs/1", 200, [], {"status": "Completed", "result": {"sent": 2}}),
]
# A 202 that names no monitor.
NO_MONITOR = [accepted()]
# A recording that ends with the job still pending (202 from its monitor).
ENDS_PENDING = [
    accepted(Location="/jobs/1"),
    exchange("GET", "/jobs/1", 202, [("Retry-After", "1")], {"status": "running"}),
]
# RFC 9110 done right: 202, a pending 202, then 303 to the result.
SEE_OTHER = [
    accepted(Location=f"{ORIGIN}/jobs/1"),
    exchange("GET", "/jobs/1", 202, [("Retry-After", "1")], {"status": "running"}),
    exchange("GET", "/jobs/1", 303, [("Location", f"{ORIGIN}/jobs/1/result")]),
    exchange("GET", "/jobs/1/result", 200, [], {"sent": 2}),
]


@pytest.mark.slow
def test_a_broken_flow_gives_the_verdicts_it_should() -> None:
    # Location polling: azure-core and the loop take the running 200 for the end.
    assert verdicts(COMPLETED, ["azure-core", "naive-requests", "example-python"]) == {
        "azure-core": "pending-success",
        "naive-requests": "pending-success",
        "example-python": "succeeded",
    }
    # No monitor: azure-core's status-check takes the 202 for done; the loop wants Location.
    assert verdicts(NO_MONITOR, ["azure-core", "naive-requests"]) == {
        "azure-core": "pending-success",
        "naive-requests": "raised-early",
    }


@pytest.mark.slow
def test_a_flow_done_right_gives_the_result_and_one_that_ends_pending_is_waited_for() -> None:
    assert verdicts(SEE_OTHER, ["azure-core", "naive-requests"]) == {
        "azure-core": "succeeded",
        "naive-requests": "succeeded",
    }
    # The job never ends in the recording: a client that keeps asking does right.
    [waited] = replay.replay(ENDS_PENDING, clients=["naive-requests"])
    assert waited.verdict == "never-stopped"
    assert "past the end of your recording" in waited.sentence
    assert waited.requests >= 1 + replay.FURTHER_REQUESTS


def test_a_client_that_cannot_run_here_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        replay.shutil, "which", lambda name: None if name == "node" else real_which(name)
    )
    monkeypatch.setitem(replay.COMMANDS, "naive-requests", lambda *args: ["/nonexistent/client"])
    found = {c.client: c for c in replay.replay(NO_MONITOR, clients=["core-lro", "naive-requests"])}
    assert found["core-lro"].verdict is None
    assert found["core-lro"].sentence == (
        "@azure/core-lro createHttpPoller cannot be run here: no node on this server."
    )
    assert found["naive-requests"].verdict is None
    assert found["naive-requests"].sentence.endswith("could not be run here (FileNotFoundError).")
    assert found["core-lro"].to_json() == {
        "client": "core-lro",
        "name": "@azure/core-lro createHttpPoller",
        "verdict": None,
        "sentence": found["core-lro"].sentence,
        "requests": 0,
        "detail": "",
    }


def test_what_cannot_be_replayed_says_why() -> None:
    assert replay.replayable([]) is not None
    done = exchange("POST", "/jobs", 200, [], {"sent": 2})
    assert "starts a job" in (replay.replayable([done]) or "")
    assert replay.replayable(COMPLETED) is None
    assert replay.replay([done]) == []


def test_the_replay_server_answers_as_recorded_on_loopback_and_at_once() -> None:
    dated = exchange(
        "GET",
        "/jobs/1",
        200,
        [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
        {"status": "running"},
    )
    done = exchange(
        "GET",
        "/jobs/1",
        200,
        [("Link", f'<{ORIGIN}/jobs/1/result>; rel="result"')],
        {"status": "succeeded", "resultUrl": f"{ORIGIN}/jobs/1/result"},
    )
    script = replay.Script.read([accepted(Location=f"{ORIGIN}/jobs/1"), dated, done])
    with replay.Replay(script) as server:
        first = server.next_answer("POST", "/anything")
        assert first is script.submit.response
        assert server.headers(first) == [
            ("Location", f"{server.origin}/jobs/1"),
            ("Retry-After", "0"),
            *JSON,
        ]
        assert server.next_answer("GET", "/jobs/1?x=1") is dated.response
        assert server.state == "pending"
        date = dict(server.headers(dated.response))["Retry-After"]
        assert date.endswith(" GMT") and "2015" not in date
        assert server.next_answer("GET", "/jobs/1") is done.response
        assert server.state == "succeeded" and server.exhausted
        assert dict(server.headers(done.response))["Link"].startswith(f"<{server.origin}/jobs/1/")
        assert (
            server.rewrite_json(done.response.json)["resultUrl"] == f"{server.origin}/jobs/1/result"
        )
        # Whatever host a URL names, scheme-relative too, the client is sent to loopback.
        assert server.rewrite("//elsewhere.example:8443/x?y=1") == f"{server.origin}/x?y=1"
        assert server.rewrite(f"<{ORIGIN}/a//b>, <http://other.example/c>") == (
            f"<{server.origin}/a//b>, <{server.origin}/c>"
        )
        assert replay.retry_now("soon") == "soon"
        # The last answer again, then nothing recorded: 404.
        assert server.next_answer("GET", "/jobs/1") is done.response
        assert server.next_answer("GET", "/elsewhere") is None
        assert server.next_answer("DELETE", "/jobs/1") is None


def test_every_monitor_follows_one_timeline() -> None:
    both = [
        accepted(Location=f"{ORIGIN}/jobs/1", **{"Operation-Location": f"{ORIGIN}/operations/1"}),
        exchange("GET", "/operations/1", 200, [], {"status": "Running"}),
        exchange("GET", "/jobs/1", 200, [], {"status": "running"}),
        exchange("GET", "/operations/1", 200, [], {"status": "Succeeded"}),
        exchange("GET", "/jobs/1", 303, [("Location", f"{ORIGIN}/jobs/1/result")]),
        exchange("GET", "/jobs/1/result", 200, [], {"sent": 2}),
    ]
    script = replay.Script.read(both)
    assert script.result == {"sent": 2} and script.final_state == "succeeded"
    with replay.Replay(script) as server:
        server.next_answer("POST", "/jobs")
        assert server.next_answer("GET", "/operations/1") is both[1].response
        assert server.next_answer("GET", "/operations/1") is both[3].response
        # Asked at the other monitor once the job ended: not its running answer.
        assert server.next_answer("GET", "/jobs/1") is both[4].response
        assert server.next_answer("GET", "/jobs/1/result") is both[5].response
    # A monitor named but never polled answers as the polled one does, where it has got to.
    script = replay.Script.read([both[0], both[1], both[3]])
    with replay.Replay(script) as server:
        server.next_answer("POST", "/jobs")
        assert server.next_answer("GET", "/jobs/1") is both[1].response
        assert server.next_answer("GET", "/operations/1") is both[3].response
        assert server.state == "succeeded"


# The site's own API, recorded live, replayed: the verdicts its table measured live.
