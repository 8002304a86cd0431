"""What the reference tests share.

PUBLIC_SECTION_IDS is the anchors of a full page (the 202 page shows every one
of them), in page order. It is a literal list on purpose, not read from
``reference.schema.FULL_SECTIONS``: these ids are public URLs people link to
from their docs (``/202/#pitfalls``), so a change to the schema's ids must fail
a test (``tests/reference/test_pages.py`` compares the two) instead of moving
the links silently. The browser tests use the same list.
"""

from __future__ import annotations

PUBLIC_SECTION_IDS = [
    "eli5", "when-to-use", "how-to-respond", "headers", "response-body", "pitfalls", "examples",
    "spec", "server-perspective", "client-perspective", "playground", "references", "related",
    "constants",
]  # fmt: skip
