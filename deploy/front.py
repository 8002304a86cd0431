"""The buffering front of `make serve`: nginx's configuration, written from the environment.

deploy/serve runs this before supervisord starts nginx. nginx takes the slow and idle
clients off gunicorn: it reads each request's header and whole body under short
timeouts, and hands gunicorn only complete requests over loopback, so a gunicorn
thread is never spent waiting on a client.

    python deploy/front.py OUT     write nginx's configuration to OUT

Read from the environment (deploy/serve sets or checks them first): HOST and PORT
(where nginx listens), WEB_PORT (gunicorn, on 127.0.0.1), SERVE_RUN_DIR (nginx's pid
and temporary files), SERVE_USER (nginx's workers' user when started as root) and
DJANGO_TRUSTED_PROXIES (the proxies in front of the site, if any, whose
X-Forwarded-For and X-Forwarded-Proto nginx believes). The largest body nginx lets
through comes from the site's own settings (DEMO_MAX_UPLOAD_BYTES, DEMO_MAX_BODY_BYTES),
so the site still answers its own 413 for the bodies it refuses.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from pathlib import Path

# Seconds a client may take to send its whole header, or between two reads of its
# body, before nginx closes the connection; an idle keep-alive connection is closed
# after KEEPALIVE_SECONDS. A browser or an API client sends both at once; only a
# client that trickles or stalls meets them.
HEADER_SECONDS = 5
BODY_SECONDS = 5
SEND_SECONDS = 10
KEEPALIVE_SECONDS = 5
# Open connections per nginx worker: an idle one costs nginx a few hundred bytes and
# gunicorn nothing, so thousands are cheap.
WORKER_CONNECTIONS = 4096
# What nginx adds to the largest body the site reads, so that a body the site refuses
# still reaches it and gets its own problem+json 413 rather than nginx's.
BODY_MARGIN = 64 * 1024
# Requests one client may have in progress at once (its header read, its body being
# read or its answer awaited): a client trickling bodies on many connections holds
# no more than this many of nginx's connections, and the next gets a 429. A browser
# opens six connections to a site; an office behind one address, a few dozen. A client
# is what the site's own limits count: an IPv4 address, or an IPv6 /64 (one
# subscriber's network, whose 2**64 addresses are all one household's to use).
REQUESTS_PER_CLIENT = 64


class Invalid(Exception):
    pass


def trusted_proxies(value: str) -> list[str]:
    """DJANGO_TRUSTED_PROXIES as nginx writes networks; Invalid names what is wrong."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise Invalid(
                f"DJANGO_TRUSTED_PROXIES={value!r} is invalid; accepted values: "
                "comma-separated IP addresses or CIDR networks (e.g. 10.0.0.0/8,::1)."
            ) from None
    return networks


def listen_address(host: str, port: int) -> str:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return f"{host}:{port}"  # a host name, resolved by nginx
    if address.version == 4:
        return f"{address}:{port}"
    if address.is_unspecified:
        # "::" is every address, IPv4 ones too (as IPv4-mapped IPv6 addresses): nginx
        # alone would listen on IPv6 only.
        return f"[{address}]:{port} ipv6only=off"
    return f"[{address}]:{port}"


def largest_body() -> int:
    """The largest request body any view of the site reads, plus BODY_MARGIN."""
    import django

    django.setup()
    from django.conf import settings

    from api.intake import MULTIPART_OVERHEAD

    upload = settings.DEMO_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD
    return max(upload, settings.DATA_UPLOAD_MAX_MEMORY_SIZE) + BODY_MARGIN


def render(
    *,
    listen: str,
    web_port: int,
    run_dir: Path,
    user: str | None,
    proxies: list[str],
    max_body: int,
    site_url: str,
) -> str:
    temp = run_dir / "nginx"
    # The site's origin in the API's problem types: SITE_URL, else the request's own, if
    # its Host is a plain host name (nothing that would break out of the JSON string).
    origin = site_url.rstrip("/") or "$request_origin"
    too_large = json.dumps(
        {
            "type": f"{origin}/api/#problem-body-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"The body is larger than the {max_body} bytes this site reads.",
        }
    )
    busy = json.dumps(
        {
            "type": f"{origin}/api/#problem-rate-limited",
            "title": "Too many requests",
            "status": 429,
            "detail": f"This client (an IPv4 address, or an IPv6 /64) has "
            f"{REQUESTS_PER_CLIENT} requests in progress, the most the site takes from one "
            "client at once; try again in 1 s.",
        }
    )
    user_line = f"user {user};" if user else "# Not started as root: the workers run as the caller."
    # X-Forwarded-For is walked from the right, skipping trusted proxies; the first
    # address that is not one is the client ($remote_addr from then on).
    real_ip = "".join(f"    set_real_ip_from {network};\n" for network in proxies)
    if proxies:
        real_ip += "    real_ip_header X-Forwarded-For;\n    real_ip_recursive on;\n"
        trusted = "".join(f"        {network} 1;\n" for network in proxies)
    else:
        trusted = ""
    return f"""\
# Written by deploy/front.py when `make serve` starts; edits here are lost.
daemon off;
{user_line}
worker_processes auto;
worker_rlimit_nofile {2 * WORKER_CONNECTIONS + 64};
pid {run_dir / "nginx.pid"};
error_log stderr warn;

events {{
    worker_connections {WORKER_CONNECTIONS};
}}

http {{
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};

    # Only what nginx answers itself (a header or body that timed out, a body over
    # the cap, a broken request): gunicorn logs every request it answers.
    map $upstream_status $answered_by_front {{
        "" 1;
        default 0;
    }}
    log_format front '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                     '$request_time front';
    access_log /dev/stdout front if=$answered_by_front;

    client_header_timeout {HEADER_SECONDS}s;
    client_body_timeout {BODY_SECONDS}s;
    send_timeout {SEND_SECONDS}s;
    keepalive_timeout {KEEPALIVE_SECONDS}s;
    keepalive_requests 1000;
    # A client cut off by a timeout gets a reset: nothing lingers in the kernel.
    reset_timedout_connection on;
    client_max_body_size {max_body};
    # Bodies are read whole (to memory up to this, then to a temporary file) before
    # gunicorn sees them.
    client_body_buffer_size 64k;
    proxy_request_buffering on;
    proxy_buffering on;

    # The site compresses, names itself and dates its own answers.
    gzip off;
    server_tokens off;
    charset off;
    proxy_pass_header Server;
    proxy_pass_header Date;
    proxy_redirect off;
    proxy_intercept_errors off;

    # The client a request counts against, as the site counts it: the first 8 bytes
    # (the /64) of an IPv6 address, the 4 of an IPv4 one, and an IPv4-mapped IPv6
    # address (::ffff:192.0.2.1, how an IPv4 client reaches a dual-stack listen) as the
    # IPv4 address it is. The address is the client's past any trusted proxy. Matched on
    # the address's bytes, not its text, whose "::" can fall anywhere in the first four
    # groups (2001:db8::1:0:0:1 and 2001:db8::1 are of one /64); (?s) lets "." match
    # every byte, newline included.
    map $binary_remote_addr $client_key {{
        "~(?s)^\\x00{{10}}\\xff\\xff(.{{4}})$" $1;
        "~(?s)^(.{{8}}).{{8}}$" $1;
        default $binary_remote_addr;
    }}
    limit_conn_zone $client_key zone=per_client:10m;
    limit_conn_status 429;
    limit_conn_log_level warn;

    # Whether the connection came from a proxy the operator trusts.
    geo $realip_remote_addr $from_trusted_proxy {{
        default 0;
{trusted}    }}
    # X-Forwarded-Proto from a trusted proxy (http or https only), else how the
    # client reached nginx.
    map "$from_trusted_proxy:$http_x_forwarded_proto" $forwarded_proto {{
        default $scheme;
        "1:https" https;
        "1:http" http;
    }}

    map $http_host $request_origin {{
        "~^[A-Za-z0-9.:\\[\\]-]+$" "$forwarded_proto://$http_host";
        default "";
    }}

    upstream web {{
        server 127.0.0.1:{web_port};
        # Connections kept open to gunicorn, closed before its own keep-alive (5 s)
        # closes them, so a request is never sent on a connection being closed.
        keepalive 32;
        keepalive_timeout 4s;
    }}

    server {{
        listen {listen} backlog=4096;
{real_ip}        limit_conn per_client {REQUESTS_PER_CLIENT};

        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # Exactly one X-Forwarded-For, the client as nginx knows it. The other
            # forwarding headers are not passed on at all: gunicorn would believe
            # X-Forwarded-Ssl and X-Forwarded-Protocol from nginx as it does -Proto.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $forwarded_proto;
            proxy_set_header X-Forwarded-Host "";
            proxy_set_header X-Forwarded-Port "";
            proxy_set_header X-Forwarded-Ssl "";
            proxy_set_header X-Forwarded-Protocol "";
            proxy_set_header X-Real-IP "";
            proxy_set_header Forwarded "";
            # A Prefer: wait holds a request up to 10 s; gunicorn's own timeout is 30 s.
            proxy_read_timeout 60s;
            proxy_connect_timeout 5s;
        }}

        # A body larger than any view reads: refused before it is read, in the API's
        # own problem format.
        error_page 413 @too_large;
        location @too_large {{
            default_type application/problem+json;
            add_header Cache-Control "no-store" always;
            return 413 '{too_large}\\n';
        }}

        # One client past its requests in progress (only nginx's own 429: the site's
        # pass through as they are).
        error_page 429 @busy;
        location @busy {{
            default_type application/problem+json;
            add_header Cache-Control "no-store" always;
            add_header Retry-After "1" always;
            return 429 '{busy}\\n';
        }}
    }}
}}
"""


def whole_number(name: str) -> int:
    value = os.environ.get(name, "")
    if not value.isdigit() or int(value) < 1:
        raise Invalid(f"{name}={value!r} is invalid; accepted values: a whole number >= 1.")
    return int(value)


def main(out: Path) -> None:
    run_dir = Path(os.environ["SERVE_RUN_DIR"])
    started_as_root = os.geteuid() == 0
    text = render(
        listen=listen_address(os.environ.get("HOST") or "127.0.0.1", whole_number("PORT")),
        web_port=whole_number("WEB_PORT"),
        run_dir=run_dir,
        user=os.environ["SERVE_USER"] if started_as_root else None,
        proxies=trusted_proxies(os.environ.get("DJANGO_TRUSTED_PROXIES", "")),
        max_body=largest_body(),
        site_url=os.environ.get("SITE_URL", ""),
    )
    out.write_text(text)


if __name__ == "__main__":
    # The site's settings and the playground's limits are imported from the project.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        main(Path(sys.argv[1]))
    except Invalid as error:
        raise SystemExit(f"deploy/serve: {error}") from None
