"""Every anchor the full pages had keeps working: doc writers link to them.

The ids are listed as they were on the pages before the 202 page put its answer
first and moved its measured client tables to a page of their own; they are
literal on purpose, so that a later change that drops one fails here. An anchor
whose content moved stays on its page inside an element of class ``moved``, with
a sentence and a link to where the content went, and that link must land on an
element of the page it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client

ANCHORS_202 = [
    "main", "toc-heading", "eli5", "spec", "server-perspective", "client-perspective",
    "example-clients", "client-python", "client-python-heading", "client-python-code",
    "client-javascript", "client-javascript-heading", "client-javascript-code", "client-shell",
    "client-shell-heading", "client-shell-code", "compatibility", "compatibility-heading",
    "compatibility-rfc9110-caption", "compatibility-azure-caption",
    "compatibility-request-reply-caption", "compatibility-aip151-caption",
    "compatibility-job-resource-caption", "when-to-use", "how-to-respond", "headers",
    "response-body", "pitfalls", "examples", "example-bulk-email", "example-file-processing",
    "playground", "console", "console-title", "examples-label", "variants-label",
    "conventions-label", "console-content-type", "console-body", "console-key", "console-prefer",
    "console-outcome", "console-outcome-hint", "run-title", "run-status", "run-problem", "run",
    "browser-view", "browser-view-title", "references", "related", "announcer",
    # Added since, and kept from then on.
    "location-on-202", "compatibility-odata-caption",
]  # fmt: skip

SECTIONS = [
    "main", "toc-heading", "eli5", "spec", "server-perspective", "client-perspective",
    "when-to-use", "how-to-respond", "headers", "response-body", "pitfalls", "examples",
    "references", "related", "announcer",
]  # fmt: skip

ANCHORS = {
    202: ANCHORS_202,
    200: [*SECTIONS, "example-synchronous-preview", "example-status-monitor-running"],
    201: [*SECTIONS, "example-create-user", "example-create-with-put"],
    204: [*SECTIONS, "example-conditional-patch", "example-delete-webhook"],
    303: [*SECTIONS, "example-job-finished", "example-post-redirect-get"],
}

# Elements that never hold content, so never an end tag to wait for.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Anchor:
    tag: str
    moved: bool
    href: str | None = None
    depth: int = 0


@dataclass
class AnchorParser(HTMLParser):
    """Every id on a page: its element, whether it sits in a ``moved`` note, its first link."""

    anchors: dict[str, Anchor] = field(default_factory=dict)
    open_tags: list[tuple[str, bool]] = field(default_factory=list)  # (tag, inside a moved note)
    waiting: list[Anchor] = field(default_factory=list)  # anchors still open, without a link yet

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        moved = any(c in ("moved", "moved__link") for c in classes) or any(
            inside for _, inside in self.open_tags
        )
        href = values.get("href") if tag == "a" else None
        if href:
            for anchor in self.waiting:
                anchor.href = anchor.href or href
        if values.get("id"):
            anchor = Anchor(tag=tag, moved=moved, href=href, depth=len(self.open_tags))
            self.anchors[values["id"] or ""] = anchor
            if tag not in VOID and not href:
                self.waiting.append(anchor)
        if tag not in VOID:
            self.open_tags.append((tag, moved))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.open_tags:
            popped, _ = self.open_tags.pop()
            if popped == tag:
                break
        self.waiting = [a for a in self.waiting if a.depth < len(self.open_tags)]


def anchors_of(client: Client, path: str) -> dict[str, Anchor]:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = AnchorParser()
    parser.feed(response.content.decode())
    return parser.anchors


@pytest.mark.parametrize("code", sorted(ANCHORS))
def test_every_anchor_of_a_full_page_still_lands(client: Client, code: int) -> None:
    page = f"/{code}/"
    anchors = anchors_of(client, page)
    missing = [anchor_id for anchor_id in ANCHORS[code] if anchor_id not in anchors]
    assert missing == [], f"{page} lost {missing}"
    for anchor_id in ANCHORS[code]:
        anchor = anchors[anchor_id]
        if not anchor.moved:
            continue
        # A moved anchor says where its content went, and that place exists.
        assert anchor.href, f"{page}#{anchor_id} moved without a link"
        target = urlsplit(anchor.href)
        assert target.path and target.path != page and target.fragment, anchor.href
        assert target.fragment in anchors_of(client, target.path), anchor.href


def test_the_moved_client_tables_point_to_their_own_page(client: Client) -> None:
    anchors = anchors_of(client, "/202/")
    moved = sorted(anchor_id for anchor_id, anchor in anchors.items() if anchor.moved)
    assert moved == sorted(
        anchor_id for anchor_id in ANCHORS_202 if anchor_id.startswith("compatibility")
    )
    for anchor_id in moved:
        assert urlsplit(anchors[anchor_id].href or "").path == "/playground/clients/"


def test_the_pitfalls_anchor_still_names_the_pitfalls(client: Client) -> None:
    html = client.get("/202/").content.decode()
    assert '<h2 id="pitfalls">Server-side pitfalls' in html
