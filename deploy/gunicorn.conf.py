"""gunicorn's settings for `make serve` (deploy/serve, deploy/supervisord.conf).

Read from the environment like the site's own settings; an empty variable counts as
unset, and an invalid one stops gunicorn with a message naming it:

- HOST, PORT: the address to bind, 127.0.0.1:8000 by default.
- WEB_CONCURRENCY: web worker processes, 2 x cores + 1 (at most 8) by default.
- WEB_THREADS: threads per worker (4): a `Prefer: wait` request holds one for up to 10 s,
  and only DEMO_MAX_WAITS_PER_PROCESS of them wait at once.

A web worker that dies (or hangs past `timeout`) is replaced by gunicorn itself.
"""

from __future__ import annotations

import os

DEFAULT_WORKERS = min(2 * (os.cpu_count() or 1) + 1, 8)


def whole_number(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name}={value!r} is invalid; accepted values: a whole number >= 1.")
    return int(value)


bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{whole_number('PORT', 8000)}"
workers = whole_number("WEB_CONCURRENCY", DEFAULT_WORKERS)
worker_class = "gthread"
threads = whole_number("WEB_THREADS", 4)
# Load the site once in the master: a settings error stops it with one message,
# rather than one per worker, and workers start from a ready copy.
preload_app = True
timeout = 30
graceful_timeout = 15
keepalive = 5
proc_name = "http202-web"
# No control socket (gunicorn 25.1+ opens one in the home directory, shared by every
# instance): supervisorctl controls the processes, and gunicorn's signals still
# work, e.g. `supervisorctl signal HUP web` reloads the workers.
control_socket_disable = True
# The scheme is the site's to decide: it believes X-Forwarded-Proto only from
# DJANGO_TRUSTED_PROXIES. gunicorn's own rule would believe it from any peer on this
# machine (FORWARDED_ALLOW_IPS), whoever DJANGO_TRUSTED_PROXIES names.
secure_scheme_headers: dict[str, str] = {}
# Logs go to stdout and stderr, which supervisord passes to the terminal.
accesslog = "-"
# gunicorn's default format with X-Forwarded-For in place of the ident ("-"): behind
# nginx the peer is always 127.0.0.1, and the client is the address nginx forwarded.
access_log_format = '%(h)s %({x-forwarded-for}i)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
errorlog = "-"
