"""What the fact-check of the pages found, asserted so it stays fixed.

Each test reads the shipped content and names the source the sentence must
agree with: the IANA registry, the IETF datatracker, RFC 2616 and RFC 9110.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from httplint import HttpResponseLinter

from playground import examples
from reference.catalog import get_catalog
from reference.schema import StatusPage


def page(code: int) -> StatusPage:
    found = get_catalog().get(code)
    assert found is not None
    return found


def prose(code: int) -> str:
    text = "\n".join(section.markdown for section in page(code).sections)
    return re.sub(r"\s+", " ", text)


def test_510_carries_the_registry_name() -> None:
    assert page(510).title == "Not Extended (OBSOLETED)"
    assert '"Not Extended (OBSOLETED)"' in prose(510)


def test_306_dates_the_draft_as_the_datatracker_records_it() -> None:
    text = prose(306)
    datatracker = "https://datatracker.ietf.org/doc/draft-cohen-http-305-306-responses/"
    assert f"({datatracker})" in text
    assert "posted on 1997-06-16" in text
    assert "dated December 1996" not in text
    assert datatracker in [ref.url for ref in page(306).references]


def test_305_quotes_rfc_2616_in_its_own_words() -> None:
    text = prose(305)
    quote = (
        '"The requested resource MUST be accessed through the proxy given by the Location field."'
    )
    assert quote in text
    assert "https://www.rfc-editor.org/rfc/rfc2616#section-10.3.6" in text
    assert "must be accessed through the proxy given in `Location`" not in text


def test_202_body_asks_for_status_and_a_monitor_that_can_provide_the_estimate() -> None:
    body = re.sub(r"\s+", " ", page(202).section("response-body").markdown)
    assert (
        "describe the request's current status and to point to (or embed) a status monitor "
        "that can provide the user with an estimate of when the request will be fulfilled"
    ) in body
    assert "the estimate is the monitor's to give" in body
    assert "and an estimate. A body that does all three" not in body
    row = next(line for line in body.split("| `") if line.startswith("estimatedCompletionAt"))
    assert "Optional." in row
    assert "what the RFC expects the status monitor to be able to provide" in row


def test_200_keeps_the_delete_condition_of_rfc_9110() -> None:
    text = prose(200)
    assert '202 "if the action will likely succeed but has not yet been enacted"' in text
    assert "https://www.rfc-editor.org/rfc/rfc9110#section-9.3.5" in text


def test_104_says_what_the_registry_shows_and_that_it_has_expired() -> None:
    record = (
        "Upload Resumption Supported (TEMPORARY - registered 2024-11-13, "
        "extension registered 2025-09-15, expires 2026-11-13)"
    )
    text = prose(104)
    assert f'"{record}"' in text
    assert "That expiry date has passed" in text
    assert "checked 2026-12-01" in text
    assert record in page(104).spec[0].title
    assert "2026-11-13" in page(104).summary


def test_104_keeps_answering_at_its_address() -> None:
    # Doc writers link to /104/: the page stays, and says the registration lapsed.
    response = Client().get("/104/")
    assert response.status_code == 200
    assert "That expiry date has passed" in response.content.decode()


# What "Is Location on a 202 right?" says a linter reports, run on this site's own 202.
@pytest.mark.django_db
def test_httplint_warns_on_this_sites_202_as_the_page_quotes_it(client: Client) -> None:
    example = examples.find_example("bulk-email")
    answer = client.post(example.target, example.request_body, content_type="application/json")
    assert answer.status_code == 202 and answer.has_header("Location")
    linter = HttpResponseLinter()
    linter.process_response_topline(b"HTTP/1.1", b"202", b"Accepted")
    linter.process_headers([(name.encode(), value.encode()) for name, value in answer.items()])
    linter.feed_content(answer.content)
    linter.finish_content(True)
    [warning] = [note for note in linter.notes if note.__class__.__name__ == "LOCATION_UNDEFINED"]
    assert warning.level.name == "WARN"
    text = prose(202)
    assert f'"{warning.summary}"' in text
    # The site sends all three headers the section says it does.
    for name in ["Location", "Content-Location", "Operation-Location"]:
        assert answer.has_header(name), name
    # The which-code answer for 202 links to the section.
    walk = client.get("/which-code/ready/work/clear/not-done/may-fail/poll/").content.decode()
    assert 'href="/202/#location-on-202"' in walk
