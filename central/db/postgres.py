"""The PostgreSQL backend: all shared state in one database, any number of nodes on it.

psycopg 3 with a connection pool per node (``psycopg_pool``). Every request is one
transaction on one pooled connection, committed before the reply is built, with
``synchronous_commit=on`` forced for the session: a reply means the commit is in
the database's WAL on disk, whatever the server's default.

What a single node kept in its memory or data folder lives here too:

- rate-limit counters (``rate_limits``: one token bucket per scope and key,
  updated under a row lock, so every node spends from the same bucket);
- attachment bytes (``attachment_chunks``, ``bytea``) and upload progress, in the
  same transaction as the chunk, so a node may die between any two statements and
  another node resumes at the committed offset (see ``central.db.pg_attachments``);
- the server's signing key and the agency keys (``server_secrets``): the first node
  makes them, every node uses the same (a kiosk pins one server key);
- one bundle import at a time across nodes: a session advisory lock.

Migrations are versioned in ``schema_migrations`` and run under a transaction-level
advisory lock, so nodes starting together apply each version exactly once.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from central.db.sql import CHECK_WINDOW, Backend, Check, SqlStore
from kiosk.errors import ConfigError

MIGRATION_LOCK = 0x6B696F736B01  # advisory lock keys ("kiosk" + n): one per purpose
IMPORT_LOCK = 0x6B696F736B02
POOL_SIZE = 10
CONNECT_TIMEOUT = 15.0

_TIME = "DOUBLE PRECISION"
MIGRATIONS: list[list[str]] = [
    [  # 1: the single node's tables
        f"CREATE TABLE devices (device_id TEXT PRIMARY KEY, public_jwk TEXT NOT NULL, "
        f"name TEXT, enrolled_at {_TIME}, revoked_at {_TIME}, last_seen {_TIME})",
        f"CREATE TABLE enroll_codes (code_hash TEXT PRIMARY KEY, created_at {_TIME}, "
        f"expires_at {_TIME}, used_at {_TIME}, device_id TEXT)",
        f"CREATE TABLE submissions (device_id TEXT, submission_id TEXT, form_id TEXT, "
        f"form_version TEXT, finalized_at TEXT, received_at {_TIME}, record TEXT, jwe TEXT, "
        f"item_sha256 TEXT, attachments TEXT, demo INTEGER, verified INTEGER, via TEXT, "
        f"receipt TEXT, PRIMARY KEY (device_id, submission_id))",
        "CREATE INDEX idx_submissions_received_at ON submissions (received_at)",
        f"CREATE TABLE attachments (device_id TEXT, sha256 TEXT, size BIGINT, received BIGINT, "
        f"complete INTEGER, updated_at {_TIME}, PRIMARY KEY (device_id, sha256))",
        f"CREATE TABLE nonces (device_id TEXT, nonce TEXT, expires_at {_TIME}, "
        f"PRIMARY KEY (device_id, nonce))",
        "CREATE INDEX idx_nonces_expires_at ON nonces (expires_at)",
        f"CREATE TABLE technician_tokens (token_hash TEXT PRIMARY KEY, created_at {_TIME}, "
        f"expires_at {_TIME}, note TEXT)",
        f"CREATE TABLE audit_heads (device_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT "
        f"NOT NULL, reported_at {_TIME} NOT NULL, via TEXT NOT NULL DEFAULT 'online', "
        f"regressed_at {_TIME}, regressed_detail TEXT)",
    ],
    [  # 2: what a single node kept in memory or files, shared by every node
        "CREATE TABLE attachment_chunks (device_id TEXT, sha256 TEXT, start BIGINT, data BYTEA "
        "NOT NULL, PRIMARY KEY (device_id, sha256, start))",
        f"CREATE TABLE rate_limits (scope TEXT, key TEXT, tokens {_TIME} NOT NULL, "
        f"at {_TIME} NOT NULL, PRIMARY KEY (scope, key))",
        f"CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, "
        f"created_at {_TIME} NOT NULL)",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


@lru_cache(maxsize=256)
def _pg_sql(sql: str) -> str:
    """``?`` placeholders (the shared SQL) as psycopg's ``%s``."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Tx:
    """A pooled connection inside its transaction, speaking the shared ``?`` SQL."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.conn.execute(_pg_sql(sql), tuple(params))  # type: ignore[arg-type]

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the one row ``sql`` returns."""
        row = self.execute(sql, params).fetchone()
        assert row is not None, sql
        return row[0]


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    return (f"postgresql://{info.get('user') or ''}@{info.get('host') or ''}:"
            f"{info.get('port') or 5432}/{info.get('dbname') or ''}")


class PgStore(SqlStore):
    backend = Backend.POSTGRES

    def __init__(self, url: str, *, migrate: bool = True, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.where = redact(url)
        try:
            self.pool = ConnectionPool(
                url, min_size=1, max_size=pool_size, open=False, name="kiosk-central",
                kwargs={"options": "-c synchronous_commit=on", "application_name":
                        "kiosk-central", "connect_timeout": int(CONNECT_TIMEOUT)})
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except (PoolTimeout, psycopg.Error) as exc:
            raise ConfigError(f"database {self.where} is not reachable "
                              f"({type(exc).__name__})") from None
        if migrate:
            self.migrate()

    # -- connection and transactions ---------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """One transaction on one pooled connection, committed at the end (rolled back
        on any exception)."""
        with self.pool.connection() as conn:
            with conn.transaction():
                yield _Tx(conn)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self.pool.connection() as conn:
            cur = conn.execute(_pg_sql(sql), tuple(params))  # type: ignore[arg-type]
            return [d.name for d in cur.description or ()], cur.fetchall()

    def close(self) -> None:
        self.pool.close()

    def _sweep_nonces(self, conn: Any, device_id: str, now: float) -> None:
        # this device's expired nonces every time; everyone's now and then (a global
        # sweep on every request would make the nodes queue on each other's deletes)
        conn.execute("DELETE FROM nonces WHERE device_id = ? AND expires_at < ?",
                     (device_id, now))
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now,))

    # -- migrations ------------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self._scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not exists:
            return 0
        return int(self._scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    def migrate(self) -> int:
        """Apply the missing versions in one transaction under an advisory lock (nodes
        starting together wait for each other); the version now."""
        with self.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                       f"KEY, applied_at {_TIME} NOT NULL)")
            done = tx.value("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            for version in range(int(done) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                           (version, time.time()))
        return self.schema_version()

    # -- shared counters, locks, secrets ---------------------------------------------
    def rate_limiter(self, scope: str, per_minute: float, burst: int) -> DbRateLimiter:
        return DbRateLimiter(self, scope, per_minute, burst)

    @contextmanager
    def import_lock(self) -> Iterator[None]:
        """A session advisory lock on a connection held for the import: another node's
        import waits here; a node that dies releases it with its connection."""
        with self.pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (IMPORT_LOCK,))
            conn.commit()
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (IMPORT_LOCK,))
                conn.commit()

    def secret(self, name: str) -> str | None:
        value = self._scalar("SELECT value FROM server_secrets WHERE name = ?", (name,))
        return None if value is None else str(value)

    def secret_names(self, prefix: str) -> list[str]:
        _, rows = self.query("SELECT name FROM server_secrets WHERE left(name, ?) = ? "
                             "ORDER BY name", (len(prefix), prefix))
        return [str(r[0]) for r in rows]

    def put_secret_once(self, name: str, value: str) -> str:
        """Store ``value`` unless a value is there already; the one now stored."""
        with self.transaction() as tx:
            tx.execute("INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) "
                       "ON CONFLICT DO NOTHING", (name, value, time.time()))
            return str(tx.value("SELECT value FROM server_secrets WHERE name = ?", (name,)))

    # -- doctor ----------------------------------------------------------------------
    def checks(self) -> list[Check]:
        try:
            version = str(self._scalar("SHOW server_version"))
            sync = str(self._scalar("SHOW synchronous_commit"))
            fsync = str(self._scalar("SHOW fsync"))
        except psycopg.Error as exc:
            return [Check("reachable", False, f"{self.where}: {type(exc).__name__}")]
        durable = sync in ("on", "remote_apply", "remote_write") and fsync == "on"
        checks = [Check("reachable", durable, f"PostgreSQL {version} at {self.where}; "
                        f"synchronous_commit={sync}, fsync={fsync}")]
        schema = self.schema_version()
        checks.append(Check("migrated", schema == SCHEMA_VERSION,
                            f"schema version {schema} of {SCHEMA_VERSION}"))
        if schema == SCHEMA_VERSION:
            checks.append(self.consistency())
        return checks

    def consistency(self, within_s: float = CHECK_WINDOW) -> Check:
        base = super().consistency(within_s)
        short = int(self._scalar(
            "SELECT COUNT(*) FROM attachments a WHERE a.updated_at > ? AND a.received <> "
            "COALESCE((SELECT SUM(octet_length(c.data)) FROM attachment_chunks c WHERE "
            "c.device_id = a.device_id AND c.sha256 = a.sha256), 0)",
            (time.time() - within_s,)))
        return Check(base.name, base.ok and short == 0,
                     f"{base.detail}; {short} upload(s) whose bytes differ from their offset")


class DbRateLimiter:
    """A token bucket per (scope, key) in ``rate_limits``: every node spends from the
    same bucket, so limits count in total. Wall-clock time (shared by the nodes)."""

    def __init__(self, store: PgStore, scope: str, per_minute: float, burst: int) -> None:
        self.store, self.scope = store, scope
        self.rate = per_minute / 60.0
        self.burst = float(burst)

    def _tokens(self, row: Any, now: float) -> float:
        if row is None:
            return self.burst
        return min(self.burst, float(row[0]) + (now - float(row[1])) * self.rate)

    def _wait(self, tokens: float) -> int:
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def retry_after(self, key: str) -> int | None:
        now = time.time()
        _, rows = self.store.query("SELECT tokens, at FROM rate_limits WHERE scope = ? AND "
                                   "key = ?", (self.scope, key))
        tokens = self._tokens(rows[0] if rows else None, now)
        return None if tokens >= 1.0 else self._wait(tokens)

    def spend(self, key: str) -> int | None:
        now = time.time()
        with self.store.transaction() as tx:
            tx.execute("INSERT INTO rate_limits (scope, key, tokens, at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT DO NOTHING", (self.scope, key, self.burst, now))
            row = tx.execute("SELECT tokens, at FROM rate_limits WHERE scope = ? AND key = ? "
                             "FOR UPDATE", (self.scope, key)).fetchone()
            tokens = self._tokens(row, now)
            left = tokens if tokens < 1.0 else tokens - 1.0
            tx.execute("UPDATE rate_limits SET tokens = ?, at = ? WHERE scope = ? AND key = ?",
                       (left, now, self.scope, key))
            if random.random() < 0.01:  # noqa: S311 - drop buckets that are full again
                tx.execute("DELETE FROM rate_limits WHERE scope = ? AND at < ?",
                           (self.scope, now - self.burst / max(self.rate, 1e-9)))
        return None if tokens >= 1.0 else self._wait(tokens)
