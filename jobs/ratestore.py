"""Where the abuse limits are counted: one store every web process shares.

Each limit is a generic cell rate algorithm (GCRA): per key, one number, the
"theoretical arrival time" of the next request. A request of cost c at time now
moves it to max(tat, now) + c * period / limit, and is allowed while that stays
within one period of now; otherwise the answer is how long until it would be,
which is exactly the Retry-After to send. A burst of `limit` is allowed at once,
then one per period / limit.

SqliteStore keeps the numbers in a SQLite file of its own (DEMO_LIMITS_PATH),
never the job queue's database, so counting adds no write contention to it:
every process on the machine shares it. On PostgreSQL (DATABASE_URL), which many
machines share, DatabaseStore keeps them in its table of the site's database,
under row locks and the database's clock; RedisStore (REDIS_URL) takes that load
off it. All three also remember small facts with an expiry (when a client may
poll a job next).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from functools import cache
from pathlib import Path
from typing import Protocol

import redis
from django.conf import settings
from django.db import connection, transaction

from config.sqlite_queue.queue import WriterQueue


class RateStore(Protocol):
    def take(self, key: str, *, cost: int, limit: int, period: float) -> float:
        """Spend cost from key's allowance; 0 when allowed, else seconds until it would be."""

    def remember(self, key: str, value: float, *, ttl: float) -> None: ...

    def recall(self, key: str) -> float | None: ...


class SqliteStore:
    """The limits in a SQLite file shared by every process on this machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self.local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit; each operation takes the write lock itself (BEGIN IMMEDIATE).
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")  # counters, not records
            connection.execute(
                "CREATE TABLE IF NOT EXISTS entries"
                " (key TEXT PRIMARY KEY, value REAL NOT NULL, expires REAL NOT NULL)"
            )
            self.local.connection = connection
            # Writers queue for the file's write lock rather than poll it.
            self.local.writers = WriterQueue(str(self.path), timeout=5)
        return connection

    def take(self, key: str, *, cost: int, limit: int, period: float) -> float:
        connection = self._connection()
        writers: WriterQueue = self.local.writers
        writers.join()
        try:
            return self._take(connection, key, cost=cost, limit=limit, period=period)
        finally:
            writers.leave()

    def _take(
        self, connection: sqlite3.Connection, key: str, *, cost: int, limit: int, period: float
    ) -> float:
        now = time.time()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT value FROM entries WHERE key = ? AND expires > ?", (key, now)
            ).fetchone()
            wait, tat = _gcra(row[0] if row else None, now, cost=cost, limit=limit, period=period)
            if not wait:
                connection.execute(
                    "INSERT INTO entries (key, value, expires) VALUES (?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                    " expires = excluded.expires",
                    (key, tat, tat),
                )
            # Now and then, forget what has expired.
            if int(now * 1000) % 97 == 0:
                connection.execute("DELETE FROM entries WHERE expires <= ?", (now,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return wait

    def remember(self, key: str, value: float, *, ttl: float) -> None:
        self._connection().execute(
            "INSERT INTO entries (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key)"
            " DO UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, value, time.time() + ttl),
        )

    def recall(self, key: str) -> float | None:
        row = (
            self._connection()
            .execute("SELECT value FROM entries WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return float(row[0]) if row else None


class DatabaseStore:
    """The limits in the site's PostgreSQL database (jobs.models.RateLimitEntry)."""

    TABLE = "playground_ratelimitentry"
    CLOCK = "extract(epoch from clock_timestamp())"

    @staticmethod
    def _key(key: str) -> str:
        # A key names a URL a client polls: a long one is kept by its digest.
        return key if len(key) <= 120 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()

    def take(self, key: str, *, cost: int, limit: int, period: float) -> float:
        key = self._key(key)
        with transaction.atomic(), connection.cursor() as cursor:
            # The key's row, locked (created if new) in one statement: concurrent
            # requests for one key queue here, and no cleanup can delete it meanwhile.
            cursor.execute(
                f"INSERT INTO {self.TABLE} (key, value, expires) VALUES (%s, 0, 0)"
                " ON CONFLICT (key) DO UPDATE SET key = excluded.key"
                f" RETURNING value, expires, {self.CLOCK}",
                [key],
            )
            value, expires, now = cursor.fetchone()
            stored = float(value) if float(expires) > float(now) else None
            wait, tat = _gcra(stored, float(now), cost=cost, limit=limit, period=period)
            if not wait:
                cursor.execute(
                    f"UPDATE {self.TABLE} SET value = %s, expires = %s WHERE key = %s",
                    [tat, tat, key],
                )
        if int(float(now) * 1000) % 97 == 0:
            # Now and then, forget what has expired: outside the key's lock, so two
            # cleanups never wait on each other's keys.
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {self.TABLE} WHERE expires <= {self.CLOCK}")
        return wait

    def remember(self, key: str, value: float, *, ttl: float) -> None:
        key = self._key(key)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.TABLE} (key, value, expires) VALUES (%s, %s, {self.CLOCK} + %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " expires = excluded.expires",
                [key, value, ttl],
            )

    def recall(self, key: str) -> float | None:
        key = self._key(key)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {self.TABLE} WHERE key = %s AND expires > {self.CLOCK}", [key]
            )
            row = cursor.fetchone()
        return float(row[0]) if row else None


# The same algorithm as _gcra, run by Redis itself so that processes on many
# machines share one clock (Redis's) and one atomic step.
GCRA_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + tonumber(ARGV[1]) * tonumber(ARGV[3]) / tonumber(ARGV[2])
local allowed_at = new - tonumber(ARGV[3])
if allowed_at > now then return tostring(allowed_at - now) end
redis.call('SET', KEYS[1], tostring(new), 'PX', math.max(1, math.ceil((new - now) * 1000)))
return '0'
"""


class RedisStore:
    """The limits in Redis, for a site on many machines."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, decode_responses=True)
        self.gcra = self.client.register_script(GCRA_SCRIPT)

    def take(self, key: str, *, cost: int, limit: int, period: float) -> float:
        return float(self.gcra(keys=[f"limit:{key}"], args=[cost, limit, period]))

    def remember(self, key: str, value: float, *, ttl: float) -> None:
        self.client.set(f"note:{key}", value, px=max(1, int(ttl * 1000)))

    def recall(self, key: str) -> float | None:
        value = self.client.get(f"note:{key}")
        return float(value) if value is not None else None


def _gcra(
    stored: float | None, now: float, *, cost: int, limit: int, period: float
) -> tuple[float, float]:
    """(seconds to wait, or 0; the new theoretical arrival time)."""
    tat = max(stored if stored is not None else now, now)
    new = tat + cost * period / limit
    allowed_at = new - period
    return (allowed_at - now if allowed_at > now else 0.0), new


def rate_store() -> RateStore:
    """The store this process uses: Redis when REDIS_URL is set, else the site's PostgreSQL
    database when it has one, else the shared SQLite file."""
    return _store(settings.REDIS_URL, str(settings.DEMO_LIMITS_PATH), connection.vendor)


@cache
def _store(redis_url: str, path: str, database: str) -> RateStore:
    # One per configuration: a process opens its connections once.
    if redis_url:
        return RedisStore(redis_url)
    if database == "postgresql":
        return DatabaseStore()
    return SqliteStore(Path(path))
