"""azure-core's LROPoller with LROBasePolling, as a generated Azure SDK client sets it up.

    python azure_core_poller.py SUBMIT_URL JSON

The pipeline has the policies a generated client's configuration gives it (redirects
followed, 408/429/5xx retried on Retry-After); the poller picks its algorithm from the
initial response (Operation-Location, else Location, else the status code) and polls
on Retry-After, one second without it. Same contract as the example clients: the
result on stdout and exit 0, or the error on stderr and exit 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from azure.core import PipelineClient
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import (
    ContentDecodePolicy,
    HeadersPolicy,
    RedirectPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.polling import LROPoller
from azure.core.polling.base_polling import LROBasePolling
from azure.core.rest import HttpRequest


def deserialize(response: PipelineResponse[Any, Any]) -> Any:
    return response.http_response.json() if response.http_response.content else None


def main(url: str, body: str) -> int:
    client: PipelineClient[Any, Any] = PipelineClient(
        base_url=url,
        policies=[
            RequestIdPolicy(),
            HeadersPolicy({"Accept": "application/json"}),
            UserAgentPolicy(),
            ContentDecodePolicy(),
            RedirectPolicy(),
            RetryPolicy(),
        ],
    )
    try:
        initial = client.send_request(
            HttpRequest("POST", url, json=json.loads(body)), _return_pipeline_response=True
        )
        poller: LROPoller[Any] = LROPoller(client, initial, deserialize, LROBasePolling(timeout=1))
        result = poller.result()
    except Exception as error:  # whatever the library raises is its conclusion
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
