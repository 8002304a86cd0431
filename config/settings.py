"""Settings for the HTTP 202 reference site.

Every value comes from an environment variable with a safe development default;
an empty variable counts as unset. The settings fail closed: a value that does
not parse, or is out of range, stops the process with a message naming the
variable and the accepted values. With SITE_ENV=production the process also
refuses to start on an unsafe value and names the variable to set.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError, validate

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"

env = Env()


def read(parse: Callable[..., Any], name: str, default: Any, accepted: str, **kwargs: Any) -> Any:
    """`name` parsed by environs, or `default` if unset or empty; stops on an invalid value."""
    if not os.environ.get(name):
        return default
    try:
        return parse(name, **kwargs)
    except EnvError:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r} is invalid; accepted values: {accepted}."
        ) from None


def env_str(name: str, default: str) -> str:
    return str(read(env.str, name, default, "any text"))


def env_choice(name: str, default: str, choices: list[str]) -> str:
    one_of = validate.OneOf(choices)
    return str(read(env.str, name, default, ", ".join(choices), validate=one_of))


def env_bool(name: str, default: bool) -> bool:
    return bool(read(env.bool, name, default, "true/false, yes/no, on/off, 1/0"))


def env_int(name: str, default: int, minimum: int) -> int:
    at_least = validate.Range(min=minimum)
    return int(read(env.int, name, default, f"a whole number >= {minimum}", validate=at_least))


def env_float(name: str, default: float, minimum: float, inclusive: bool = True) -> float:
    bound = validate.Range(min=minimum, min_inclusive=inclusive)
    accepted = f"a number {'>=' if inclusive else '>'} {minimum:g}"
    return float(read(env.float, name, default, accepted, validate=bound))


def env_list(name: str, default: list[str]) -> list[str]:
    items = read(env.list, name, default, "comma-separated values")
    return [item.strip() for item in items if item.strip()]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`name` as comma-separated IP addresses or CIDR networks; empty by default."""
    networks = []
    for entry in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} has {entry!r}, which is not an IP address or network; accepted values: "
                "comma-separated IP addresses or CIDR networks (127.0.0.1,::1,10.0.0.0/8)."
            ) from None
    return networks


def env_path(name: str, default: Path) -> Path:
    return Path(read(env.path, name, default, "a file system path"))


SITE_ENV = env_choice("SITE_ENV", "development", ["development", "production"])
PRODUCTION = SITE_ENV == "production"

SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The public origin used in canonical links and sitemaps, e.g. https://http202.example.
# Empty means "the origin the request came in on".
SITE_URL = read(
    env.str,
    "SITE_URL",
    "",
    "an http or https origin such as https://http202.example",
    validate=validate.URL(schemes={"http", "https"}, require_tld=False),
).rstrip("/")

# The proxies standing directly in front of Django: only a request that arrives from
# one of them has its X-Forwarded-For walked and its X-Forwarded-Proto believed
# (a middleware at the top of the stack drops it from anyone else), so the
# absolute URLs the API answers with say https behind a TLS proxy, and a client
# connecting directly can claim neither another address nor https.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
for retired in ("DJANGO_TRUST_X_FORWARDED_FOR", "DJANGO_TRUST_X_FORWARDED_PROTO"):
    if os.environ.get(retired):
        # A boolean trusted every peer: refuse it rather than guess which proxies were meant.
        raise ImproperlyConfigured(
            f"{retired} is no longer read; set DJANGO_TRUSTED_PROXIES to the proxies' "
            "addresses or networks instead (comma-separated, e.g. 127.0.0.1,::1,10.0.0.0/8)."
        )

if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SITE_ENV=production needs DJANGO_SECRET_KEY set to a long random value."
        )
    if DEBUG:
        raise ImproperlyConfigured("SITE_ENV=production refuses DJANGO_DEBUG=true.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "SITE_ENV=production needs DJANGO_ALLOWED_HOSTS (comma-separated host names)."
        )
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_SECURE = True

# HTTPS, on by default in production: http:// is redirected to https:// (except
# /healthz, which a platform's health check may call over plain HTTP inside its
# network), and HSTS tells browsers to come back over https only. Behind a TLS
# proxy, keep the redirect and list the proxy in DJANGO_TRUSTED_PROXIES.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preload is opt-in (leaving the browsers' preload list takes months), so
    # `check --deploy`'s reminder to turn it on is silenced while it is off.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_htmx",
    "template_partials",
    "django_tasks",
    # Before django_tasks_db: the job engine's db_worker command (heartbeat, lease
    # recovery) overrides the library's.
    "jobs",
    "django_tasks_db",
    "api",
    "playground",
    "reference",
    "checker",
]

MIDDLEWARE = [
    # First: nothing below may see an X-Forwarded-Proto that no trusted proxy sent.
    "config.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that answers early (CORS preflights, static files).
    "config.middleware.PermissionsPolicyMiddleware",
    # Before everything but the security headers, so a CORS preflight to /api/ is
    # answered before anything else runs.
    "api.cors.ApiCorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # The pages a reader gets from memory, compressed once (config/page_cache.py).
    "config.page_cache.PageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "config.site.site_context",
                "playground.context_processors.console_frame",
            ],
            # Inline partials keep each page and its htmx fragments in one file.
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# SQLite is the embedded default. WAL lets the web process read while the worker
# writes; IMMEDIATE transactions take the write lock up front, and writers queue
# for it (config/sqlite_queue) instead of polling it, or failing with "database is
# locked".
DATABASES = {
    "default": {
        "ENGINE": "config.sqlite_queue",
        "NAME": env_path("DATABASE_PATH", BASE_DIR / "db.sqlite3"),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }
}
# For more than one machine: DATABASE_URL (postgres://user:password@host:5432/name)
# puts the site, its queue and its rate limits in PostgreSQL, shared by any number
# of web and worker processes (README, "Deployment").
DATABASE_URL = read(
    env.str,
    "DATABASE_URL",
    "",
    "a PostgreSQL URL such as postgres://user:password@host:5432/name",
    validate=validate.Regexp(r"^postgres(ql)?://"),
)
if DATABASE_URL:
    # Connections kept for a minute and checked before use: a worker polls often.
    DATABASES = {"default": env.dj_db_url("DATABASE_URL", conn_max_age=60, conn_health_checks=True)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content files of the reference, one per status code.
REFERENCE_CONTENT_DIR = env_path("REFERENCE_CONTENT_DIR", BASE_DIR / "reference" / "content")
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}


# -- Demo API and its jobs ------------------------------------------------------
# Jobs run on Django's Tasks API, stored in the same SQLite database as the jobs
# themselves, so accepting a job and queueing its task commit together.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Delivery never leaves the machine: the job engine's own backend keeps every message.
EMAIL_BACKEND = "jobs.mail.LocalMailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "demo@http202.example.test")

# Seconds per job step. One second makes a default job last 5 to 15 seconds, slow
# enough for a person to watch it; tests set it near zero.
DEMO_PACE = env_float("DEMO_PACE", 1.0, minimum=0)
DEMO_MAX_RECIPIENTS = env_int("DEMO_MAX_RECIPIENTS", 50, minimum=1)
DEMO_MAX_UPLOAD_BYTES = env_int("DEMO_MAX_UPLOAD_BYTES", 5 * 1024 * 1024, minimum=1)
DEMO_UPLOAD_DIR = env_path("DEMO_UPLOAD_DIR", BASE_DIR / "var" / "uploads")
# Finished jobs answer 410 Gone after this many seconds; their data is then pruned.
DEMO_JOB_RETENTION = env_int("DEMO_JOB_RETENTION", 24 * 3600, minimum=1)
# Every worker prunes them (and stray uploads, old mail and tasks) by itself, and
# the workers of a deployment take turns: at most once per this many seconds.
DEMO_PRUNE_INTERVAL = env_float("DEMO_PRUNE_INTERVAL", 300.0, minimum=0, inclusive=False)
# A running job renews its lease at every step; a job whose lease ran out belongs
# to a dead worker and is retried, up to DEMO_MAX_ATTEMPTS attempts in all.
DEMO_LEASE_TIMEOUT = env_float("DEMO_LEASE_TIMEOUT", 30.0, minimum=0, inclusive=False)
DEMO_MAX_ATTEMPTS = env_int("DEMO_MAX_ATTEMPTS", 3, minimum=1)
# /healthz answers 503 when no worker has written its heartbeat for this long.
DEMO_WORKER_STALE_AFTER = env_float("DEMO_WORKER_STALE_AFTER", 30.0, minimum=0, inclusive=False)

# -- Abuse limits: each answered as the reference teaches (429 or 503, Retry-After) -
# Per client: an IPv4 address, or an IPv6 /64 (one host's or one home's network).
DEMO_JOBS_PER_MINUTE = env_int("DEMO_JOBS_PER_MINUTE", 20, minimum=1)
# And per IPv6 /48 in all: a site gets a /48, 65,536 /64s, and without it could start
# jobs at the pace of 65,536 clients.
DEMO_JOBS_PER_MINUTE_PER_NETWORK = env_int("DEMO_JOBS_PER_MINUTE_PER_NETWORK", 60, minimum=1)
# Retry-After is at least 1 s, and the console reads both monitors of a job: room for
# a client following all its pending jobs at the pace it is asked to, and more.
DEMO_POLLS_PER_MINUTE = env_int("DEMO_POLLS_PER_MINUTE", 600, minimum=1)
# A poll sooner than the Retry-After the client was given costs this many polls.
DEMO_EARLY_POLL_COST = env_int("DEMO_EARLY_POLL_COST", 10, minimum=1)
# The console's own pages and fragments, per client: a reader following a job at its
# Retry-After asks for at most one a second.
DEMO_CONSOLE_REQUESTS_PER_MINUTE = env_int("DEMO_CONSOLE_REQUESTS_PER_MINUTE", 120, minimum=1)
DEMO_MAX_PENDING_PER_CLIENT = env_int("DEMO_MAX_PENDING_PER_CLIENT", 3, minimum=1)
# Per IPv6 /48, all its /64s together: a block of addresses takes at most a tenth of
# the default queue.
DEMO_MAX_PENDING_PER_NETWORK = env_int("DEMO_MAX_PENDING_PER_NETWORK", 30, minimum=1)
# Jobs kept per client; beyond it its oldest finished jobs are pruned early (410 Gone).
DEMO_MAX_JOBS_PER_CLIENT = env_int("DEMO_MAX_JOBS_PER_CLIENT", 100, minimum=1)
# Backpressure: beyond this many pending jobs in all, new jobs are answered 503.
DEMO_MAX_PENDING_JOBS = env_int("DEMO_MAX_PENDING_JOBS", 300, minimum=1)
# Uploads waiting for their job, in all; beyond it new files are answered 503.
DEMO_MAX_STORED_UPLOAD_BYTES = env_int("DEMO_MAX_STORED_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1)
# Per client, so that one client cannot fill that space; one upload always fits.
DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT = env_int(
    "DEMO_MAX_STORED_UPLOAD_BYTES_PER_CLIENT", 10 * 1024 * 1024, minimum=1
)
# Seconds of work a client's pending jobs may still plan (steps x DEMO_PACE), the new
# job's included; beyond it 429. A client with nothing pending may start any one job.
DEMO_MAX_PENDING_WORK_PER_CLIENT = env_int("DEMO_MAX_PENDING_WORK_PER_CLIENT", 300, minimum=1)
# Bytes a client's kept jobs store (a bulk email keeps each recipient's message as
# delivered); its oldest finished jobs are pruned early to make room, and a job that
# alone would store more is answered 413.
DEMO_MAX_STORED_BYTES_PER_CLIENT = env_int(
    "DEMO_MAX_STORED_BYTES_PER_CLIENT", 5 * 1024 * 1024, minimum=1
)
# Requests waiting for their job at once (Prefer: wait), each holding a web thread: per
# process (gunicorn runs WEB_THREADS threads in each) and per client. Past either, the
# request answers 202 at once without waiting; 0 waits never.
DEMO_MAX_WAITS_PER_PROCESS = env_int("DEMO_MAX_WAITS_PER_PROCESS", 2, minimum=0)
DEMO_MAX_WAITS_PER_CLIENT = env_int("DEMO_MAX_WAITS_PER_CLIENT", 1, minimum=0)
# JSON bodies (and a form's fields) are read into memory up to this many bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DEMO_MAX_BODY_BYTES", 256 * 1024, minimum=1024)
# Where the rate limits are counted, shared by every process: a SQLite file of its own
# (never the job queue's database, so counting adds no write contention to it), or
# Redis when REDIS_URL is set, for many machines.
DEMO_LIMITS_PATH = env_path("DEMO_LIMITS_PATH", BASE_DIR / "var" / "limits.sqlite3")
REDIS_URL = read(
    env.str,
    "REDIS_URL",
    "",
    "a redis:// or rediss:// URL",
    validate=validate.URL(schemes={"redis", "rediss", "unix"}, require_tld=False),
)

# The checker (/check/). A live check sends requests to a URL a stranger gave: to
# globally routable addresses only, unless CHECKER_ALLOW_LOCAL opens loopback, private,
# link-local and other local addresses too (never cloud metadata names) — on for
# `make run`, off in production, where turning it on lets anyone who can reach the site
# make it send requests into the network it runs in.
CHECKER_ALLOW_LOCAL = env_bool("CHECKER_ALLOW_LOCAL", default=not PRODUCTION)
# Days a live check or a kept report stays reachable by its link.
CHECKER_KEEP_DAYS = env_int("CHECKER_KEEP_DAYS", 7, minimum=1)
# Live checks one client may start in an hour, and that all clients together may aim
# at one host in an hour; checks kept for a link one client may ask for in an hour.
CHECKER_LIVE_PER_HOUR = env_int("CHECKER_LIVE_PER_HOUR", 10, minimum=1)
CHECKER_LIVE_PER_HOST_PER_HOUR = env_int("CHECKER_LIVE_PER_HOST_PER_HOUR", 30, minimum=1)
CHECKER_KEPT_PER_HOUR = env_int("CHECKER_KEPT_PER_HOUR", 30, minimum=1)
# Checks queued or running at once, from everyone; more are answered 503.
CHECKER_MAX_PENDING = env_int("CHECKER_MAX_PENDING", 20, minimum=1)
# The client libraries a kept flow is replayed to (ids of api.compatibility.CLIENTS);
# empty for all of them.
CHECKER_REPLAY_CLIENTS = env_list("CHECKER_REPLAY_CLIENTS", [])

if DEMO_PACE * 4 >= DEMO_LEASE_TIMEOUT:
    # A step may take a few paces between lease renewals (slow recipients).
    raise ImproperlyConfigured("DEMO_LEASE_TIMEOUT must be more than four times DEMO_PACE.")
