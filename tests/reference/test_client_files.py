"""The clients: header key: example client files a page shows, checked like any content."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from reference.catalog import get_catalog, parse_file
from reference.schema import ContentError
from tests.reference.test_content import FULL_BODY, make_content_file, make_example

PYTHON = {"label": "Python", "file": "clients/python/poll.py"}


def full_page(folder: Path, *, clients: object) -> Path:
    return make_content_file(
        folder, kind="full", body=FULL_BODY, examples=[make_example()], clients=clients
    )


def error_of(path: Path) -> str:
    with pytest.raises(ContentError) as raised:
        parse_file(path)
    return str(raised.value)


def test_a_page_reads_the_files_it_names(tmp_path: Path) -> None:
    page = parse_file(full_page(tmp_path, clients=[PYTHON]))
    (client,) = page.clients
    assert (client.id, client.label, client.language) == ("python", "Python", "python")
    assert client.text == (Path(settings.BASE_DIR) / PYTHON["file"]).read_text()
    assert "rfc9110" in client.conventions


@pytest.mark.parametrize(
    ("clients", "expected"),
    [
        ([{"label": "Python", "file": "clients/nope.py"}], "expected a file in clients/"),
        ([{"label": "Python", "file": "manage.py"}], "expected a file in clients/"),
        ([{"label": "Python", "file": "clients/../manage.py"}], "expected a file in clients/"),
        ([{"label": "Python"}], "expected exactly the keys label and file"),
        ([{**PYTHON, "extra": 1}], "expected exactly the keys label and file"),
        ([{"label": "", "file": PYTHON["file"]}], "expected label and file to be non-empty"),
        ([PYTHON, PYTHON], "expected every label to be unique"),
        ([], "expected a non-empty list"),
    ],
)
def test_a_bad_clients_entry_names_what_is_wrong(
    tmp_path: Path, clients: object, expected: str
) -> None:
    assert expected in error_of(full_page(tmp_path, clients=clients))


def test_only_full_pages_show_example_clients(tmp_path: Path) -> None:
    path = make_content_file(tmp_path, clients=[PYTHON])
    assert error_of(path) == "299.md: clients: only full pages show example clients"


def test_the_202_page_shows_each_client_file_as_it_is(client: Client) -> None:
    page = get_catalog().pages[202]
    assert [c.file for c in page.clients] == [
        "clients/python/poll.py",
        "clients/javascript/poll.mjs",
        "clients/shell/poll.sh",
    ]
    body = client.get("/202/").content.decode()
    section = body[body.index('id="client-perspective"') : body.index('id="playground"')]
    for shown in page.clients:
        text = (Path(settings.BASE_DIR) / shown.file).read_text()
        # Without JavaScript every file is there in full, under its own heading.
        assert html.escape(text) in section
        assert f'id="client-{shown.id}-heading"' in section
    # The copy buttons wait for the script that makes them work.
    assert section.count("data-copy-code=") == 3
    assert section.count(" hidden>Copy") == 3
