from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.http import JsonResponse
from django.test import Client, RequestFactory, override_settings

from api import representations
from jobs.models import Job
from playground import examples
from playground.sending import RequestRefused, send
from reference.catalog import get_catalog
from tests.helpers import make_email_job, run_worker

pytestmark = pytest.mark.django_db


def send_console_form(client: Client, **fields: str) -> str:
    example = examples.find_example(fields.get("example", "bulk-email"))
    data = {
        "example": example.id,
        "body": example.request_body,
        "content_type": example.request_headers["Content-Type"],
        **fields,
    }
    # Without JavaScript a Send is sent on to its run's own page (Post/Redirect/Get).
    response = client.post("/playground/send", data, follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    [(run_url, status)] = response.redirect_chain
    assert status == 303 and re.fullmatch(r"/playground/runs/run_[\w-]+/#[\w-]+", run_url)
    return response.content.decode()


def job_id_in(html: str) -> str:
    match = re.search(r"Job <code>(job_[A-Za-z0-9]+)</code>", html)
    assert match, "no job in the console"
    return match.group(1)


def test_console_offers_the_examples_of_the_202_page(client: Client) -> None:
    html = client.get("/playground/").content.decode()
    for example in get_catalog().pages[202].examples:
        assert example.title in html
    bulk = examples.find_example("bulk-email")
    assert json.loads(bulk.request_body)["subject"] in html
    # Nothing of one reader's on the page: no CSRF token, no cookie.
    assert "csrfmiddlewaretoken" not in html


def test_a_variant_changes_the_body(client: Client) -> None:
    html = client.get(
        "/playground/", {"example": "bulk-email", "preset": "failure"}
    ).content.decode()
    assert "ada@bounce.example.test" in html
    # Its chips still link with ?preset=, the parameter other sites' docs use.
    assert 'href="/playground/?example=bulk-email&amp;preset=slow#console"' in html
    fragment = client.get(
        "/playground/", {"example": "bulk-email", "preset": "slow"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and "slow.example.test" in fragment


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_send_shows_the_real_202_and_polling_reaches_the_report_without_javascript(
    client: Client,
) -> None:
    html = send_console_form(client)
    assert "HTTP/1.1 202 Accepted" in html
    assert "Location: http://testserver/api/jobs/" in html
    assert "Retry-After: " in html
    job_id = job_id_in(html)
    assert "Poll now" in html
    run_worker()
    page = client.get(f"/playground/jobs/{job_id}/poll").content.decode()
    assert "HTTP/1.1 303 See Other" in page
    assert f"GET http://testserver/api/jobs/{job_id}/result" in page
    assert "Polling stopped" in page
    assert "Poll now" not in page


def test_console_shows_exactly_what_the_api_answers(client: Client) -> None:
    html = send_console_form(client)
    job_id = job_id_in(html)
    origin = RequestFactory().get("/playground/", HTTP_HOST="testserver")
    shown = send(origin_request=origin, method="GET", url=f"/api/jobs/{job_id}")
    direct = client.get(f"/api/jobs/{job_id}")
    assert shown.status == direct.status_code
    assert json.loads(shown.response_body) == direct.json()
    for name in ["Content-Type", "Cache-Control", "ETag", "Retry-After", "Location"]:
        assert shown.header(name) == direct.headers.get(name), name


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_the_failure_variant_ends_failed_with_the_error(client: Client) -> None:
    body = examples.body_for(
        examples.find_example("bulk-email"),
        examples.find_variant(examples.find_example("bulk-email"), "failure"),
    )
    job_id = job_id_in(send_console_form(client, body=body))
    run_worker()
    page = client.get(f"/playground/jobs/{job_id}/poll").content.decode()
    assert "badge--failed" in page
    # The monitor's body, shown as text: its quotes are escaped.
    assert "&quot;error&quot;: {" in page
    assert "&quot;code&quot;: &quot;all-bounced&quot;" in page


# The worker it runs commits each task and closes its connection, as a real one does.
@pytest.mark.django_db(transaction=True)
def test_cancel_shows_the_delete_exchange(client: Client) -> None:
    job_id = job_id_in(send_console_form(client))
    page = client.post(f"/playground/jobs/{job_id}/cancel").content.decode()
    assert f"DELETE http://testserver/api/jobs/{job_id}" in page
    # No worker runs: the queued job is canceled at once, and the DELETE answers 200.
    assert "HTTP/1.1 200 OK" in page
    run_worker()
    page = client.get(f"/playground/jobs/{job_id}/poll").content.decode()
    assert "badge--canceled" in page


def test_idempotent_resend_shows_the_same_job(client: Client) -> None:
    first = job_id_in(send_console_form(client, idempotency_key="console-key-1"))
    again = send_console_form(client, idempotency_key="console-key-1")
    assert job_id_in(again) == first
    assert Job.objects.count() == 1


def test_prefer_respond_async_is_acknowledged(client: Client) -> None:
    html = send_console_form(client, prefer="respond-async")
    assert "Preference-Applied: respond-async" in html


def test_htmx_poll_fragment_schedules_the_next_poll_from_retry_after(client: Client) -> None:
    job_id = job_id_in(send_console_form(client))
    fragment = client.get(
        f"/playground/jobs/{job_id}/poll", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment
    retry_after = re.search(r"Retry-After: (\d+)", fragment)
    assert retry_after
    assert f'data-hx-trigger="load delay:{retry_after.group(1)}s, poll-now"' in fragment
    assert 'data-hx-swap-oob="innerHTML"' in fragment


def test_console_refuses_anything_but_the_demo_api() -> None:
    origin = RequestFactory().get("/playground/")
    for method, url in [
        ("GET", "http://elsewhere.example/api/jobs/job_1"),
        ("POST", "/admin/"),
        ("GET", "/healthz"),
        ("PUT", "/api/jobs/job_1"),
        ("GET", "/api/jobs/../../etc/passwd"),
    ]:
        with pytest.raises(RequestRefused):
            send(origin_request=origin, method=method, url=url)


def test_console_escapes_what_the_reader_typed(client: Client) -> None:
    body = json.dumps({"subject": "<script>alert(1)</script>", "body": "x", "recipients": []})
    html = send_console_form(client, body=body)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def console_form() -> dict[str, str]:
    example = examples.find_example("bulk-email")
    return {"example": example.id, "body": example.request_body, "content_type": "application/json"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://elsewhere.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://docs.testserver", "Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ],
)
def test_console_posts_from_another_site_are_refused(headers: dict[str, str]) -> None:
    # A browser checking CSRF tokens would need a cookie; the console has none, so
    # where the POST comes from is what decides.
    strict = Client(enforce_csrf_checks=True)
    sent = strict.post("/playground/send", console_form(), headers=headers)
    assert sent.status_code == 403
    assert "Refused: this console sends only from this site" in sent.content.decode()
    job = make_email_job("a@example.test")
    canceled = strict.post(f"/playground/jobs/{job.public_id}/cancel", headers=headers)
    assert canceled.status_code == 403
    assert Job.objects.get().status == "queued"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        # What a framed embed sends: the frame's document is this site's own page.
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin", "HX-Request": "true"},
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},
        # Behind a TLS proxy that does not say so, the browser's Origin is https while
        # the request looks like http: the browser's own Sec-Fetch-Site decides.
        {"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"},
        {},
    ],
)
def test_console_posts_from_the_sites_own_pages_are_accepted(headers: dict[str, str]) -> None:
    strict = Client(enforce_csrf_checks=True)
    form = {**console_form(), "embed": "1"}
    sent = strict.post("/playground/send", form, headers=headers, follow=True)
    assert sent.status_code == 200, sent.content.decode()[:500]
    assert "HTTP/1.1 202 Accepted" in sent.content.decode()
    job_id = job_id_in(sent.content.decode())
    assert strict.post(f"/playground/jobs/{job_id}/cancel", headers=headers).status_code == 200
    assert Job.objects.get(public_id=job_id).status == "canceled"
    assert not sent.cookies


def test_console_pages_set_no_cookie(client: Client) -> None:
    for url in ["/playground/", "/playground/embed/", "/202/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert not response.cookies, url
        assert "Set-Cookie" not in response.headers


@override_settings(DEMO_MAX_UPLOAD_BYTES=10 * 1024 * 1024)
def test_console_limits_uploads(client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.csv", b"a,b\n" * (300 * 1024), content_type="text/csv")
    response = client.post(
        "/playground/send",
        {"example": "file-processing", "content_type": "text/csv", "upload": big},
    )
    assert response.status_code == 400
    assert "larger than the console sends" in response.content.decode()
    assert Job.objects.count() == 0


def test_send_fragment_updates_the_live_status(client: Client) -> None:
    example = examples.find_example("bulk-email")
    fragment = client.post(
        "/playground/send",
        {"example": example.id, "body": example.request_body, "content_type": "application/json"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in fragment
    assert '<span id="run-status" data-hx-swap-oob="innerHTML">Job <code>job_' in fragment


def test_console_refusal_is_shown_in_the_htmx_fragment(client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.csv", b"a,b\n" * (300 * 1024), content_type="text/csv")
    response = client.post(
        "/playground/send",
        {"example": "file-processing", "content_type": "text/csv", "upload": big},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_embed_chips_swap_the_console_under_htmx(client: Client) -> None:
    fragment = client.get(
        "/playground/embed/",
        {"example": "bulk-email", "preset": "slow"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="console"')
    assert "slow.example.test" in html and "<html" not in html


def test_the_console_leaves_the_calling_requests_connection_open(client: Client) -> None:
    # An ordinary test transaction, as ATOMIC_REQUESTS gives every request: the
    # console's in-process call to the API must not close the connection under it.
    job_id = job_id_in(send_console_form(client))
    page = client.get(f"/playground/jobs/{job_id}/poll")
    assert page.status_code == 200
    assert Job.objects.get(public_id=job_id).status == "queued"


def test_the_console_works_with_atomic_requests(client: Client, monkeypatch) -> None:
    # Every view in its own transaction: the console's API call runs inside the
    # console view's, and the cancel must still be recorded.
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    job_id = job_id_in(send_console_form(client))
    assert client.post(f"/playground/jobs/{job_id}/cancel").status_code == 200
    assert Job.objects.get(public_id=job_id).status == "canceled"


def test_console_fragments_vary_on_hx_request(client: Client) -> None:
    # The same URL answers a fragment to htmx and a whole page otherwise: a cache must
    # not hand one to the other.
    job_id = job_id_in(send_console_form(client))
    for url in ["/playground/", "/playground/embed/", f"/playground/jobs/{job_id}/poll"]:
        page = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert "<html" in page.content.decode() and "<html" not in fragment.content.decode()
        for response in (page, fragment):
            assert "HX-Request" in response["Vary"], url


def test_a_poll_the_api_refuses_is_shown_raw_and_the_next_waits_for_its_retry_after(
    client: Client, monkeypatch
) -> None:
    job_id = job_id_in(send_console_form(client))

    def overloaded(request, job) -> JsonResponse:
        body = {"title": "Service Unavailable", "status": 503, "detail": "Busy."}
        response = JsonResponse(body, status=503, content_type="application/problem+json")
        response["Retry-After"] = "7"
        return response

    # The monitor answers as an overloaded server would.
    monkeypatch.setattr(representations, "monitor", overloaded)
    fragment = client.get(
        f"/playground/jobs/{job_id}/poll", headers={"HX-Request": "true"}
    ).content.decode()
    assert "HTTP/1.1 503 Service Unavailable" in fragment
    assert "Retry-After: 7" in fragment
    # Not a final state: the next poll is scheduled after the answer's Retry-After...
    assert 'data-hx-trigger="load delay:7s, poll-now"' in fragment
    # ...and the status says the state is unknown rather than showing a stale one.
    assert "badge--unknown" in fragment
    assert "its state is unknown until the next poll, in 7 s" in fragment


def test_a_poll_of_a_job_the_api_no_longer_knows_stops(client: Client) -> None:
    page = client.get("/playground/jobs/job_unknown/poll").content.decode()
    assert "HTTP/1.1 404 Not Found" in page
    assert "badge--gone" in page and "it no longer knows this job" in page
    assert "Polling stopped: the API no longer knows this job." in page
    assert "Poll now" not in page


def test_the_embed_documents_itself_for_doc_writers(client: Client) -> None:
    html = client.get("/playground/embed/").content.decode()
    assert 'id="embed-it"' in html
    # The snippet to paste, with this site's own address.
    assert (
        "&lt;iframe src=&quot;http://testserver/playground/embed/?example=bulk-email&quot;" in html
    )
    for parameter in ["<code>example</code>", "<code>preset</code>", "prefers-color-scheme"]:
        assert parameter in html
    for variant in examples.EMAIL_VARIANTS:
        assert f"<code>{variant.id}</code>: {variant.hint}" in html
    assert 'href="/playground/embed/#embed-it"' in client.get("/playground/").content.decode()
