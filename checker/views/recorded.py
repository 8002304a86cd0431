"""The checker's page, and a recorded flow (a HAR file, a transcript) its form hands
over, checked on the spot or kept for a link and replayed to real clients."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from api.clients import client_address
from checker import checks, limits, report
from checker.exchanges import BadInput
from checker.views.answers import MAX_INPUT, is_form, page_context, see_other


# A check on the spot stores nothing and sends nothing on anyone's behalf: like a
# search form, the POST needs no CSRF token, so it works from a page saved anywhere.
# Keeping it for a link stores only what the user handed over, redacted.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    """The page, and the report of the flow its form hands over. With keep ticked, the
    flow is kept for a link and replayed to real clients: 303 to its status page."""
    if request.method == "POST" and not is_form(request):
        # A flow POSTed as the body itself is the API's: the same request, sent there.
        query = f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else ""
        moved = HttpResponse(status=307)
        moved["Location"] = reverse("checker:api-checks") + query
        return moved
    context = page_context()
    status = 200
    retry_after: int | None = None
    if request.method == "POST":
        try:
            text, source = handed_over(request)
            context["pasted"] = text if source == "paste" else ""
            exchanges = report.read_recorded(text)
            if request.POST.get("keep"):
                kept = checks.keep_recorded_for(exchanges, client=client_address(request))
                return see_other(reverse("checker:status", args=[kept.id]))
            context["report"] = report.build(exchanges)
        except BadInput as error:
            context["problem"] = str(error)
            status = 422
        except limits.Refusal as refusal:
            context["problem"] = refusal.detail
            status, retry_after = refusal.status, refusal.retry_after
    response = render(request, "checker/check.html", context, status=status)
    # A report answers one request: no cache keeps it for the next reader.
    patch_cache_control(response, no_store=True)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def handed_over(request: HttpRequest) -> tuple[str, str]:
    """The flow the form hands over, and how: an uploaded file or pasted text."""
    try:
        upload = request.FILES.get("file")
        pasted = request.POST.get("flow", "")
    except RequestDataTooBig:
        raise BadInput(
            "The pasted text is too long to read here: save it as a file and upload it "
            f"(up to {MAX_INPUT // 1024 // 1024} MiB)."
        ) from None
    if upload is not None and upload.size:
        if upload.size > MAX_INPUT:
            raise BadInput(
                f"{upload.name} is {upload.size} bytes; the checker reads at most {MAX_INPUT}. "
                "Save only the requests of one job's flow."
            )
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig"), "file"
        except UnicodeDecodeError:
            raise BadInput(f"{upload.name} is not UTF-8 text: a HAR file is JSON.") from None
    if pasted.strip():
        return pasted, "paste"
    raise BadInput("Nothing to check: upload a HAR file or paste a HAR or a transcript.")
