"""The embed: the console other sites may frame, and a Send no forged click makes.

Only the embed's routes (under /playground/embed/) may be framed, whatever the
query: it sends, polls and cancels through URLs of its own, and each answers
with frame-ancestors * (render_console, told it is the embed). Framed, its
Send could be clickjacked: another page lays a decoy over the button and the
reader's one click sends. So the embed's Send only shows the exact request and a
Confirm below it; the Confirm carries a signed token bound to those fields and to
when they were shown, and sends only CONFIRM_AFTER seconds later or more.
"""

from __future__ import annotations

import hashlib
import json
import time

from django.core import signing
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from config.site import HtmxHttpRequest, absolute_url
from playground import examples
from playground.views.console import (
    cancel_and_show,
    console_context,
    outgoing_request,
    poll_and_show,
    readable_form,
    render_console,
    run_and_show,
    send_and_show,
    send_fields,
    step_and_show,
)
from playground.views.guard import FRAMED, console_view

# The embed's Confirm counts only this many seconds after its preview was made: a
# double-click that lands on Send and then on the Confirm as it appears does not send.
CONFIRM_AFTER = 1.0
# ...and at most this long after: a preview left open is shown again before sending.
CONFIRM_WITHIN = 600
CONFIRMATION_SALT = "playground.embed-send"
# The frame height a whole default run fits in (the 202, its polls at the site's own pace,
# the 303 and the result) at any width from 360 px, with room for one poll more; the
# browser tests measure it at 360 px, where a run is tallest, and in a 764 px column. The
# snippet, the embed's own size hint and the README say this number.
EMBED_FRAME_HEIGHT = 4200


@require_safe
@console_view(entry=FRAMED, framable=True)
def embed(request: HtmxHttpRequest) -> HttpResponse:
    context = console_context(request, embed=True)
    if not request.htmx:
        # How a doc writer puts the embed on their page, shown below it.
        url = absolute_url(request, reverse("playground:embed"))
        context["snippet"] = (
            f'<iframe src="{url}?example=bulk-email" title="202 Accepted, live" '
            f'width="100%" height="{EMBED_FRAME_HEIGHT}" loading="lazy"></iframe>'
        )
        context["frame_height"] = EMBED_FRAME_HEIGHT
        context["email_variants"] = examples.EMAIL_VARIANTS
    return render_console(request, "console", context, embed=True)


def _digest(fields: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def confirmation_for(fields: dict[str, str]) -> str:
    """The token a preview's Confirm carries: these exact fields, and when they were shown."""
    return signing.dumps({"fields": _digest(fields), "shown": time.time()}, salt=CONFIRMATION_SALT)


def _confirmed(token: str, fields: dict[str, str]) -> str:
    """Whether a Send carries a Confirm for these fields: "yes", "too-soon" or "no"."""
    try:
        data = signing.loads(token[:500], salt=CONFIRMATION_SALT, max_age=CONFIRM_WITHIN)
    except signing.BadSignature:
        return "no"
    if not isinstance(data, dict) or data.get("fields") != _digest(fields):
        return "no"
    shown = data.get("shown")
    if not isinstance(shown, (int, float)) or time.time() - shown < CONFIRM_AFTER:
        return "too-soon"
    return "yes"


def _preview(
    request: HtmxHttpRequest, fields: dict[str, str], *, token: str, too_soon: bool
) -> HttpResponse:
    """The embed's first step: the request its Send would make, and a Confirm that makes it."""
    url, headers = outgoing_request(fields)
    context = {
        "preview": {
            "method": examples.find_example(fields["example"]).method,
            "url": absolute_url(request, url),
            "headers": list(headers.items()),
            "body": fields["body"],
        },
        "confirm": {**fields, "confirmation": token},
        "confirm_after": CONFIRM_AFTER,
        "too_soon": too_soon,
    }
    return render_console(request, "run", context, embed=True)


@require_POST
@console_view(framable=True)
@readable_form(embed=True)
def embed_send(request: HtmxHttpRequest) -> HttpResponse:
    """The embed's Send: a preview first; the preview's Confirm, a moment later, sends."""
    fields = send_fields(request)
    token = request.POST.get("confirmation", "")
    confirmed = _confirmed(token, fields)
    if confirmed == "yes":
        return send_and_show(request, fields, embed=True)
    if confirmed == "no":
        token = confirmation_for(fields)
    return _preview(request, fields, token=token, too_soon=confirmed == "too-soon")


@require_safe
@console_view(framable=True)
def embed_poll(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    return poll_and_show(request, job_id, embed=True)


@require_POST
@console_view(framable=True)
@readable_form(embed=True)
def embed_cancel(request: HtmxHttpRequest, job_id: str) -> HttpResponse:
    return cancel_and_show(request, job_id, embed=True)


@require_safe
@console_view(entry=FRAMED, framable=True)
def embed_run(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    return run_and_show(request, run_id, embed=True)


@require_POST
@console_view(framable=True)
def embed_run_poll(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    return step_and_show(request, run_id, "poll", embed=True)


@require_POST
@console_view(framable=True)
def embed_run_cancel(request: HtmxHttpRequest, run_id: str) -> HttpResponse:
    return step_and_show(request, run_id, "cancel", embed=True)
