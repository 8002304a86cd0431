"""The checker's page: a flow handed over (a HAR file, a transcript) and its report."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from checker import har, report, transcript
from checker.exchanges import BadInput, Exchange
from checker.rules import RULES

# The most the checker reads of one upload or paste.
MAX_INPUT = 2 * 1024 * 1024


# Nothing is stored and nothing is sent on anyone's behalf: like a search form, the
# POST needs no CSRF token, so a check works from a page saved or embedded anywhere.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"rules": RULES.values(), "max_input": MAX_INPUT}
    status = 200
    if request.method == "POST":
        try:
            text, source = handed_over(request)
            context["pasted"] = text if source == "paste" else ""
            context["report"] = report.build(read(text))
        except BadInput as error:
            context["problem"] = str(error)
            status = 422
    response = render(request, "checker/check.html", context, status=status)
    # A report answers one request: no cache keeps it for the next reader.
    patch_cache_control(response, no_store=True)
    return response


def handed_over(request: HttpRequest) -> tuple[str, str]:
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


def read(text: str) -> list[Exchange]:
    """A HAR file if the text is JSON, a transcript otherwise."""
    if text.lstrip().startswith(("{", "[")):
        return har.read(text)
    return transcript.read(text)
