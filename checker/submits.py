"""A live check's submit as a user describes it (the page's form, or JSON): checked,
and with its credentials left out: the site sends none of a stranger's secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from checker import report
from checker.exchanges import BadInput, Request

# The most a live check's submit may carry.
MAX_URL = 2000
MAX_HEADERS = 30
MAX_HEADER_VALUE = 4096
MAX_SUBMIT_BODY = 64 * 1024
METHOD = re.compile(r"[A-Z]{1,16}")
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")


def from_form(form: Mapping[str, str]) -> tuple[Request, list[str]]:
    """The submit described by the page's form."""
    return described(
        {
            "url": form.get("url", ""),
            "method": form.get("method", "POST"),
            "headers": header_lines(form.get("headers", "")),
            "body": form.get("body", ""),
        }
    )


def from_json(body: bytes) -> tuple[Request, list[str]]:
    """The submit described as JSON: {"url", "method", "headers", "body"}."""
    try:
        fields = json.loads(body or b"null")
    except ValueError:
        raise BadInput('The body is not JSON: send {"url": ..., "method": ...}.') from None
    if not isinstance(fields, dict):
        raise BadInput('The body must be a JSON object: {"url": ..., "method": ...}.')
    return described(fields)


def described(fields: dict[str, Any]) -> tuple[Request, list[str]]:
    """The submit a user described, and the names of the credentials left out of it:
    the site sends none of a stranger's secrets."""
    url = fields.get("url")
    if not isinstance(url, str) or not url.strip():
        raise BadInput("url: give the submit URL to check (http or https).")
    if len(url) > MAX_URL:
        raise BadInput(f"url: {len(url)} characters; at most {MAX_URL}.")
    method = fields.get("method", "POST")
    if not isinstance(method, str) or not METHOD.fullmatch(method.strip().upper()):
        raise BadInput("method: a request method such as POST, PUT or DELETE.")
    headers = headers_of(fields.get("headers", []))
    body = fields.get("body", "")
    if not isinstance(body, str):
        body = json.dumps(body)
    if len(body.encode()) > MAX_SUBMIT_BODY:
        raise BadInput(
            f"body: {len(body.encode())} bytes; a live check sends at most {MAX_SUBMIT_BODY}."
        )
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    kept = [(name, value) for name, value in headers if not report.secret(name)]
    dropped = [name for name, _ in headers if report.secret(name)]
    url, left_out = report.without_secret_parameters(url.strip())
    return Request(method.strip().upper(), url, tuple(kept), body), dropped + left_out


def header_lines(text: str) -> list[list[str]]:
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise BadInput(f"headers, line {number}: write it as 'Name: value'.")
        pairs.append([name.strip(), value.strip()])
    return pairs


def headers_of(given: Any) -> list[tuple[str, str]]:
    pairs = list(given.items()) if isinstance(given, dict) else given
    if not isinstance(pairs, list) or not all(
        isinstance(p, list | tuple) and len(p) == 2 for p in pairs
    ):
        raise BadInput('headers: an object {"Name": "value"} or a list of [name, value] pairs.')
    if len(pairs) > MAX_HEADERS:
        raise BadInput(f"headers: {len(pairs)}; a live check sends at most {MAX_HEADERS}.")
    checked = []
    for name, value in pairs:
        if not isinstance(name, str) or not TOKEN.fullmatch(name):
            raise BadInput(f"headers: {str(name)[:60]!r} is not a header name.")
        if (
            not isinstance(value, str)
            or len(value) > MAX_HEADER_VALUE
            or re.search(r"[\r\n\0]", value)
        ):
            raise BadInput(
                f"headers: the value of {name} must be one line of text, "
                f"at most {MAX_HEADER_VALUE} characters."
            )
        checked.append((name, value))
    return checked
