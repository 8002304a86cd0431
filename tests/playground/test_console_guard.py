"""The console answers this site's own pages, within an allowance per client, and refuses small.

Another site's page can make a visitor's browser request any URL (an <img> tag
will do): the console refuses those before it sends anything to the API, so the
visitor's allowance there stays whole. Its own views are counted too, and a
refusal is a page of a few hundred bytes, not the console.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from jobs.models import Job
from jobs.ratestore import rate_store
from tests.helpers import make_email_job

pytestmark = pytest.mark.django_db

# What Chromium sends for an <img src> on another site's page.
IMAGE_FROM_ANOTHER_SITE = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "no-cors",
    "Sec-Fetch-Dest": "image",
}
# ...for a link to this site followed on another site's page.
LINK_FROM_ANOTHER_SITE = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-User": "?1",
}
# ...for an <iframe> on another site's page.
FRAME_ON_ANOTHER_SITE = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "iframe",
}
# ...for a poll this site's own console page makes with htmx.
OWN_PAGE = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
SMALL = 5000


def poll_urls(job_id: str) -> list[str]:
    return [f"/playground/jobs/{job_id}/poll", f"/playground/embed/jobs/{job_id}/poll"]


def api_polls_allowed(client: Client, job_id: str, *, up_to: int) -> int:
    """How many polls the API answers this client before its 429."""
    for count in range(up_to):
        if client.get(f"/api/jobs/{job_id}").status_code == 429:
            return count
    return up_to


@pytest.mark.parametrize(
    "headers",
    [
        IMAGE_FROM_ANOTHER_SITE,
        FRAME_ON_ANOTHER_SITE,
        LINK_FROM_ANOTHER_SITE,
        # Another host of the same site (a sibling subdomain) is not this site either.
        {**IMAGE_FROM_ANOTHER_SITE, "Sec-Fetch-Site": "same-site"},
    ],
    ids=["image", "frame", "link", "same-site-image"],
)
def test_another_sites_page_cannot_spend_a_visitors_poll_allowance(
    client: Client, settings: Any, headers: dict[str, str]
) -> None:
    settings.DEMO_POLLS_PER_MINUTE = 4
    settings.DEMO_EARLY_POLL_COST = 1
    job_id = make_email_job("ada@example.test").public_id
    # The 35 <img> tags of a hostile page, against both consoles' poll URLs.
    for attempt in range(35):
        refused = client.get(poll_urls(job_id)[attempt % 2], headers=headers)
        assert refused.status_code == 403
        assert len(refused.content) < SMALL
        assert "Refused: this console answers only from this site" in refused.content.decode()
    # The visitor's own allowance at the API is whole.
    assert api_polls_allowed(client, job_id, up_to=10) == 4


def test_a_refused_link_offers_the_reader_a_link_of_this_sites_own(client: Client) -> None:
    job_id = make_email_job("ada@example.test").public_id
    url = f"/playground/jobs/{job_id}/poll"
    refused = client.get(url, headers=LINK_FROM_ANOTHER_SITE)
    assert refused.status_code == 403
    assert "no-store" in refused["Cache-Control"]
    assert f'href="{url}"' in refused.content.decode()
    # Followed from that page, it is a same-origin navigation: answered.
    followed = client.get(url, headers={**LINK_FROM_ANOTHER_SITE, "Sec-Fetch-Site": "same-origin"})
    assert followed.status_code == 200
    assert "HTTP/1.1 200 OK" in followed.content.decode()


@pytest.mark.parametrize(
    "headers",
    [
        OWN_PAGE,
        {**OWN_PAGE, "HX-Request": "true"},
        # Typed into the address bar, or a bookmark.
        {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
        # No Sec-Fetch-* at all: an older browser, or a script acting for itself.
        {},
    ],
    ids=["same-origin", "same-origin-htmx", "typed", "no-header"],
)
def test_the_sites_own_pages_and_scripts_are_answered(
    client: Client, headers: dict[str, str]
) -> None:
    job_id = make_email_job("ada@example.test").public_id
    for url in [*poll_urls(job_id), "/playground/", "/playground/embed/", "/playground/limits/"]:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        # Links and frames to the pages meant for them: the doc writer's snippet works.
        ("/playground/", LINK_FROM_ANOTHER_SITE, 200),
        ("/playground/limits/", LINK_FROM_ANOTHER_SITE, 200),
        ("/playground/embed/", LINK_FROM_ANOTHER_SITE, 200),
        ("/playground/embed/", FRAME_ON_ANOTHER_SITE, 200),
        # Framing is the embed's alone: its request is refused before anything renders.
        ("/playground/", FRAME_ON_ANOTHER_SITE, 403),
        ("/playground/limits/", FRAME_ON_ANOTHER_SITE, 403),
        # Nothing a page makes a browser fetch quietly.
        ("/playground/", IMAGE_FROM_ANOTHER_SITE, 403),
        ("/playground/embed/", IMAGE_FROM_ANOTHER_SITE, 403),
    ],
)
def test_entry_pages_take_links_and_the_embed_takes_frames(
    client: Client, url: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert len(response.content) < SMALL


@pytest.mark.parametrize(
    "url",
    ["/playground/send", "/playground/embed/send", "/playground/limits/trip"],
)
def test_posts_from_another_site_are_refused_small_and_send_nothing(
    client: Client, url: str
) -> None:
    form = {"example": "bulk-email", "what": "pending", "body": "{}"}
    response = client.post(url, form, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert len(response.content) < SMALL
    assert "Refused: this console sends only from this site" in response.content.decode()
    assert Job.objects.count() == 0


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_consoles_own_limit_answers_429_small_before_any_api_request(
    client: Client, settings: Any, htmx: bool
) -> None:
    settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE = 3
    settings.DEMO_POLLS_PER_MINUTE = 4
    settings.DEMO_EARLY_POLL_COST = 1
    job_id = make_email_job("ada@example.test").public_id
    headers = {**OWN_PAGE, "HX-Request": "true"} if htmx else {}
    for _ in range(3):
        assert client.get("/playground/", headers=headers).status_code == 200
    refused = [client.get(url, headers=headers) for url in [*poll_urls(job_id), "/playground/"]]
    for response in refused:
        assert response.status_code == 429
        assert int(response["Retry-After"]) >= 1
        assert "no-store" in response["Cache-Control"]
        assert len(response.content) < SMALL
        assert "Too many requests" in response.content.decode()
        assert ("<html" in response.content.decode()) is not htmx
    # The refused polls sent nothing: the API's allowance is whole.
    assert api_polls_allowed(client, job_id, up_to=10) == 4
    # Another reader has an allowance of their own.
    other = client.get("/playground/", REMOTE_ADDR="127.0.0.44", headers=headers)
    assert other.status_code == 200


def test_the_embeds_refusal_shows_inside_its_frame(client: Client, settings: Any) -> None:
    settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE = 1
    assert client.get("/playground/embed/").status_code == 200
    refused = client.get("/playground/embed/")
    assert refused.status_code == 429
    assert "X-Frame-Options" not in refused.headers
    assert "frame-ancestors *" in refused["Content-Security-Policy"]
    assert client.get("/playground/")["X-Frame-Options"] == "DENY"


def test_tripping_a_limit_costs_as_many_requests_as_it_may_send(
    client: Client, settings: Any
) -> None:
    settings.DEMO_MAX_PENDING_PER_CLIENT = 3
    # Four jobs started and four canceled: eight API requests, from an allowance of ten.
    settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE = 10
    first = client.post("/playground/limits/trip", {"what": "pending"})
    assert first.status_code == 200
    assert "HTTP/1.1 429 Too Many Requests" in first.content.decode()
    # The fourth start was the API's 429: three jobs.
    started = Job.objects.count()
    assert started == 3
    again = client.post("/playground/limits/trip", {"what": "pending"})
    assert again.status_code == 429
    assert len(again.content) < SMALL
    assert Job.objects.count() == started
    # One request of another kind still fits what is left.
    assert client.get("/playground/").status_code == 200


def test_a_demonstration_larger_than_the_whole_allowance_costs_the_whole_minute(
    client: Client, settings: Any
) -> None:
    # The early-poll demo may send 1 + 200 + 1 requests; the allowance is 20.
    settings.DEMO_CONSOLE_REQUESTS_PER_MINUTE = 20
    started = time.monotonic()
    first = client.post("/playground/limits/trip", {"what": "early"})
    assert first.status_code == 200
    # The allowance refills as time passes (a request's worth every 3 s), so what is
    # judged is the store's state: the whole minute was charged, counted from the start
    # of the demonstration however long it took to run; taking the whole allowance again
    # waits what is left of that minute.
    wait = rate_store().take("console:127.0.0.1", cost=20, limit=20, period=60)
    assert wait >= 60 - (time.monotonic() - started) - 1
