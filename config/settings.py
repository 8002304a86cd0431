"""Settings for the HTTP 202 reference site.

Every value comes from an environment variable with a safe development default.
With SITE_ENV=production the process refuses to start on an unsafe value and
names the variable to set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


SITE_ENV = os.environ.get("SITE_ENV", "development")
PRODUCTION = SITE_ENV == "production"

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# The public origin used in canonical links and sitemaps, e.g. https://http202.example.
# Empty means "the origin the request came in on".
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto so the absolute URLs the
# API answers with (Location, Operation-Location, ...) say https.
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_htmx",
    "template_partials",
    "django_tasks",
    # Before django_tasks_db: playground's db_worker command (heartbeat, lease
    # recovery) overrides the library's.
    "playground",
    "django_tasks_db",
    "reference",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before everything but the security headers, so a CORS preflight to /api/ is
    # answered before anything else runs.
    "playground.cors.ApiCorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
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
            ],
            # Inline partials keep each page and its htmx fragments in one file.
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# SQLite is the embedded default. WAL lets the web process read while the worker
# writes; IMMEDIATE transactions take the write lock up front so two writers queue
# on the busy timeout instead of failing with "database is locked".
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(os.environ.get("DATABASE_PATH", BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
    }
}
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
REFERENCE_CONTENT_DIR = Path(
    os.environ.get("REFERENCE_CONTENT_DIR", BASE_DIR / "reference" / "content")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}


# -- Demo API and its jobs ------------------------------------------------------
# Jobs run on Django's Tasks API, stored in the same SQLite database as the jobs
# themselves, so accepting a job and queueing its task commit together.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Delivery never leaves the machine: see playground/mail.py.
EMAIL_BACKEND = "playground.mail.LocalMailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "demo@http202.example.test")

# Seconds per job step. One second makes a default job last 5 to 15 seconds, slow
# enough for a person to watch it; tests set it near zero.
DEMO_PACE = env_float("DEMO_PACE", 1.0)
DEMO_MAX_RECIPIENTS = env_int("DEMO_MAX_RECIPIENTS", 50)
DEMO_MAX_UPLOAD_BYTES = env_int("DEMO_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
DEMO_UPLOAD_DIR = Path(os.environ.get("DEMO_UPLOAD_DIR", BASE_DIR / "var" / "uploads"))
# Finished jobs answer 410 Gone after this many seconds; their data is then pruned.
DEMO_JOB_RETENTION = env_int("DEMO_JOB_RETENTION", 24 * 3600)
# A running job renews its lease at every step; a job whose lease ran out belongs
# to a dead worker and is retried, up to DEMO_MAX_ATTEMPTS attempts in all.
DEMO_LEASE_TIMEOUT = env_float("DEMO_LEASE_TIMEOUT", 30.0)
DEMO_MAX_ATTEMPTS = env_int("DEMO_MAX_ATTEMPTS", 3)
# /healthz answers 503 when no worker has written its heartbeat for this long.
DEMO_WORKER_STALE_AFTER = env_float("DEMO_WORKER_STALE_AFTER", 30.0)

if DEMO_PACE * 4 >= DEMO_LEASE_TIMEOUT:
    # A step may take a few paces between lease renewals (slow recipients).
    raise ImproperlyConfigured("DEMO_LEASE_TIMEOUT must be more than four times DEMO_PACE.")

# Tests that start a real worker process need a test database both can open: a
# file, not an in-memory database. One file per test process, so concurrent
# test runs in the same checkout do not clobber each other.
DATABASES["default"]["TEST"] = {
    "NAME": Path(tempfile.gettempdir()) / f"http202-test-{os.getpid()}.sqlite3"
}
