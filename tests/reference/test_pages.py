from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from jobs.heartbeat import record_heartbeat
from reference.catalog import get_catalog
from reference.schema import FULL_SECTIONS
from tests.reference.helpers import PUBLIC_SECTION_IDS

# The IANA HTTP Status Code Registry, with RFC 9110's names: the test's own source of truth.
IANA_REGISTRY = {
    100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
    104: "Upload Resumption Supported",
    200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
    204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
    208: "Already Reported", 226: "IM Used",
    300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    304: "Not Modified", 305: "Use Proxy", 306: "(Unused)", 307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
    411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
    417: "Expectation Failed", 418: "(Unused)", 421: "Misdirected Request",
    422: "Unprocessable Content", 423: "Locked", 424: "Failed Dependency", 425: "Too Early",
    426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
    510: "Not Extended (OBSOLETED)", 511: "Network Authentication Required",
}  # fmt: skip


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: list[str] = []
        self.assets: list[str] = []
        self.h1_count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "h1":
            self.h1_count += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "link" and values.get("rel") in {"stylesheet", "icon"}:
            self.assets.append(values.get("href") or "")
        if tag == "script" and values.get("src"):
            self.assets.append(values["src"] or "")


def parse(html: str) -> LinkParser:
    parser = LinkParser()
    parser.feed(html)
    return parser


@pytest.fixture
def client() -> Client:
    return Client()


def test_every_registry_code_has_a_page_with_its_rfc_name() -> None:
    catalog = get_catalog()
    assert sorted(catalog.pages) == sorted(IANA_REGISTRY)
    for code, name in IANA_REGISTRY.items():
        assert catalog.pages[code].title == name, code


def test_schema_keeps_the_public_section_ids() -> None:
    # The ids are public URLs: renaming, dropping or reordering one must be deliberate.
    assert [spec.id for spec in FULL_SECTIONS] == PUBLIC_SECTION_IDS


def test_202_page_has_every_section_in_order(client: Client) -> None:
    response = client.get("/202/")
    assert response.status_code == 200
    ids = [i for i in parse(response.content.decode()).ids if i in PUBLIC_SECTION_IDS]
    assert ids == PUBLIC_SECTION_IDS


def test_202_page_structures_the_seed(client: Client) -> None:
    """The seed's situations for another code are a list of their own, its pitfalls warnings."""
    html = client.get("/202/").content.decode()
    when = html[html.index('id="when-to-use"') : html.index('id="how-to-respond"')]
    instead = when[when.index("Use another code instead") :]
    instead = instead[: instead.index("</ul>")]
    for situation, code in [
        ("Immediate processing that completes quickly", "/200/"),
        ("Resource creation that happens immediately", "/201/"),
        ("When the operation completed synchronously with no body to return", "/204/"),
    ]:
        assert situation in instead, situation
        assert f'href="{code}"' in instead
    assert "When you need to guarantee completion before responding" in instead
    pitfalls = html[html.index('id="pitfalls"') : html.index('id="examples"')]
    warnings = pitfalls[pitfalls.index("<ul>") : pitfalls.index("</ul>")]
    for seed in [
        "Do not use 202 when the operation already completed and a final status is available",
        "Do not imply guaranteed success if background processing can still fail",
    ]:
        assert seed in warnings, seed
    # Each warning is a sentence that says what goes wrong, not a bare situation.
    items = re.findall(r"<li>(.*?)</li>", warnings, re.DOTALL)
    assert len(items) >= 4
    for item in items:
        text = re.sub(r"<[^>]+>", "", item)
        assert text.startswith("Do not") and text.rstrip().endswith("."), text


def test_202_page_carries_the_seed(client: Client) -> None:
    html = client.get("/202/").content.decode()
    for phrase in [
        "We got your request and we're working on it!",
        "Bulk email sending",
        "Large file processing",
        "POST /api/emails/bulk HTTP/1.1",
        "Location: https://api.example.test/api/jobs/job_456",
        "Retry-After",
        "See Other",
        "no-cache",
    ]:
        assert phrase in html, phrase


@pytest.mark.parametrize("code", [200, 201, 204, 303])
def test_full_pages_have_every_section(client: Client, code: int) -> None:
    response = client.get(f"/{code}/")
    assert response.status_code == 200
    ids = [i for i in parse(response.content.decode()).ids if i in PUBLIC_SECTION_IDS]
    # These pages do not embed the playground; every other section is there, in order.
    assert ids == [i for i in PUBLIC_SECTION_IDS if i != "playground"]
    assert get_catalog().pages[code].is_full
    assert get_catalog().pages[code].examples


def test_index_lists_every_code_grouped_by_class(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()
    links = parse(html).links
    for code in IANA_REGISTRY:
        assert f"/{code}/" in links
    for status_class in ["1xx", "2xx", "3xx", "4xx", "5xx"]:
        assert f'id="class-{status_class}"' in html


def test_index_filter_works_without_javascript(client: Client) -> None:
    html = client.get("/", {"q": "gateway"}).content.decode()
    codes = set(re.findall(r'<li><a href="/(\d{3})/"><span class="status-code', html))
    assert codes == {"502", "504"}
    assert '<p class="filter__status" role="status">2 codes match “gateway”.</p>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # What a code is about, not only the words of its name: the filter's own examples.
        ("retry", {"429", "503"}),
        ("redirect", {"301", "302", "303", "307", "308"}),
    ],
)
def test_index_filter_finds_codes_by_what_they_are_about(
    client: Client, query: str, expected: set[str]
) -> None:
    html = client.get("/", {"q": query}).content.decode()
    codes = set(re.findall(r'<li><a href="/(\d{3})/"><span class="status-code', html))
    assert expected <= codes, codes
    if query == "redirect":
        # Only the codes that redirect: not 300, 304, 305 or 306.
        assert codes == expected


def test_index_filter_narrows_by_code_prefix() -> None:
    client = Client()
    html = client.get("/", {"q": "30"}).content.decode()
    codes = set(re.findall(r'<li><a href="/(\d{3})/"><span class="status-code', html))
    assert codes == {str(code) for code in IANA_REGISTRY if str(code).startswith("30")}


def test_index_filter_answers_htmx_with_just_the_list(client: Client) -> None:
    response = client.get("/", {"q": "5"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<div id="code-groups"')
    assert "/503/" in html and "/404/" not in html
    assert "HX-Request" in response["Vary"]


# /api/ shows the queue as it is now, read from the database.
@pytest.mark.django_db
def test_no_internal_link_is_broken(client: Client) -> None:
    # /api/ links to /healthz, which answers 200 only with a live worker.
    record_heartbeat(worker_id="link-check")
    """Crawl every page reachable from / and check every internal link and fragment."""
    seen: dict[str, LinkParser] = {}
    queue = ["/"]
    fragments: list[tuple[str, str, str]] = []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        if "text/html" not in response["Content-Type"]:
            seen[path] = LinkParser()
            continue
        parsed = parse(response.content.decode())
        seen[path] = parsed
        for link in parsed.links:
            url = urlsplit(urljoin(f"http://testserver{path}", link))
            if url.netloc not in ("testserver", "") or url.scheme not in ("http", ""):
                continue
            if url.fragment:
                fragments.append((path, url.path, url.fragment))
            if url.path not in seen:
                queue.append(url.path)
    assert len([p for p in seen if re.fullmatch(r"/\d{3}/", p)]) == len(IANA_REGISTRY)
    for source, target, fragment in fragments:
        assert fragment in seen[target].ids, (
            f"{source} links to {target}#{fragment}, which does not exist"
        )


# /api/ shows the queue as it is now, read from the database.
@pytest.mark.django_db
def test_every_page_has_one_h1_and_metadata(client: Client) -> None:
    for path in ["/", "/202/", "/418/", "/playground/", "/api/"]:
        html = client.get(path).content.decode()
        assert parse(html).h1_count == 1, path
        assert re.search(r"<title>[^<]+</title>", html), path
        assert '<meta name="description" content="' in html, path
        assert f'<link rel="canonical" href="http://testserver{path}">' in html, path
        assert '<meta property="og:title"' in html and '<meta property="og:url"' in html, path


def test_slashless_code_redirects_permanently(client: Client) -> None:
    response = client.get("/202")
    assert response.status_code == 301
    assert response["Location"] == "/202/"


def test_unknown_code_gets_a_helpful_404(client: Client) -> None:
    response = client.get("/299/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no status code 299" in html
    assert 'href="/201/"' in html  # nearby codes of the same class
    assert 'href="/?q=2">the 2xx codes</a>' in html
    # No class, no link to a filter that would match nothing.
    nowhere = client.get("/999/")
    assert nowhere.status_code == 404
    assert "There is no status code 999" in nowhere.content.decode()
    assert "9xx" not in nowhere.content.decode()
    assert "?q=9" not in nowhere.content.decode()
    assert client.get("/no-such-page/").status_code == 404
    assert "Page not found" in client.get("/no-such-page/").content.decode()


def test_json_representation(client: Client) -> None:
    response = client.get("/202.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["code"] == 202
    assert data["title"] == "Accepted"
    assert data["class"] == "2xx"
    assert data["canonicalUrl"] == "http://testserver/202/"
    sections = {section["id"]: section for section in data["sections"]}
    assert sections["eli5"]["markdown"].startswith("We got your request")
    assert sections["eli5"]["html"].startswith("<p>We got your request")
    assert sections["pitfalls"]["url"] == "http://testserver/202/#pitfalls"
    assert {item["code"] for item in data["related"]} >= {200, 201, 204, 303}
    assert data["references"]
    assert data["spec"][0]["url"].endswith("#section-15.3.3")
    assert client.get("/299.json").status_code == 404


def test_content_negotiation_on_the_page_url(client: Client) -> None:
    as_json = client.get("/202/", headers={"Accept": "application/json"})
    assert as_json["Content-Type"] == "application/json"
    assert as_json.json() == client.get("/202.json").json()
    assert "Accept" in as_json["Vary"]
    as_html = client.get("/202/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert as_html["Content-Type"].startswith("text/html")
    assert "Accept" in as_html["Vary"]
    assert as_html["ETag"] != as_json["ETag"]


@pytest.mark.parametrize("path", ["/", "/202/", "/202.json", "/404/"])
def test_conditional_get_answers_304(client: Client, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_sitemap_lists_every_page(client: Client) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    for code in IANA_REGISTRY:
        assert f"<loc>http://testserver/{code}/</loc>" in xml
    assert "<loc>http://testserver/</loc>" in xml
    assert "<loc>http://testserver/playground/</loc>" in xml
    assert "<loc>http://testserver/playground/clients/</loc>" in xml
    assert "<loc>http://testserver/api/</loc>" in xml


def test_the_measured_client_tables_have_a_page_of_their_own(client: Client) -> None:
    response = client.get("/playground/clients/")
    assert response.status_code == 200
    html = response.content.decode()
    # A table per convention (the ids /202/ had), a row per measured client in each.
    for convention in ["rfc9110", "azure", "request-reply", "aip151", "job-resource", "odata"]:
        assert f'<caption id="compatibility-{convention}-caption">' in html
    assert html.count('<th scope="row">') == 6 * 6
    # /202/ keeps a one-line summary and a link, not the tables.
    page = client.get("/202/").content.decode()
    assert "compatibility__table" not in page
    assert 'href="/playground/clients/#compatibility-heading"' in page
    assert client.post("/playground/clients/").status_code == 405


def test_sitemap_and_robots_use_site_url(client: Client, settings: Any) -> None:
    settings.SITE_URL = "https://http202.example"
    xml = client.get("/sitemap.xml").content.decode()
    assert "<loc>https://http202.example/202/</loc>" in xml
    assert "testserver" not in xml
    assert (
        "Sitemap: https://http202.example/sitemap.xml" in client.get("/robots.txt").content.decode()
    )
    html = client.get("/202/").content.decode()
    assert '<link rel="canonical" href="https://http202.example/202/">' in html


def test_robots_txt_answers_head(client: Client) -> None:
    assert client.head("/robots.txt").status_code == 200


def test_robots_txt_points_at_the_sitemap(client: Client) -> None:
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_worker(client: Client) -> None:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert response.json()["checks"]["database"]["status"] == "ok"
    assert response.status_code == 503  # no worker has been seen yet
    assert response["Retry-After"] == "10"
    record_heartbeat(worker_id="healthz-test")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["status"] == "ok"
    assert "no-store" in response["Cache-Control"]


def test_static_files_are_hashed_compressed_and_cached(client: Client) -> None:
    html = client.get("/202/").content.decode()
    assets = parse(html).assets
    css = next(a for a in assets if a.endswith(".css"))
    assert re.search(r"site\.[0-9a-f]{12}\.css$", css)
    response = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert (
        "max-age=315360000" in response["Cache-Control"]
        and "immutable" in response["Cache-Control"]
    )


@pytest.mark.django_db  # the console counts its readers' requests, in the database on PostgreSQL
def test_pages_refer_only_to_their_own_origin(client: Client) -> None:
    for path in ["/", "/202/", "/playground/"]:
        html = client.get(path).content.decode()
        for asset in parse(html).assets:
            assert asset.startswith("/static/"), asset
        assert not re.search(r"""(src|href)=["'](https?:)?//[^"']*\.(js|css|woff2?)""", html)


def _compressed_size(client: Client, path: str) -> int:
    response: Any = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") != "gzip":
        body = gzip.compress(body)
    return len(body)


def test_first_load_of_202_stays_under_60_kb_compressed(client: Client) -> None:
    html = client.get("/202/").content.decode()
    total = _compressed_size(client, "/202/")
    for asset in parse(html).assets:
        if asset.endswith((".css", ".js")):
            total += _compressed_size(client, asset)
    assert total < 60 * 1024, f"first load of /202/ is {total} bytes compressed"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/202/", "/418/", "/playground/", "/api/", "/299/"])
def test_pages_carry_a_strict_policy_and_no_inline_script(client: Client, path: str) -> None:
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
