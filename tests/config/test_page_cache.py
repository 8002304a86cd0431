"""Pages a cache can serve: the ETag is known before rendering, a repeat is a 304 that
renders nothing, and every reader gets the same bytes (config/page_cache.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from config import page_cache


@pytest.fixture(autouse=True)
def no_pages_kept() -> Iterator[None]:
    page_cache.forget_pages()
    yield
    page_cache.forget_pages()


def test_every_reader_gets_the_same_bytes_and_a_shared_cache_may_keep_them() -> None:
    first, second = Client().get("/202/"), Client().get("/202/")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert "public" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
    assert "Accept" in first["Vary"]
    assert "Set-Cookie" not in first and "csrftoken" not in first.content.decode()


def test_a_repeat_is_answered_304_without_rendering() -> None:
    client = Client()
    rendered = client.get("/202/")
    assert [t.name for t in rendered.templates][:1] == ["reference/status.html"]

    repeat = client.get("/202/", headers={"If-None-Match": rendered["ETag"]})
    assert repeat.status_code == 304 and repeat.content == b""
    assert repeat.templates == []
    assert repeat["ETag"] == rendered["ETag"]
    # The 304 carries what the 200 would have (RFC 9110 §15.4.5).
    assert repeat["Cache-Control"] == rendered["Cache-Control"]
    assert repeat["Vary"] == rendered["Vary"]
    # GZipMiddleware weakens a compressed page's tag; it still matches.
    weak = client.get("/202/", headers={"If-None-Match": f"W/{rendered['ETag']}"})
    assert weak.status_code == 304


def test_the_next_reader_gets_the_kept_page_without_rendering() -> None:
    rendered = Client().get("/201/")
    kept = Client().get("/201/")
    assert kept.templates == [] and kept.content == rendered.content
    assert kept["Content-Type"] == rendered["Content-Type"]


def test_the_etag_is_the_variants_and_the_deployments(settings) -> None:
    html = Client().get("/202/")
    json = Client().get("/202/", headers={"Accept": "application/json"})
    other_page = Client().get("/201/")
    other_host = Client().get("/202/", headers={"Host": "127.0.0.1"})
    tags = {html["ETag"], json["ETag"], other_page["ETag"], other_host["ETag"]}
    assert len(tags) == 4
    assert json["Content-Type"] == "application/json"

    # A page shows the demo's settings: a deploy that changes one changes every tag,
    # and the stale tag gets the new page, not a 304.
    settings.DEMO_PACE = 2.5
    redeployed = Client().get("/202/", headers={"If-None-Match": html["ETag"]})
    assert redeployed.status_code == 200 and redeployed["ETag"] != html["ETag"]


def test_an_unknown_page_is_neither_kept_nor_tagged() -> None:
    missing = Client().get("/299/")
    assert missing.status_code == 404
    assert "ETag" not in missing or missing.templates
    assert not any(stored for stored in page_cache._pages.values() if b"299" in stored.content)


def test_no_more_pages_are_kept_than_the_limit(settings, monkeypatch) -> None:
    monkeypatch.setattr(page_cache, "MAX_PAGES", 3)
    monkeypatch.setattr(page_cache, "MAX_SEARCHED_PAGES", 2)
    for path in ["/", "/200/", "/201/", "/202/", "/204/"]:
        assert Client().get(path).status_code == 200
    for query in range(6):
        assert Client().get(f"/?q={query}").status_code == 200
    assert len(page_cache._pages) == 3 and len(page_cache._searched) == 2


def test_a_page_is_compressed_once_for_those_who_ask() -> None:
    import gzip

    import brotli  # type: ignore[import-untyped]

    plain = Client().get("/202/")
    as_br = Client().get("/202/", headers={"Accept-Encoding": "gzip, deflate, br"})
    as_gzip = Client().get("/202/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain
    assert as_br["Content-Encoding"] == "br" and as_gzip["Content-Encoding"] == "gzip"
    assert brotli.decompress(as_br.content) == plain.content
    assert gzip.decompress(as_gzip.content) == plain.content
    assert len(as_br.content) < len(as_gzip.content) < len(plain.content) / 3
    # One tag for every coding, weak where the bytes are compressed.
    assert as_br["ETag"] == as_gzip["ETag"] == "W/" + plain["ETag"]
    assert "Accept-Encoding" in as_br["Vary"]
    again = Client().get("/202/", headers={"Accept-Encoding": "br", "If-None-Match": as_br["ETag"]})
    assert again.status_code == 304
    # The headers the inner middleware gave the page come with the kept copy.
    for name in ["Content-Security-Policy", "X-Frame-Options", "Content-Type"]:
        assert as_br[name] == plain[name]


def test_anything_else_is_left_to_the_rest_of_the_stack() -> None:
    api = Client().get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200 and api["Content-Encoding"] == "gzip"  # GZipMiddleware
    assert not page_cache._pages or all(
        b"openapi" not in page.content[:200] for page in page_cache._pages.values()
    )


def test_a_query_the_page_does_not_read_is_answered_with_the_page_without_it() -> None:
    canonical = Client().get("/202/")
    for n in range(20):
        stranger = Client().get(f"/202/?x={n}&utm_source=spam{n}")
        assert stranger.status_code == 200 and stranger.templates == []
        assert stranger.content == canonical.content and stranger["ETag"] == canonical["ETag"]
    # Nor do headers the view makes nothing different of.
    for n in range(5):
        assert Client().get("/202/", headers={"Accept": f"text/html, */{n}"}).templates == []
    assert len(page_cache._pages) == 1
    # A parameter the page reads still picks its own page.
    assert Client().get("/").status_code == 200
    assert Client().get("/?q=zzzz").templates != []
    assert len(page_cache._pages) == 2 and len(page_cache._searched) == 1


def test_a_miss_compresses_a_page_once(monkeypatch) -> None:
    compressed = []
    compress = page_cache.brotli.compress

    def counting(data: bytes, **kwargs: object) -> bytes:
        compressed.append(len(data))
        return compress(data, **kwargs)

    monkeypatch.setattr(page_cache.brotli, "compress", counting)
    for n in range(10):
        answer = Client().get(f"/202/?x={n}", headers={"Accept-Encoding": "br"})
        assert answer["Content-Encoding"] == "br"
    assert len(compressed) == 1


def test_the_pages_kept_are_bounded_in_bytes(monkeypatch) -> None:
    monkeypatch.setattr(page_cache, "MAX_SEARCHED_PAGE_BYTES", 300_000)
    monkeypatch.setattr(page_cache, "MAX_SEARCHED_ENCODED_BYTES", 100_000)
    for query in range(12):
        answer = Client().get(f"/?q={query}", headers={"Accept-Encoding": "br"})
        assert answer.status_code == 200
    assert sum(page.size for page in page_cache._searched.values()) <= 300_000
    assert sum(len(body) for body in page_cache._searched_encoded.values()) <= 100_000
    # The page last asked for is kept.
    assert Client().get("/?q=11").templates == []


def test_searches_never_push_out_the_pages_every_reader_gets(monkeypatch) -> None:
    compressed: list[int] = []
    compress = page_cache.brotli.compress

    def counting(data: bytes, **kwargs: object) -> bytes:
        compressed.append(len(data))
        return compress(data, **kwargs)

    monkeypatch.setattr(page_cache.brotli, "compress", counting)
    assert Client().get("/202/", headers={"Accept-Encoding": "br"}).status_code == 200
    assert len(compressed) == 1
    for query in range(page_cache.MAX_PAGES + 1):
        assert Client().get(f"/?q=s{query}").status_code == 200
    assert len(page_cache._searched) <= page_cache.MAX_SEARCHED_PAGES
    # /202/ is still kept, with its compressed body: nothing is rendered or compressed.
    again = Client().get("/202/", headers={"Accept-Encoding": "br"})
    assert again.templates == [] and again["Content-Encoding"] == "br"
    assert len(compressed) == 1
