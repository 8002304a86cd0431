"""The measured rows of the client-compatibility table: what each client concluded, its verdict.

Each row is what tests/clients/ observed; change one only by measuring again
(`make test` fails, naming every run that differs from its row).
"""

from __future__ import annotations

from api.compatibility import CONVENTION_IDS, SCENARIOS, Row

Verdicts = dict[str, str | tuple[str, str]]


def measured(client: str, convention: str, verdicts: Verdicts) -> tuple[Row, ...]:
    """One client under one convention: scenario -> verdict, or (verdict, why)."""
    assert set(verdicts) == {scenario.id for scenario in SCENARIOS}, (client, convention)
    rows = []
    for scenario in SCENARIOS:
        verdict = verdicts[scenario.id]
        what, why = verdict if isinstance(verdict, tuple) else (verdict, "")
        rows.append(Row(client, convention, scenario.id, what, why))
    return tuple(rows)


def every_scenario_right(client: str, convention: str) -> Verdicts:
    return {scenario.id: scenario.expected for scenario in SCENARIOS}


# Why azure-core and @azure/core-lro conclude what they do, in their own terms.
STATUS_CHECK = "no Location or Operation-Location: StatusCheckPolling takes the 200 as the end"
LOCATION_200 = "Location polling: any answer but 202 means done, so the pending 200 does"
LOCATION_FAILED = "Location polling: the 200 that says failed is not 202, so it means done"
LRO_NO_MONITOR = "no monitor header: the first 200 means succeeded"
LRO_LOCATION_200 = "Location mode: any 2xx but 202 means succeeded, the pending 200 too"
LRO_LOCATION_FAILED = "Location mode: the 200 that says failed means succeeded"
LRO_LOCATION_5XX = "Location mode: a poll answered 300 or more means the operation failed"
LRO_NUMERIC_STATUS = (
    "reads the 503/429 problem's numeric status as the operation's and gives up "
    "(retrying is the SDK pipeline's job, not the poller's)"
)
# Why the hand-written loop concludes what it does.
NAIVE_200 = "the monitor's 200 is not 202: the loop ends and prints the pending status"
NAIVE_FAILED = "the 200 that says failed ends the loop and is printed as the result"
NAIVE_DATE = "float() of an HTTP-date Retry-After: ValueError"
NAIVE_BUSY = "raise_for_status() on the transient 503/429 instead of waiting"
NAIVE_NO_LOCATION = "no Location header (only Operation-Location): KeyError"
NAIVE_OPERATION = "the 200 Operation (done: false) is not 202: printed as the result"
NAIVE_CREATED = "201 is not 202: the job as just created is printed as the result"
# Under OData: no generic client sends Prefer: respond-async, so none gets a job at all.
ODATA_REFUSED = "sends no Prefer: respond-async, so the submit is refused (400): no job starts"
LRO_ODATA_REFUSED = (
    "sends no Prefer: respond-async; the submit's 400 is reported as the operation failing"
)
NAIVE_ODATA_REFUSED = "raise_for_status() on the submit's 400: the loop sends no Prefer"


def refused_at_submit(why: str) -> Verdicts:
    """Every scenario ends at the refused submit: an error, early where the job would fail."""
    return {
        scenario.id: ("raised-early" if scenario.expected == "raised" else "raised", why)
        for scenario in SCENARIOS
    }


ROWS: tuple[Row, ...] = (
    *measured(
        "azure-core",
        "rfc9110",
        {
            "success": (
                "succeeded",
                "polls the Operation-Location this API's RFC 9110 submit also sends",
            ),
            "fails": "raised",
            "canceled": "raised",
            "retry-after-date": "succeeded",
            "monitor-503": ("succeeded", "its pipeline retries the 503 on Retry-After"),
            "monitor-429": ("succeeded", "its pipeline retries the 429 on Retry-After"),
            "gone-after-done": "raised",
            "lost-by-worker": (
                "succeeded",
                "polls the Operation-Location this API's RFC 9110 submit also sends",
            ),
        },
    ),
    *measured(
        "azure-core",
        "azure",
        {
            "success": "succeeded",
            "fails": "raised",
            "canceled": "raised",
            "retry-after-date": "succeeded",
            "monitor-503": ("succeeded", "its pipeline retries the 503 on Retry-After"),
            "monitor-429": ("succeeded", "its pipeline retries the 429 on Retry-After"),
            "gone-after-done": "raised",
            "lost-by-worker": "succeeded",
        },
    ),
    *measured(
        "azure-core",
        "request-reply",
        {scenario.id: ("pending-success", LOCATION_200) for scenario in SCENARIOS},
    ),
    *measured(
        "azure-core",
        "aip151",
        {scenario.id: ("pending-success", STATUS_CHECK) for scenario in SCENARIOS},
    ),
    *measured(
        "azure-core",
        "job-resource",
        {scenario.id: ("pending-success", LOCATION_200) for scenario in SCENARIOS},
    ),
    *measured("azure-core", "odata", refused_at_submit(ODATA_REFUSED)),
    *measured(
        "core-lro",
        "rfc9110",
        {
            "success": (
                "succeeded",
                "polls the Operation-Location this API's RFC 9110 submit also sends",
            ),
            "fails": "raised",
            "canceled": "raised",
            "retry-after-date": "succeeded",
            "monitor-503": ("raised", LRO_NUMERIC_STATUS),
            "monitor-429": ("raised", LRO_NUMERIC_STATUS),
            "gone-after-done": "raised",
            "lost-by-worker": (
                "succeeded",
                "polls the Operation-Location this API's RFC 9110 submit also sends",
            ),
        },
    ),
    *measured(
        "core-lro",
        "azure",
        {
            "success": "succeeded",
            "fails": "raised",
            "canceled": "raised",
            "retry-after-date": "succeeded",
            "monitor-503": ("raised", LRO_NUMERIC_STATUS),
            "monitor-429": ("raised", LRO_NUMERIC_STATUS),
            "gone-after-done": "raised",
            "lost-by-worker": "succeeded",
        },
    ),
    *measured(
        "core-lro",
        "request-reply",
        {
            "success": ("pending-success", LRO_LOCATION_200),
            "fails": ("pending-success", LRO_LOCATION_200),
            "canceled": ("pending-success", LRO_LOCATION_200),
            "retry-after-date": ("pending-success", LRO_LOCATION_200),
            "monitor-503": ("raised", LRO_LOCATION_5XX),
            "monitor-429": ("raised", LRO_LOCATION_5XX),
            "gone-after-done": ("pending-success", LRO_LOCATION_200),
            "lost-by-worker": ("pending-success", LRO_LOCATION_200),
        },
    ),
    *measured(
        "core-lro",
        "aip151",
        {scenario.id: ("pending-success", LRO_NO_MONITOR) for scenario in SCENARIOS},
    ),
    *measured(
        "core-lro",
        "job-resource",
        {
            "success": ("pending-success", LRO_LOCATION_200),
            "fails": ("pending-success", LRO_LOCATION_200),
            "canceled": ("pending-success", LRO_LOCATION_200),
            "retry-after-date": ("pending-success", LRO_LOCATION_200),
            "monitor-503": ("raised", LRO_LOCATION_5XX),
            "monitor-429": ("raised", LRO_LOCATION_5XX),
            "gone-after-done": ("pending-success", LRO_LOCATION_200),
            "lost-by-worker": ("pending-success", LRO_LOCATION_200),
        },
    ),
    *measured("core-lro", "odata", refused_at_submit(LRO_ODATA_REFUSED)),
    *measured(
        "naive-requests",
        "rfc9110",
        {
            "success": ("pending-success", NAIVE_200),
            "fails": ("pending-success", NAIVE_200),
            "canceled": ("false-success", NAIVE_FAILED),
            "retry-after-date": ("raised", NAIVE_DATE),
            "monitor-503": ("raised", NAIVE_BUSY),
            "monitor-429": ("raised", NAIVE_BUSY),
            "gone-after-done": ("pending-success", NAIVE_200),
            "lost-by-worker": ("pending-success", NAIVE_200),
        },
    ),
    *measured(
        "naive-requests",
        "azure",
        {
            scenario.id: (
                "raised-early" if scenario.expected == "raised" else "raised",
                NAIVE_NO_LOCATION,
            )
            for scenario in SCENARIOS
        },
    ),
    *measured(
        "naive-requests",
        "request-reply",
        {
            "success": ("pending-success", NAIVE_200),
            "fails": ("pending-success", NAIVE_200),
            "canceled": ("false-success", NAIVE_FAILED),
            "retry-after-date": ("raised", NAIVE_DATE),
            "monitor-503": ("raised", NAIVE_BUSY),
            "monitor-429": ("raised", NAIVE_BUSY),
            "gone-after-done": ("pending-success", NAIVE_200),
            "lost-by-worker": ("pending-success", NAIVE_200),
        },
    ),
    *measured(
        "naive-requests",
        "aip151",
        {scenario.id: ("pending-success", NAIVE_OPERATION) for scenario in SCENARIOS},
    ),
    *measured(
        "naive-requests",
        "job-resource",
        {scenario.id: ("pending-success", NAIVE_CREATED) for scenario in SCENARIOS},
    ),
    *measured("naive-requests", "odata", refused_at_submit(NAIVE_ODATA_REFUSED)),
    # The site's own examples: right under every convention they claim.
    *(
        row
        for client in ("example-python", "example-javascript", "example-shell")
        for convention in CONVENTION_IDS
        for row in measured(client, convention, every_scenario_right(client, convention))
    ),
)


def rows_by_key() -> dict[tuple[str, str, str], Row]:
    return {row.key: row for row in ROWS}
