"""The store's connection, its one-writer discipline and small shared pieces.

One connection per Store, one writer at a time (a lock around every write
transaction, ``BEGIN IMMEDIATE`` so a second process waits instead of failing
mid-way); readers in other threads or processes never block thanks to WAL.
A failed COMMIT means "outcome unknown": callers reconcile by ID (see
``OutboxMixin.finalize``), never by writing a second copy.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from kiosk import audit as audit_log
from kiosk.errors import ConfigError, SecurityError, StorageError
from kiosk.secrets import DataKeyMissing
from kiosk.store.atrest import AtRest
from kiosk.store.db import _sqlite_error, open_db

log = logging.getLogger("kiosk.store")


class CommitUnknown(StorageError):
    """COMMIT failed: the transaction may or may not be on disk."""


class DraftKeptError(StorageError):
    """Finalize could not save the submission; the draft is kept. ``cause`` is the
    storage problem (an error, worded in the reader's language with this one, or one
    line); callers that keep no draft say so themselves."""

    def __init__(self, cause: StorageError | str, *, retry_hint: bool = False) -> None:
        super().__init__(key="core.draft_kept_retry" if retry_hint else "core.draft_kept",
                         params={"cause": cause})
        self.cause = cause


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"  # ms precision


def epoch(now: float | datetime | None) -> float:
    if now is None:
        return datetime.now(UTC).timestamp()
    if isinstance(now, datetime):
        return now.timestamp()
    return float(now)


class StoreBase:
    """Connection, transactions, settings, the at-rest key (fetched lazily)."""

    def __init__(
        self,
        path: str | Path,
        *,
        backups: Path | None = None,
        data_key: bytes | None = None,
        secrets: Any = None,
    ) -> None:
        self.path = Path(path)
        self.backups = backups or self.path.parent / "backups"
        self._lock = threading.RLock()
        self._data_key = data_key
        self._secrets = secrets
        self._atrest: AtRest | None = None
        self._head_key_value: bytes | None = None
        self._head_key_warned = False
        self.conn: sqlite3.Connection = open_db(
            self.path, self.backups, on_migrated=self._record_upgrade
        )

    def _record_upgrade(self, conn: sqlite3.Connection, old: int, new: int) -> None:
        """First entry of a new database, or the record of an upgrade (sealed if the
        secrets are at hand; the next write seals it otherwise)."""
        conn.execute("BEGIN IMMEDIATE")
        if old == 0:
            audit_log.append(conn, "database_created", None, {"schema": new})
        else:
            audit_log.append(conn, "database_upgraded", None, {"from": old, "to": new})
        try:  # self.conn is not set yet: no proof of the key against the rows here
            data_key = self._data_key or self.secrets().data_key(create=old == 0)
            audit_log.sign_head(conn, AtRest(data_key).subkey("audit-head"))
        except (ConfigError, StorageError, ValueError) as exc:
            log.warning("audit head not sealed yet: %s", exc)
        conn.execute("COMMIT")

    def _head_key(self) -> bytes | None:
        """The audit-head sealing key (from the data key in the secrets store), or None
        when the secrets are not available to this process (logged once)."""
        if self._head_key_value is None:
            try:
                self._head_key_value = self.atrest.subkey("audit-head")
            except (ConfigError, StorageError) as exc:
                if not self._head_key_warned:
                    log.warning("audit head not sealed: %s", exc)
                    self._head_key_warned = True
                return None
        return self._head_key_value

    def audit_head(self) -> dict[str, Any]:
        """{seq, hash} of the newest entry: what the kiosk reports to the server."""
        with self._lock:
            stored = audit_log.head(self.conn) or {}
        return {"seq": int(stored.get("seq", 0)), "hash": str(stored.get("hash", ""))}

    # --- lifecycle -------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            except sqlite3.Error:  # closing a broken connection: nothing left to save
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- secrets ---------------------------------------------------------

    def secrets(self) -> Any:
        if self._secrets is None:
            from kiosk.secrets import open_secrets

            self._secrets = open_secrets(self.path.parent)
        return self._secrets

    @property
    def atrest(self) -> AtRest:
        if self._atrest is None:
            self._atrest = self.check_data_key()
        return self._atrest

    def _sample_sealed(self) -> tuple[str, str, bytes] | None:
        """One encrypted row (table, id, blob) to prove the data key against, if any."""
        rows = self.read("SELECT id, sealed FROM drafts LIMIT 1")
        if rows:
            return "drafts", rows[0][0], rows[0][1]
        rows = self.read("SELECT sha256, meta FROM attachments WHERE meta IS NOT NULL LIMIT 1")
        if rows:
            return "attachments", rows[0][0], rows[0][1]
        return None

    def check_data_key(self) -> AtRest:
        """The data key from the secrets store, proven against what this database holds.

        A key is made only for a database with nothing encrypted in it yet. If the key is
        missing or different while drafts exist (keyring reset, another user's session,
        a restored database), stop: a fresh key would make those drafts unreadable for
        good and mix two keys in one database. The technician restores the keyring.
        """
        sample = self._sample_sealed()
        try:
            if self._data_key is not None:  # given by the caller (tests, bench)
                key = self._data_key
            else:
                key = self.secrets().data_key(create=sample is None)
        except DataKeyMissing:
            if sample is None:
                raise
            raise ConfigError(key="core.data_key_lost", params={"path": self.path}) from None
        atrest = AtRest(key)
        if sample is not None:
            table, row_id, blob = sample
            try:
                atrest.open(blob, table=table, row_id=row_id)
            except SecurityError:
                raise ConfigError(key="core.data_key_other", params={"path": self.path}) from None
        return atrest

    # --- transactions ----------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any error, durable on return."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _sqlite_error(self.path, "start writing", exc) from None
            try:
                yield self.conn
                if self.conn.in_transaction:
                    self._seal_head()
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise _sqlite_error(self.path, "save", exc) from None
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                err = _sqlite_error(self.path, "save", exc)
                raise CommitUnknown(key=err.key, params=err.params) from None

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:  # the transaction is gone either way
            pass

    def read(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise _sqlite_error(self.path, "read", exc) from None

    # --- settings (non-secret) --------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.read("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    # --- audit ------------------------------------------------------------

    def audit(self, event: str, subject: str | None = None, **details: Any) -> None:
        with self.write() as conn:
            audit_log.append(conn, event, subject, details)

    def _seal_head(self) -> None:
        """Reseal the audit head if this transaction moved it (one indexed read)."""
        current = audit_log.head(self.conn)
        if current and "mac" not in current:
            key = self._head_key()
            if key is not None:
                audit_log.sign_head(self.conn, key)

    def verify_audit(self) -> audit_log.AuditReport:
        problem = None
        key = None
        try:
            key = self.atrest.subkey("audit-head")
        except (ConfigError, StorageError) as exc:
            problem = str(exc)
        with self._lock:
            return audit_log.verify(self.conn, key, problem)

    # --- health -------------------------------------------------------------

    def schema_version(self) -> int:
        return int(self.read("PRAGMA user_version")[0][0])

    def integrity_check(self) -> str:
        return str(self.read("PRAGMA integrity_check")[0][0])

    # --- catalog cache --------------------------------------------------------

    def cache_catalog_entry(self, entry_id: str, version: str, sha256: str, body: str) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO catalog_cache (id, version, sha256, body, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, "
                "sha256 = excluded.sha256, body = excluded.body, updated_at = excluded.updated_at",
                (entry_id, version, sha256, body, utc_now_iso()),
            )

    def cached_catalog_entry(self, entry_id: str) -> dict[str, str] | None:
        rows = self.read(
            "SELECT version, sha256, body, updated_at FROM catalog_cache WHERE id = ?", (entry_id,)
        )
        if not rows:
            return None
        version, sha, body, updated = rows[0]
        return {"version": version, "sha256": sha, "body": body, "updated_at": updated}
