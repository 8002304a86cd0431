"""Check an API's asynchronous flow from the command line, for a developer's own CI.

    python manage.py check_api http://localhost:8000/jobs --data '{"n": 1}'
    python manage.py check_api --flow recorded.har

Sends the submit and follows the flow as a polite client (Retry-After honoured, capped
in polls and time), or reads a recorded flow (a HAR file, a transcript); prints the
report; exits 1 when the report has an error. The command runs on the developer's
machine, on their behalf: local addresses are allowed, metadata names still are not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from checker import har, live, report
from checker.exchanges import BadInput, Request


class Command(BaseCommand):
    help = "Check an API's 202 flow (live, or from a HAR file or transcript) and print the report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", nargs="?", help="the submit URL to send and follow")
        parser.add_argument("--method", default="POST", help="the submit's method (POST)")
        parser.add_argument(
            "--header", action="append", default=[], help="a request header, 'Name: value'"
        )
        parser.add_argument("--data", default="", help="the submit's body")
        parser.add_argument("--flow", type=Path, help="a recorded flow: a HAR file or transcript")
        parser.add_argument("--har", type=Path, help="also write the flow checked as a HAR file")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            exchanges = self.exchanges(options)
        except (BadInput, live.Refused, live.Unreachable, OSError) as error:
            raise CommandError(str(error)) from None
        if options["har"]:
            archive = har.write(exchanges, started=datetime.now(UTC))
            options["har"].write_text(json.dumps(archive, indent=2))
        checked = report.build(exchanges)
        if options["json"]:
            self.stdout.write(json.dumps(checked.to_json(), indent=2))
        else:
            self.stdout.write(as_text(checked))
        if checked.counts["error"]:
            raise CommandError(f"{checked.counts['error']} error(s) in the flow.", returncode=1)

    def exchanges(self, options: dict[str, Any]) -> list[Any]:
        if options["flow"]:
            return report.read_recorded(options["flow"].read_text(encoding="utf-8-sig"))
        if not options["url"]:
            raise CommandError("Give the submit URL to check, or --flow FILE.")
        headers = []
        for header in options["header"]:
            name, colon, value = header.partition(":")
            if not colon or not name.strip():
                raise CommandError(f"--header needs 'Name: value', not {header!r}.")
            headers.append((name.strip(), value.strip()))
        if options["data"] and not any(n.lower() == "content-type" for n, _ in headers):
            headers.append(("Content-Type", "application/json"))
        submit = Request(options["method"].upper(), options["url"], tuple(headers), options["data"])
        return live.follow(submit, allow_local=True)


def as_text(checked: report.Report) -> str:
    lines = [f"Convention: {checked.convention_name}"]
    for entry in checked.entries:
        request, response = entry.exchange.request, entry.exchange.response
        answered = f"{response.status} {response.reason}"
        lines.append(f"{entry.index + 1}. {request.method} {request.url} -> {answered}")
        for found in entry.findings:
            lines.append(
                f"   {found.rule.level}: {found.rule.id}: {found.rule.sentence} {found.detail}"
            )
        for note in entry.notes:
            if note.level in ("error", "warning"):
                lines.append(f"   httplint {note.level}: {note.summary}")
    counts = ", ".join(f"{count} {level}" for level, count in checked.counts.items())
    lines.append(f"Findings: {counts}.")
    return "\n".join(lines)
