"""The checker's page: a flow handed over (a HAR file, a transcript) and its report."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
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
    """The page; or, for a flow POSTed as the body itself (a HAR's JSON, a transcript) or
    asked for as JSON, the report as JSON and a refusal as problem+json."""
    context: dict[str, object] = {"rules": RULES.values(), "max_input": MAX_INPUT}
    status = 200
    if request.method == "POST":
        as_json = wants_json(request)
        try:
            text, source = handed_over(request)
            context["pasted"] = text if source == "paste" else ""
            checked = report.build(read(text))
            context["report"] = checked
        except BadInput as error:
            if as_json:
                return refused(str(error))
            context["problem"] = str(error)
            status = 422
        else:
            if as_json:
                answer = JsonResponse(checked.to_json(), json_dumps_params={"indent": 2})
                patch_cache_control(answer, no_store=True)
                return answer
    response = render(request, "checker/check.html", context, status=status)
    # A report answers one request: no cache keeps it for the next reader.
    patch_cache_control(response, no_store=True)
    return response


def is_form(request: HttpRequest) -> bool:
    return request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded")


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    if "application/json" in accept:
        return True
    return not is_form(request) and "text/html" not in accept


def refused(detail: str) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": detail,
    }
    answer = JsonResponse(body, status=422, content_type="application/problem+json")
    patch_cache_control(answer, no_store=True)
    return answer


def handed_over(request: HttpRequest) -> tuple[str, str]:
    if not is_form(request):
        # The flow is the body itself: read from the stream, within the checker's own cap.
        raw = request.read(MAX_INPUT + 1)
        if len(raw) > MAX_INPUT:
            raise BadInput(f"The body is over {MAX_INPUT} bytes, the most the checker reads.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput("The body is not UTF-8 text: a HAR file is JSON.") from None
        if not text.strip():
            raise BadInput("The body is empty: send a HAR file or a transcript.")
        return text, "body"
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
