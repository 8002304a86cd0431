"""What every console template may ask of its request."""

from __future__ import annotations

from django.http import HttpRequest


def console_frame(request: HttpRequest) -> dict[str, bool]:
    """Whether this page or fragment is the embed's, as its route says (framing goes by it too).

    A poll's fragment is rendered without the page's context; the embed lays its run out
    tighter, for a frame of a fixed height, and every fragment needs to know which it is.
    """
    match = request.resolver_match
    name = (match.url_name or "") if match else ""
    return {
        "embed": match is not None and match.namespace == "playground" and name.startswith("embed")
    }
