"""Every way a flow comes in: a HAR file (read, and written back as the same flow) and a
pasted transcript as curl prints it; and input the checker cannot read, said clearly."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from checker import har, report, transcript
from checker.exchanges import BadInput
from tests.checker.test_flows import good_flow

CURL_V = """\
*   Trying 127.0.0.1:8000...
* Connected to localhost (127.0.0.1) port 8000
> POST /api/emails/bulk HTTP/1.1
> Host: localhost:8000
> Content-Type: application/json
>
< HTTP/1.1 100 Continue
<
< HTTP/1.1 202 Accepted
< Location: http://localhost:8000/api/jobs/job_1
< Retry-After: 1
< Content-Type: application/json
<
{"status": "queued"}
* Connection #0 to host localhost left intact
> GET /api/jobs/job_1 HTTP/1.1
> Host: localhost:8000
>
< HTTP/1.1 303 See Other
< Location: /api/jobs/job_1/result
< Cache-Control: no-cache
< ETag: "a"
<
"""

CURL_I = """\
HTTP/1.1 202 Accepted
Location: https://api.example.test/jobs/7
Retry-After: 2

{"status": "running"}

HTTP/1.1 200 OK
Cache-Control: no-cache
ETag: "b"
Retry-After: 2
Content-Type: application/json

{"status": "running"}
"""


def test_a_har_written_and_read_back_is_the_same_flow() -> None:
    flow = good_flow()
    written = har.write(flow, started=datetime(2026, 1, 1, tzinfo=UTC))
    again = har.read(json.dumps(written))
    assert [(e.request, e.response) for e in again] == [(e.request, e.response) for e in flow]
    first, second = report.build(flow).to_json(), report.build(again).to_json()
    assert first == second


def test_har_bodies_in_base64_are_read_and_binary_is_named() -> None:
    written = har.write(good_flow(), started=datetime(2026, 1, 1, tzinfo=UTC))
    content = written["log"]["entries"][1]["response"]["content"]
    content.update(encoding="base64", text=base64.b64encode(content["text"].encode()).decode())
    binary = written["log"]["entries"][3]["response"]["content"]
    binary.update(encoding="base64", text=base64.b64encode(b"\xff\xfe\x00").decode())
    read = har.read(json.dumps(written))
    assert json.loads(read[1].response.body) == {"status": "running"}
    assert read[3].response.body == "(3 bytes of binary content)"


def test_curl_v_pairs_each_response_with_its_request() -> None:
    exchanges = transcript.read(CURL_V)
    assert [(e.request.method, e.response.status) for e in exchanges] == [
        ("POST", 202),
        ("GET", 303),
    ]
    assert exchanges[0].request.url == "http://localhost:8000/api/emails/bulk"
    assert exchanges[0].response.json == {"status": "queued"}
    assert report.build(exchanges).convention == "request-reply"


def test_curl_i_responses_alone_are_polls_of_where_the_last_one_pointed() -> None:
    exchanges = transcript.read(CURL_I)
    assert exchanges[1].request.url == "https://api.example.test/jobs/7"
    assert exchanges[1].response.header("etag") == '"b"'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not JSON"),
        ('{"log": {}}', "no log.entries"),
        ('{"log": {"entries": []}}', "is empty"),
        ('{"log": {"entries": [{"request": {}, "response": {}}]}}', "log.entries[0].request"),
        (json.dumps({"log": {"entries": [{}] * (har.MAX_ENTRIES + 1)}}), "at most 500"),
    ],
)
def test_a_har_the_checker_cannot_read_is_named(text: str, says: str) -> None:
    with pytest.raises(BadInput, match=says.replace("[", r"\[").replace("]", r"\]")):
        har.read(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("hello world", "comes before any request or status line"),
        ("GET / HTTP/1.1\nHost: x\n\n", "No HTTP response found"),
        ("HTTP/1.1 200 OK\nnot a header\n", "Line 2 is not a header field"),
    ],
)
def test_a_transcript_the_checker_cannot_read_is_named(text: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        transcript.read(text)
