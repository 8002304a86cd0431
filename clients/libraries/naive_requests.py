"""The polling loop many hand-written clients use: requests, redirects followed.

    python naive_requests.py SUBMIT_URL JSON

POST, then GET the 202's Location while the answer is 202, sleeping Retry-After
seconds between polls; then raise for an error status and print the JSON. Same contract as
the example clients: the result on stdout and exit 0, or the error on stderr and
exit 1.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import urljoin

import requests


def main(url: str, body: str) -> int:
    try:
        r = requests.post(url, json=json.loads(body), timeout=30)
        if r.status_code == 202:
            monitor = urljoin(url, r.headers["Location"])
        while r.status_code == 202:
            time.sleep(float(r.headers.get("Retry-After", 1)))
            r = requests.get(monitor, timeout=30)
        r.raise_for_status()
        print(json.dumps(r.json(), indent=2))
    except Exception as error:  # whatever the loop trips over is its conclusion
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
