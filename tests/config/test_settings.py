from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

SAFE_PRODUCTION = {
    "SITE_ENV": "production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789",
    "DJANGO_ALLOWED_HOSTS": "http202.example",
}


def load_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_ENV"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_with_safe_settings_starts() -> None:
    assert load_settings(**SAFE_PRODUCTION).returncode == 0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
    ],
)
def test_production_refuses_unsafe_settings_and_names_the_variable(
    change: dict[str, str], named: str
) -> None:
    started = load_settings(**{**SAFE_PRODUCTION, **change})
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert named in started.stderr


def test_development_defaults_start_without_any_variable() -> None:
    assert load_settings().returncode == 0


@pytest.mark.parametrize(
    ("change", "named", "accepted"),
    [
        ({"SITE_ENV": "prod"}, "SITE_ENV", "development, production"),
        ({"DJANGO_DEBUG": "ture"}, "DJANGO_DEBUG", "true/false, yes/no, on/off, 1/0"),
        ({"DEMO_PACE": "abc"}, "DEMO_PACE", "a number >= 0"),
        ({"DEMO_MAX_ATTEMPTS": "-1"}, "DEMO_MAX_ATTEMPTS", "a whole number >= 1"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"DJANGO_HSTS_SECONDS": "-1"}, "DJANGO_HSTS_SECONDS", "a whole number >= 0"),
        ({"DJANGO_SSL_REDIRECT": "maybe"}, "DJANGO_SSL_REDIRECT", "true/false"),
    ],
)
def test_an_invalid_value_stops_the_process_naming_the_variable_and_the_accepted_values(
    change: dict[str, str], named: str, accepted: str
) -> None:
    started = load_settings(**change)
    assert started.returncode != 0
    error = started.stderr.strip().splitlines()[-1]
    assert error.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert named in error
    assert accepted in error


def test_an_empty_optional_variable_means_not_set() -> None:
    assert load_settings(SITE_ENV="", DJANGO_DEBUG="", DEMO_PACE="", LOG_LEVEL="").returncode == 0


def test_production_passes_the_deployment_checks() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_ENV"))}
    env.update(
        SAFE_PRODUCTION,
        DJANGO_SETTINGS_MODULE="config.settings",
        # Django's deployment check wants 50+ characters with some variety.
        DJANGO_SECRET_KEY="k3-Zq8v-JpW2xL0m9RtY7uBn4cVe6sDf1gHa5iOk2jPl3oQw8eRr",
    )
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout


HTTPS_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_SECURE",
    "SILENCED_SYSTEM_CHECKS",
]


def https_settings(**overrides: str) -> list[object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_ENV"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps([getattr(settings, name) for name in {HTTPS_SETTINGS!r}]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    return list(json.loads(loaded.stdout))


def test_production_is_https_only_by_default() -> None:
    assert https_settings(**SAFE_PRODUCTION) == [
        True,
        31536000,
        True,
        False,
        True,
        True,
        ["security.W021"],
    ]


def test_the_https_settings_can_be_changed_and_default_off_in_development() -> None:
    changed = https_settings(
        **SAFE_PRODUCTION,
        DJANGO_SSL_REDIRECT="false",
        DJANGO_HSTS_SECONDS="3600",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_HSTS_PRELOAD="true",
    )
    assert changed == [False, 3600, False, True, True, True, []]
    assert https_settings()[:4] == [False, 0, False, False]


@pytest.mark.parametrize(
    "retired", ["DJANGO_TRUST_X_FORWARDED_FOR", "DJANGO_TRUST_X_FORWARDED_PROTO"]
)
def test_the_retired_proxy_switches_stop_the_process_naming_what_replaces_them(
    retired: str,
) -> None:
    # Each trusted every peer: better not to start than to keep believing anyone.
    started = load_settings(**{retired: "true"})
    assert started.returncode != 0
    error = started.stderr.strip().splitlines()[-1]
    assert error.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert retired in error and "DJANGO_TRUSTED_PROXIES" in error


def proxy_settings(**overrides: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_ENV"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print([str(n) for n in settings.TRUSTED_PROXIES], settings.SECURE_PROXY_SSL_HEADER)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    return loaded.stdout.strip()


def test_trusted_proxies_are_addresses_or_networks_and_a_bad_entry_is_named() -> None:
    started = load_settings(DJANGO_TRUSTED_PROXIES="10.0.0.0/8, proxy.internal")
    assert started.returncode != 0
    error = started.stderr.strip().splitlines()[-1]
    assert "DJANGO_TRUSTED_PROXIES" in error and "'proxy.internal'" in error
    assert "IP addresses or CIDR networks" in error
    assert proxy_settings(DJANGO_TRUSTED_PROXIES="127.0.0.1, ::1,10.1.2.3/8") == (
        "['127.0.0.1/32', '::1/128', '10.0.0.0/8'] ('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    # Without proxies, no X-Forwarded-Proto is believed at all.
    assert proxy_settings() == "[] None"
