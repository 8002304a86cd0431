"""Running wrk (Debian's package) and reading what it measured.

A small Lua script counts every status wrk saw, so the bench can tell a 202 from
a 200 and an unexpected status from an expected one; wrk itself only separates
"2xx or 3xx" from the rest.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Per thread: count statuses; at the end, print them once as JSON.
COUNTING = r"""
local counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local text = thread:get("counts_text")
    for status, n in string.gmatch(text or "", "(%d+)=(%d+)") do
      total[status] = (total[status] or 0) + tonumber(n)
    end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, '"' .. status .. '":' .. n) end
  io.write("STATUSES {" .. table.concat(parts, ",") .. "}\n")
end
"""
# wrk reads a thread's globals with thread:get: keep the counts as text there.
EXPORT = r"""
local base_response = response
function response(status, headers, body)
  base_response(status, headers, body)
  local parts = {}
  for s, n in pairs(counts) do table.insert(parts, s .. "=" .. n) end
  counts_text = table.concat(parts, ",")
end
"""

# A different reader for every request: 10.x.y.z, counted up per thread.
READERS = r"""
local sent = 0
function request()
  sent = sent + 1
  wrk.headers["X-Forwarded-For"] = string.format(
    "10.%d.%d.%d", math.random(0, 255), math.floor(sent / 256) % 256, sent % 256)
  return wrk.format()
end
"""


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    socket_errors: int
    timeouts: int
    connections: int
    seconds: float


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `make bench` installs Debian's when root.")
    return found


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run(
    url: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    many_readers: bool = False,
) -> Load:
    """Load url for `seconds`; with many_readers each request comes from an address of
    its own (X-Forwarded-For, as a trusted proxy reports it)."""
    request = [f'wrk.method = "{method}"']
    if body is not None:
        request.append(f"wrk.body = {json.dumps(body)}")
    for name, value in (headers or {}).items():
        request.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if many_readers:
        request.append(READERS)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join([*request, COUNTING, EXPORT]))
    try:
        done = subprocess.run(
            [
                wrk_path(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout=10s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink()
    if done.returncode:
        raise RuntimeError(f"wrk {url} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse(done.stdout, connections=connections, seconds=seconds)


def parse(output: str, *, connections: int, seconds: float) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    statuses = re.search(r"^STATUSES (\{.*\})$", output, re.MULTILINE)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if not (rate and p50 and p99 and statuses):
        raise RuntimeError(f"wrk's output was not understood:\n{output}")
    connect, read, write, timeout = (int(n) for n in errors.groups()) if errors else (0,) * 4
    return Load(
        requests_per_second=float(rate.group(1)),
        p50_ms=_milliseconds(p50.group(1)),
        p99_ms=_milliseconds(p99.group(1)),
        statuses={int(k): v for k, v in json.loads(statuses.group(1)).items()},
        socket_errors=connect + read + write,
        timeouts=timeout,
        connections=connections,
        seconds=seconds,
    )
