"""The reference server's SQLite store (sqlite-utils), in its data folder: the embedded default.

One writer at a time (a lock around a single connection): intake must commit a
submission before its reply is sent, and dedup on (device, submission ID) is a
primary key, so it is permanent and race-free. WAL + ``synchronous=FULL``: a
reply means the row is on disk.

One durable write per request where that is safe: the request's nonce and the
device's ``last_seen`` go into the same transaction as what the request stores
(``accept_request`` inside ``transaction()``), so an intake costs one fsync'd
commit, not three. The data folder is 0700 and the database 0600 (it holds
every device's records and the enrolment state).

The operations themselves are ``central.db.sql.SqlStore`` (shared with the
PostgreSQL backend); this module adds the connection, the migrations (versioned
by ``PRAGMA user_version``; version 1 is the schema every earlier server made, so
an old file migrates in place), in-memory rate limits and a process lock for
bundle imports — one node has nothing to share them with.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from central.db.sql import Backend, Check, EnrolCollision, Replay, SqlStore
from central.ratelimit import RateLimiter

__all__ = ["CentralStore", "EnrolCollision", "Replay", "private_dir", "SCHEMA_VERSION"]

MIGRATIONS: list[list[str]] = [
    [  # 1: the schema of every server before versioning (as sqlite-utils made it)
        "CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, public_jwk TEXT NOT "
        "NULL, name TEXT, enrolled_at FLOAT, revoked_at FLOAT, last_seen FLOAT)",
        "CREATE TABLE IF NOT EXISTS enroll_codes (code_hash TEXT PRIMARY KEY, created_at FLOAT, "
        "expires_at FLOAT, used_at FLOAT, device_id TEXT)",
        "CREATE TABLE IF NOT EXISTS submissions (device_id TEXT, submission_id TEXT, form_id "
        "TEXT, form_version TEXT, finalized_at TEXT, received_at FLOAT, record TEXT, jwe TEXT, "
        "item_sha256 TEXT, attachments TEXT, demo INTEGER, verified INTEGER, via TEXT, "
        "receipt TEXT, PRIMARY KEY (device_id, submission_id))",
        "CREATE INDEX IF NOT EXISTS idx_submissions_received_at ON submissions (received_at)",
        "CREATE TABLE IF NOT EXISTS attachments (device_id TEXT, sha256 TEXT, size INTEGER, "
        "received INTEGER, complete INTEGER, updated_at FLOAT, PRIMARY KEY (device_id, sha256))",
        "CREATE TABLE IF NOT EXISTS nonces (device_id TEXT, nonce TEXT, expires_at FLOAT, "
        "PRIMARY KEY (device_id, nonce))",
        "CREATE INDEX IF NOT EXISTS idx_nonces_expires_at ON nonces (expires_at)",
        "CREATE TABLE IF NOT EXISTS technician_tokens (token_hash TEXT PRIMARY KEY, created_at "
        "FLOAT, expires_at FLOAT, note TEXT)",
    ],
    [  # 2: audit heads (made lazily by central.trust before)
        "CREATE TABLE IF NOT EXISTS audit_heads (device_id TEXT PRIMARY KEY, seq INTEGER NOT "
        "NULL, hash TEXT NOT NULL, reported_at REAL NOT NULL, via TEXT NOT NULL DEFAULT "
        "'online', regressed_at REAL, regressed_detail TEXT)",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


def private_dir(path: Path) -> Path:
    """Make ``path`` (and parents) and keep it owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing, and make an existing one 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class CentralStore(SqlStore):
    backend = Backend.SQLITE

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        private_dir(path.parent)
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if part == path or part.exists():
                _private_file(part)
        self.path = path
        self.lock = threading.RLock()
        self._import_lock = threading.Lock()
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        self.db = sqlite_utils.Database(conn)
        if migrate:
            self.migrate()

    def schema_version(self) -> int:
        with self.lock:
            return int(self.db.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Apply what is missing, each version in its own transaction; the version now."""
        with self.lock:
            for version in range(self.schema_version() + 1, SCHEMA_VERSION + 1):
                with self.transaction() as conn:
                    for statement in MIGRATIONS[version - 1]:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {int(version)}")
        return self.schema_version()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable write (BEGIN IMMEDIATE ... COMMIT)."""
        with self.lock:
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self.lock:
            cur = self.db.conn.execute(sql, tuple(params))
            return [d[0] for d in cur.description or ()], cur.fetchall()

    def rate_limiter(self, scope: str, per_minute: float, burst: int) -> RateLimiter:
        return RateLimiter(per_minute, burst)  # one node: counters in its memory

    @contextmanager
    def import_lock(self) -> Iterator[None]:
        with self._import_lock:
            yield

    def checks(self) -> list[Check]:
        try:
            self.query("SELECT 1")
            ok = self.query("PRAGMA quick_check")[1][0][0] == "ok"
        except sqlite3.Error as exc:
            return [Check("reachable", False, f"{self.path}: {exc}")]
        version = self.schema_version()
        return [Check("reachable", ok, f"SQLite {sqlite3.sqlite_version} at {self.path}"
                      + ("" if ok else " (quick_check failed)")),
                Check("migrated", version == SCHEMA_VERSION,
                      f"schema version {version} of {SCHEMA_VERSION}"),
                self.consistency()]

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()
