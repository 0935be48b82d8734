"""The reference server's SQLite store (sqlite-utils), in its data folder.

One writer at a time (a lock around a single connection): intake must commit a
submission before its reply is sent, and dedup on (device, submission ID) is a
primary key, so it is permanent and race-free. WAL + ``synchronous=FULL``: a
reply means the row is on disk.

One durable write per request where that is safe: the request's nonce and the
device's ``last_seen`` go into the same transaction as what the request stores
(``accept_request`` inside ``transaction()``), so an intake costs one fsync'd
commit, not three. The data folder is 0700 and the database 0600 (it holds
every device's records and the enrolment state).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

SCHEMA_VERSION = 1


class EnrolCollision(Exception):
    """Another row already holds this device ID (raced enrolment): an error, never a replace."""


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


class Replay(Exception):
    """The (device, nonce) pair was already used: the request is a replay."""


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


class CentralStore:
    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if part == path or part.exists():
                _private_file(part)
        self.path = path
        self.lock = threading.RLock()
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        self.db = sqlite_utils.Database(conn)
        self._migrate()

    def _migrate(self) -> None:
        db = self.db
        with self.lock:
            if "devices" not in db.table_names():
                db.table("devices").create(
                    {"device_id": str, "public_jwk": str, "name": str, "enrolled_at": float,
                     "revoked_at": float, "last_seen": float},
                    pk="device_id", not_null={"public_jwk"},
                )
            if "enroll_codes" not in db.table_names():
                db.table("enroll_codes").create(
                    {"code_hash": str, "created_at": float, "expires_at": float,
                     "used_at": float, "device_id": str},
                    pk="code_hash",
                )
            if "submissions" not in db.table_names():
                db.table("submissions").create(
                    {"device_id": str, "submission_id": str, "form_id": str, "form_version": str,
                     "finalized_at": str, "received_at": float, "record": str, "jwe": str,
                     "item_sha256": str, "attachments": str, "demo": int, "verified": int,
                     "via": str, "receipt": str},
                    pk=("device_id", "submission_id"),
                )
                db.table("submissions").create_index(["received_at"])
            if "attachments" not in db.table_names():
                db.table("attachments").create(
                    {"device_id": str, "sha256": str, "size": int, "received": int,
                     "complete": int, "updated_at": float},
                    pk=("device_id", "sha256"),
                )
            if "nonces" not in db.table_names():
                db.table("nonces").create(
                    {"device_id": str, "nonce": str, "expires_at": float},
                    pk=("device_id", "nonce"),
                )
                db.table("nonces").create_index(["expires_at"])
            if "technician_tokens" not in db.table_names():
                db.table("technician_tokens").create(
                    {"token_hash": str, "created_at": float, "expires_at": float, "note": str},
                    pk="token_hash",
                )

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

    # -- enrolment codes and devices --------------------------------------
    def new_enroll_code(self, ttl_seconds: int = 3600) -> tuple[str, float]:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        code = "-".join(
            "".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3)
        )
        now = time.time()
        with self.transaction():
            self.db.table("enroll_codes").insert(
                {"code_hash": _hash_code(code), "created_at": now, "expires_at": now + ttl_seconds}
            )
        return code, now + ttl_seconds

    def use_enroll_code(self, code: str, device_id: str, public_jwk: dict[str, Any],
                        name: str) -> str | None:
        """Consume the code and register the device atomically; None = refused (why)."""
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT expires_at, used_at FROM enroll_codes WHERE code_hash = ?",
                (_hash_code(code),),
            ).fetchone()
            if row is None:
                return "unknown enrolment code"
            if row[1] is not None:
                return "enrolment code already used"
            if row[0] < now:
                return "enrolment code expired"
            # A real insert: enrolment never replaces a row. The device ID is derived
            # from the key, so the same key (revoked or active) always collides here;
            # the key itself is checked too, whatever ID it was stored under.
            known = conn.execute(
                "SELECT revoked_at FROM devices WHERE device_id = ? OR public_jwk = ?",
                (device_id, json.dumps(public_jwk, sort_keys=True)),
            ).fetchall()
            if any(r[0] is not None for r in known):
                return "this device key has been revoked; it can never enrol again"
            if known:
                return "this device key is already enrolled here"
            conn.execute(
                "UPDATE enroll_codes SET used_at = ?, device_id = ? WHERE code_hash = ?",
                (now, device_id, _hash_code(code)),
            )
            try:
                conn.execute(
                    "INSERT INTO devices (device_id, public_jwk, name, enrolled_at) "
                    "VALUES (?, ?, ?, ?)",
                    (device_id, json.dumps(public_jwk, sort_keys=True), name, now),
                )
            except sqlite3.IntegrityError:
                raise EnrolCollision(device_id) from None
        return None

    def device(self, device_id: str) -> dict[str, Any] | None:
        with self.lock:
            rows = list(self.db.table("devices").rows_where("device_id = ?", [device_id]))
        return rows[0] if rows else None

    def devices(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = list(self.db.table("devices").rows_where(order_by="enrolled_at"))
            counts = dict(
                self.db.conn.execute(
                    "SELECT device_id, COUNT(*) FROM submissions GROUP BY device_id"
                ).fetchall()
            )
        for row in rows:
            row["submissions"] = counts.get(row["device_id"], 0)
            row.pop("public_jwk", None)
        return rows

    def revoke(self, device_id: str) -> bool:
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
                (time.time(), device_id),
            )
            return cur.rowcount > 0

    def touch(self, device_id: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE devices SET last_seen = ? WHERE device_id = ?", (time.time(), device_id)
            )

    # -- replay protection ---------------------------------------------------
    @staticmethod
    def accept_request(conn: sqlite3.Connection, device_id: str, nonce: str,
                       expires_at: float) -> None:
        """Inside a transaction: record the nonce (Replay if seen) and touch the device."""
        now = time.time()
        conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now,))
        try:
            conn.execute(
                "INSERT INTO nonces (device_id, nonce, expires_at) VALUES (?, ?, ?)",
                (device_id, nonce, expires_at),
            )
        except sqlite3.IntegrityError:
            raise Replay(nonce) from None
        conn.execute("UPDATE devices SET last_seen = ? WHERE device_id = ?", (now, device_id))

    def nonce_seen(self, device_id: str, nonce: str) -> bool:
        """A cheap read before costly work; ``accept_request`` is the real check."""
        with self.lock:
            return self.db.conn.execute(
                "SELECT 1 FROM nonces WHERE device_id = ? AND nonce = ? AND expires_at >= ?",
                (device_id, nonce, time.time()),
            ).fetchone() is not None

    def use_nonce(self, device_id: str, nonce: str, expires_at: float) -> bool:
        """True the first time (device, nonce) is seen (and the device is touched, in the
        same commit); False is a replay."""
        try:
            with self.transaction() as conn:
                self.accept_request(conn, device_id, nonce, expires_at)
        except Replay:
            return False
        return True

    # -- technician tokens (bundle upload over HTTP) ------------------------
    def new_technician_token(self, ttl_seconds: int, note: str = "") -> tuple[str, float]:
        token = "kct_" + secrets.token_urlsafe(32)
        now = time.time()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO technician_tokens (token_hash, created_at, expires_at, note) "
                "VALUES (?, ?, ?, ?)",
                (hashlib.sha256(token.encode()).hexdigest(), now, now + ttl_seconds, note),
            )
        return token, now + ttl_seconds

    def technician_token_valid(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        with self.lock:
            row = self.db.conn.execute(
                "SELECT expires_at FROM technician_tokens WHERE token_hash = ?", (digest,)
            ).fetchone()
        return row is not None and float(row[0]) >= time.time()

    # -- submissions -----------------------------------------------------------
    def submission(self, device_id: str, submission_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.conn.execute(
                "SELECT item_sha256, receipt FROM submissions "
                "WHERE device_id = ? AND submission_id = ?",
                (device_id, submission_id),
            ).fetchone()
        return {"item_sha256": row[0], "receipt": row[1]} if row else None

    def submissions(self, *, with_payload: bool = False) -> list[dict[str, Any]]:
        cols = (
            "device_id, submission_id, form_id, form_version, finalized_at, received_at, "
            "demo, verified, via, attachments, receipt"
        )
        if with_payload:
            cols += ", record, jwe"
        with self.lock:
            cur = self.db.conn.execute(
                f"SELECT {cols} FROM submissions ORDER BY received_at, submission_id"  # noqa: S608
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def count(self) -> int:
        with self.lock:
            return int(self.db.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])

    # -- attachments -------------------------------------------------------------
    def attachment(self, device_id: str, sha256: str) -> dict[str, Any] | None:
        with self.lock:
            rows = list(
                self.db.table("attachments").rows_where(
                    "device_id = ? AND sha256 = ?", [device_id, sha256]
                )
            )
        return rows[0] if rows else None

    def open_uploads(self, device_id: str, within_s: float = 86_400) -> int:
        """How many of this device's uploads were started in the last day and are not
        complete (older abandoned ones do not count, so they never block a kiosk)."""
        with self.lock:
            return int(self.db.conn.execute(
                "SELECT COUNT(*) FROM attachments WHERE device_id = ? AND complete = 0 "
                "AND updated_at > ?", (device_id, time.time() - within_s)).fetchone()[0])

    def set_attachment(self, device_id: str, sha256: str, size: int, received: int,
                       complete: bool) -> None:
        with self.transaction():
            self.db.table("attachments").upsert(
                {"device_id": device_id, "sha256": sha256, "size": size, "received": received,
                 "complete": int(complete), "updated_at": time.time()},
                pk=("device_id", "sha256"),
            )

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()
