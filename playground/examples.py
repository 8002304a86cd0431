"""What the console offers to send: the 202 page's examples, and variants of their bodies.

The examples themselves live in the 202 page's content (one source: the
reference's Examples section and the console never disagree); a variant only
says how to change an example's body so the job ends another way (some
recipients bounce, all of them do, the job is slow).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference.catalog import get_catalog
from reference.schema import Example

EXAMPLES_PAGE = 202


@dataclass(frozen=True)
class Variant:
    id: str
    label: str
    hint: str
    change: Callable[[dict[str, Any]], dict[str, Any]]


def _unchanged(body: dict[str, Any]) -> dict[str, Any]:
    return body


def _add_bounce(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "recipients": [*body.get("recipients", []), "nobody@bounce.example.test"]}


def _all_bounce(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "recipients": ["ada@bounce.example.test", "grace@bounce.example.test"]}


def _slow(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "recipients": [*body.get("recipients", []), "linus@slow.example.test"]}


EMAIL_VARIANTS: tuple[Variant, ...] = (
    Variant("success", "Success", "Every message is delivered.", _unchanged),
    Variant(
        "partial",
        "Partial bounces",
        "One address at bounce.example.test bounces; the rest are delivered.",
        _add_bounce,
    ),
    Variant(
        "failure",
        "Total failure",
        "Every address bounces, so the job ends failed.",
        _all_bounce,
    ),
    Variant(
        "slow",
        "Slow job",
        "An address at slow.example.test takes several extra steps.",
        _slow,
    ),
)

PREFER_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "No preference"),
    ("respond-async", "Prefer: respond-async"),
    ("wait=10", "Prefer: wait=10 (answer with the outcome if done within 10 s)"),
)


def examples() -> tuple[Example, ...]:
    return get_catalog().pages[EXAMPLES_PAGE].examples


def find_example(example_id: str | None) -> Example:
    all_examples = examples()
    return next((e for e in all_examples if e.id == example_id), all_examples[0])


def variants_for(example: Example) -> tuple[Variant, ...]:
    return EMAIL_VARIANTS if example.target == "/api/emails/bulk" else ()


def find_variant(example: Example, variant_id: str | None) -> Variant | None:
    return next((v for v in variants_for(example) if v.id == variant_id), None)


def body_for(example: Example, variant: Variant | None) -> str:
    """The body the console's form starts with: the example's, changed by the variant."""
    if variant is None or "json" not in example.request_headers.get("Content-Type", ""):
        return example.request_body
    return json.dumps(variant.change(json.loads(example.request_body)), indent=2) + "\n"
