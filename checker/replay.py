"""What real clients conclude on this flow: the recorded answers replayed to each client.

A replay server on loopback (port 0, a ThreadingHTTPServer in a thread) answers a
client as the recording says the API answered: its first request (its submit, whatever
its path) with the recorded submit answer; each GET of a monitor with the next answer
recorded there, the last one again once they run out (a recording that ends pending
stays pending); a GET of a result with the recorded result (404 if none was recorded);
anything else 404. The job is one job wherever it is asked about: a monitor the submit
named but the recording never polled answers as the polled one does at that moment, and
once an answer said the job ended, no monitor answers from before that moment.

Every absolute (or scheme-relative) URL in the headers that name where to go next and
in JSON bodies is rewritten to the replay server's origin, path kept, so the client
follows it there and nowhere else; routing matches paths, never origins. Retry-After is
made instant (delay-seconds 0, an HTTP-date now), its form kept.

Each client is a program with one contract (the example clients' own, clients/):
started with the submit URL and the JSON body, it prints the result and exits 0, exits
1 with the reason on stderr, or exits 3 at its own deadline. What it concluded is
judged against the recording, as tests/clients/ judges it against the live job: the
state of the last status answer the replay server gave it before it stopped, and the
recorded result. A client still asking once the recording has run out and its last
answer was given FURTHER_REQUESTS more times never stops: it is stopped.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from api.compatibility import CLIENTS, CLIENTS_BY_ID
from checker import flow
from checker.exchanges import Exchange, Response

ROOT = Path(__file__).resolve().parents[1]
# The example clients (clients/python, ...), the libraries' runners beside them, and the
# JavaScript libraries those need (`npm ci` in clients/).
CLIENTS_DIR = ROOT / "clients"
LIBRARIES = CLIENTS_DIR / "libraries"
NODE_MODULES = CLIENTS_DIR / "node_modules"
# Requests after the end (the recording run out, or the job ended) that make a client
# one that never stops. One that concludes needs at most: the poll that sees the end,
# the result, a redirect, and a retry or two of a 503/429 its pipeline retries.
FURTHER_REQUESTS = 6
# Clients replayed to at once (they mostly wait on the replay server).
PARALLEL = 2
# Beyond its deadline, a client that has not stopped is stopped.
GRACE = 5.0
# How often a running client's replay is looked at.
LOOK_EVERY = 0.05
DETAIL_CHARS = 500
TERMINAL = {"succeeded", "failed", "canceled"}
# What an answer may say of a job that has ended ("gone": a monitor that no longer knows it).
ENDED = TERMINAL | {"gone"}
# Headers that name where a client goes next: their absolute URLs are rewritten.
URL_HEADERS = {"location", "content-location", "operation-location", "azure-asyncoperation", "link"}
# Headers the replay server sets itself (the body is replayed decoded, whole, on HTTP/1.0).
DROPPED_HEADERS = {
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "connection",
    "keep-alive",
    "date",
    "server",
}
# An absolute or scheme-relative URL's origin, where a URL starts: at the start of the
# value, or in a list or a Link's <...>.
URL_ORIGIN = re.compile(r"(?:^|(?<=[<\s,]))(?:https?:)?//[^/?#\s<>\"',;]*", re.IGNORECASE)

# How to start each client: the submit URL, the JSON body, and the deadline the example
# clients keep (the shell one reads it from DEADLINE; the library runners keep none).
Command = Callable[[str, str, float], list[str]]

COMMANDS: dict[str, Command] = {
    "azure-core": lambda url, body, deadline: [
        sys.executable,
        str(LIBRARIES / "azure_core_poller.py"),
        url,
        body,
    ],
    "core-lro": lambda url, body, deadline: [
        "node",
        str(LIBRARIES / "core_lro_poller.mjs"),
        url,
        body,
    ],
    "naive-requests": lambda url, body, deadline: [
        sys.executable,
        str(LIBRARIES / "naive_requests.py"),
        url,
        body,
    ],
    "example-python": lambda url, body, deadline: [
        sys.executable,
        str(CLIENTS_DIR / "python/poll.py"),
        f"--deadline={deadline:g}",
        url,
        body,
    ],
    "example-javascript": lambda url, body, deadline: [
        "node",
        str(CLIENTS_DIR / "javascript/poll.mjs"),
        "--deadline",
        f"{deadline:g}",
        url,
        body,
    ],
    "example-shell": lambda url, body, deadline: [
        "sh",
        str(CLIENTS_DIR / "shell/poll.sh"),
        url,
        body,
    ],
}

# What each client needs here: programs on PATH, Python modules, node packages.
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "azure-core": (("module", "azure.core"),),
    "core-lro": (("program", "node"), ("node", "@azure/core-lro")),
    "naive-requests": (("module", "requests"),),
    "example-python": (),
    "example-javascript": (("program", "node"),),
    "example-shell": (("program", "sh"), ("program", "curl"), ("program", "jq")),
}


def missing(client: str) -> str | None:
    """What this server lacks to run the client, or None when it has everything."""
    for kind, name in NEEDS[client]:
        if kind == "program" and shutil.which(name) is None:
            return f"no {name} on this server"
        if kind == "module" and not importable(name):
            return f"Python's {name} is not installed on this server"
        if kind == "node" and not (NODE_MODULES / name).is_dir():
            return f"{name} is not installed on this server"
    return None


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def client_env(deadline: float) -> dict[str, str]:
    """What a client process sees: a few basics, no proxy (everything is on loopback)."""
    basics = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    kept = {name: value for name, value in os.environ.items() if name in basics}
    return {
        **kept,
        "DEADLINE": f"{deadline:g}",
        "NODE_PATH": str(NODE_MODULES),
        "NO_PROXY": "*",
        "no_proxy": "*",
    }


# What a verdict is judged from, shared with tests/clients/harness.py.


def reports_pending(value: Any) -> bool:
    """Whether what a client printed is itself a pending status."""
    if not isinstance(value, dict):
        return False
    status = str(value.get("status", "")).lower()
    return status in {"queued", "running", "notstarted"} or value.get("done") is False


def conclude(
    *,
    exit_code: int | None,
    stdout: str,
    state: str | None,
    ends_badly: bool,
    holds_result: Callable[[Any], bool],
) -> str:
    """A client's verdict from how it stopped and the job as it was then.

    state: "pending", "succeeded", or how else the job had ended ("failed", ...); None
    when the client never learned of a job. ends_badly: whether an error is the right
    end here (the job fails, is canceled, is gone); holds_result: whether what the
    client printed is, or embeds, the job's result.
    """
    if exit_code is None:
        return "never-stopped"
    if exit_code == 3:
        return "gave-up"
    pending = state is None or state == "pending"
    if exit_code != 0:
        # Where an error is the right end, one raised while the job still ran was about
        # something else. Where the job succeeds, any error is wrong, whenever it came.
        return "raised-early" if ends_badly and pending else "raised"
    try:
        value = json.loads(stdout)
    except ValueError:
        value = stdout
    if pending or reports_pending(value):
        return "pending-success"
    if state != "succeeded":
        return "false-success"
    return "succeeded" if holds_result(value) else "no-result"


def embeds(value: Any, result: Any) -> bool:
    """Whether the value is the result, holds all its members, or embeds either."""
    if value == result:
        return True
    if isinstance(value, dict):
        if (
            isinstance(result, dict)
            and result
            and all(key in value and value[key] == item for key, item in result.items())
        ):
            return True
        return any(embeds(item, result) for item in value.values())
    if isinstance(value, list):
        return any(embeds(item, result) for item in value)
    return False


# The recording, as the replay server answers it.


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def answer_state(response: Response) -> str:
    """What an answer says of the job: pending, succeeded, failed, canceled; "gone" for
    an error that is no transient one (410, 404, ...); "" when it says nothing."""
    state, _ = flow.state_of(response)
    if state:
        return state
    if response.status >= 400 and response.status not in (408, 429, 502, 503, 504):
        return "gone"
    return ""


@dataclass
class Script:
    """What the replay server answers, read once from the recording."""

    submit: Exchange
    # Status answers by the path they were polled at, in order.
    monitors: dict[str, list[Response]]
    # Monitors the submit named that none polled: the path of the monitor that answers
    # for them (its answers, where it has got to).
    aliases: dict[str, str]
    primary: list[Response]
    results: dict[str, Response]
    # The recorded result's body as JSON (or text), None when none was recorded.
    result: Any
    # The job's state at the end of the recording.
    final_state: str

    @classmethod
    def read(cls, exchanges: Sequence[Exchange]) -> Script:
        read = flow.read(list(exchanges))
        assert read.accepted is not None
        submit = read.exchanges[read.accepted]
        answers = {answer.index for answer in read.answers}
        # Where an answer that says the job ended points (a 303's Location, a
        # resourceLocation): the result, whichever monitor said so, unless it is itself
        # a monitor the submit named.
        named = {path_of(url) for _, url in flow.monitors_of(submit)}
        result_paths: set[str] = set()
        for exchange in read.exchanges[read.accepted + 1 :]:
            if answer_state(exchange.response) in TERMINAL:
                links = flow.result_links(exchange.response)
                result_paths |= {path_of(exchange.resolve(link)) for link in links} - named
        monitors: dict[str, list[Response]] = {}
        results: dict[str, Response] = {}
        result: Any = None
        for index in range(read.accepted + 1, len(read.exchanges)):
            exchange = read.exchanges[index]
            if exchange.request.method not in ("GET", "HEAD", "") or exchange.response.status < 100:
                continue  # not a question about the job, or no answer was recorded
            path = path_of(exchange.request.url)
            if index not in answers and path in result_paths:
                results[path] = exchange.response
                body = exchange.response.json
                result = exchange.response.body if body is None else body
            else:  # the monitor's answers, or another monitor's the client polled too
                monitors.setdefault(path, []).append(exchange.response)
        primary_path = path_of(read.monitor) if read.monitor else ""
        if primary_path not in monitors and monitors:
            primary_path = max(monitors, key=lambda path: len(monitors[path]))
        primary = monitors.get(primary_path, [])
        final_state = next(
            (s for s in (answer_state(r) for r in reversed(primary)) if s),
            answer_state(submit.response) or "pending",
        )
        # A monitor the submit named but the recording never polled answers as the
        # polled one does at that moment: the job is one job, wherever it is asked about.
        aliases = {path: primary_path for path in named if primary and path not in monitors}
        return cls(submit, monitors, aliases, primary, results, result, final_state)


def retry_now(value: str) -> str:
    """Retry-After made instant, its form kept: delay-seconds 0, an HTTP-date now."""
    if value.strip().isdigit():
        return "0"
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value  # neither form: as recorded, for the client to make of it
    return formatdate(usegmt=True)


def replayable(exchanges: Sequence[Exchange]) -> str | None:
    """None when the flow can be replayed to clients, else why not."""
    if not exchanges:
        return "there are no exchanges to replay"
    read = flow.read(list(exchanges))
    if read.accepted is None:
        return "no answer in it starts a job (a 202, or a convention's own start)"
    return None


class Replay:
    """One client's replay server: its answers, and what it has served so far."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.lock = threading.Lock()
        self.requests = 0
        self.cursors: dict[str, int] = {}
        # The job's state in the last status answer served (the submit's first).
        self.state: str | None = None
        # Requests answered since the recording ran out (its last answer served once).
        self.exhausted = False
        self.after_end = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": LOOK_EVERY}, daemon=True
        )

    def __enter__(self) -> Replay:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, *, head: bool = False) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                response = replay.next_answer(self.command, self.path)
                replay.send(self, response, head=head)

            def do_GET(self) -> None:
                self.answer()

            def do_HEAD(self) -> None:
                self.answer(head=True)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def next_answer(self, method: str, target: str) -> Response | None:
        path = path_of(target)
        script = self.script
        with self.lock:
            self.requests += 1
            if self.exhausted:
                self.after_end += 1
            if self.requests == 1:
                self.state = answer_state(script.submit.response) or "pending"
                if not script.primary and self.state not in TERMINAL:
                    self.exhausted = True  # no monitor: nothing more will ever be said
                return script.submit.response
            if method not in ("GET", "HEAD"):
                return None
            path = script.aliases.get(path, path)
            answers = script.monitors.get(path)
            if answers:
                at = self.cursors.get(path, 0)
                if self.state in ENDED:
                    # The job never goes back: once an answer said it ended, another
                    # monitor's answers from before that moment are skipped.
                    while at < len(answers) - 1 and answer_state(answers[at]) not in ENDED:
                        at += 1
                self.cursors[path] = at + 1
                response = answers[min(at, len(answers) - 1)]
                if at >= len(answers) - 1:
                    self.exhausted = True
                state = answer_state(response)
                if state:
                    self.state = state
                    if state in ENDED:
                        self.exhausted = True
                return response
            return script.results.get(path)

    def send(
        self, handler: BaseHTTPRequestHandler, response: Response | None, *, head: bool
    ) -> None:
        if response is None:
            status, headers, body = 404, [("Content-Type", "text/plain")], "Not recorded.\n"
        else:
            status, headers, body = response.status, self.headers(response), response.body
            if response.json is not None:
                body = json.dumps(self.rewrite_json(response.json))
        data = body.encode()
        handler.send_response(status, response.reason if response and response.reason else None)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        if not head and status not in (204, 304):
            handler.wfile.write(data)

    def headers(self, response: Response) -> list[tuple[str, str]]:
        kept = []
        for name, value in response.headers:
            lowered = name.lower()
            if lowered in DROPPED_HEADERS or lowered.startswith(":"):
                continue
            if lowered in URL_HEADERS:
                value = self.rewrite(value)
            elif lowered == "retry-after":
                value = retry_now(value)
            # http.server sends headers as Latin-1; a recorded value may hold anything.
            kept.append((name, value.encode("latin-1", "replace").decode("latin-1")))
        return kept

    def rewrite(self, text: str) -> str:
        """Every absolute (or scheme-relative) URL's origin made the replay server's, its
        path kept: whatever host the recording named, the client asks loopback."""
        return URL_ORIGIN.sub(self.origin, text)

    def rewrite_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.rewrite(value) if URL_ORIGIN.match(value) else value
        if isinstance(value, list):
            return [self.rewrite_json(item) for item in value]
        if isinstance(value, dict):
            return {key: self.rewrite_json(item) for key, item in value.items()}
        return value

    def never_stops(self) -> bool:
        with self.lock:
            return self.exhausted and self.after_end >= FURTHER_REQUESTS


@dataclass(frozen=True)
class Conclusion:
    client: str
    name: str
    # An api.compatibility VERDICTS id, or None when the client could not be run here.
    verdict: str | None
    sentence: str
    # Requests the client sent to the replay server.
    requests: int
    # What it printed (the end of its stderr, or of its stdout), for the curious.
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "name": self.name,
            "verdict": self.verdict,
            "sentence": self.sentence,
            "requests": self.requests,
            "detail": self.detail,
        }


def replay(
    exchanges: Sequence[Exchange],
    *,
    clients: Sequence[str] | None = None,
    deadline: float = 30.0,
) -> list[Conclusion]:
    """Each client's conclusion on the recorded flow, in the order asked (every client's
    by default). A flow that cannot be replayed gives no conclusion: see replayable()."""
    if replayable(exchanges) is not None:
        return []
    script = Script.read(exchanges)
    chosen = list(clients) if clients is not None else [client.id for client in CLIENTS]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(lambda client: conclusion(client, script, deadline), chosen))


def conclusion(client: str, script: Script, deadline: float) -> Conclusion:
    name = CLIENTS_BY_ID[client].name
    lacking = missing(client)
    if lacking is not None:
        return Conclusion(client, name, None, f"{name} cannot be run here: {lacking}.", 0, "")
    try:
        return run(client, script, deadline)
    except Exception as error:  # the replay's own failure is the conclusion's, not the caller's
        sentence = f"{name} could not be run here ({type(error).__name__})."
        return Conclusion(client, name, None, sentence, 0, str(error)[:DETAIL_CHARS])


def run(client: str, script: Script, deadline: float) -> Conclusion:
    name = CLIENTS_BY_ID[client].name
    request = script.submit.request
    body = request.body if request.body.strip() and _is_json(request.body) else "{}"
    parts = urlsplit(request.url)
    with Replay(script) as server:
        target = parts.path or "/"
        url = server.origin + target + (f"?{parts.query}" if parts.query else "")
        process = subprocess.Popen(
            COMMANDS[client](url, body, deadline),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            # Its own process group: stopping it stops what it started (the shell's curl).
            start_new_session=True,
            text=True,
            env=client_env(deadline),
            cwd=ROOT,
        )
        stopped_at = time.monotonic() + deadline + GRACE
        try:
            while True:
                try:
                    stdout, stderr = process.communicate(timeout=LOOK_EVERY)
                    exit_code: int | None = process.returncode
                    break
                except subprocess.TimeoutExpired:
                    if server.never_stops() or time.monotonic() > stopped_at:
                        stop(process)
                        stdout, stderr = process.communicate()
                        exit_code = None
                        break
        finally:
            stop(process)  # whatever it left running, too
            if process.returncode is None:
                process.communicate()
        with server.lock:
            state, requests, exhausted = server.state, server.requests, server.exhausted
        # The result as the client was given it: its URLs the replay server's.
        served_result = server.rewrite_json(script.result)
    detail = (stderr.strip() or stdout.strip())[-DETAIL_CHARS:]
    if exit_code is None and not exhausted:
        sentence = f"{name} did not conclude within {deadline:g} s of replay."
        return Conclusion(client, name, None, sentence, requests, detail)
    verdict = conclude(
        exit_code=exit_code,
        stdout=stdout,
        state=state,
        ends_badly=script.final_state != "succeeded",
        holds_result=lambda value: served_result is None or embeds(value, served_result),
    )
    return Conclusion(
        client, name, verdict, sentence_for(name, verdict, script, detail), requests, detail
    )


def stop(process: subprocess.Popen[str]) -> None:
    """Kill the client and every process of its group (none left: nothing to do)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def sentence_for(name: str, verdict: str, script: Script, detail: str) -> str:
    reason = detail.splitlines()[-1][:160].rstrip(".") if detail else ""
    because = f" ({reason})" if reason else ""
    ended = {"failed": "failed", "canceled": "was canceled", "gone": "was gone"}.get(
        script.final_state, "did not succeed"
    )
    return {
        "succeeded": f"{name} would return your job's result.",
        "raised": f"{name} would stop with an error once your job had ended{because}."
        if script.final_state != "succeeded"
        else f"{name} would stop with an error although your job succeeded{because}.",
        "raised-early": f"{name} would stop with an error while your job was still "
        f"pending, never learning how it ended{because}.",
        "gave-up": f"{name} would give up at its deadline.",
        "pending-success": f"{name} would report success while your job is still pending.",
        "false-success": f"{name} would report success for a job that {ended}.",
        "no-result": f"{name} would report success, but with something other than your "
        "job's result.",
        "never-stopped": f"{name} would keep polling past the end of your recording, "
        "where the job was still pending."
        if script.final_state == "pending"
        else f"{name} would never stop polling, though your job had ended.",
    }[verdict]
