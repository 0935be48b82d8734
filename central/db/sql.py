"""The storage interface and the rules written once, in SQL both backends run.

``SqlStore`` holds every domain operation of the server (enrolment codes, devices,
nonces, technician tokens, submissions, attachment rows, audit heads) in plain SQL
with ``?`` placeholders. A backend supplies ``transaction()`` (one atomic, durable
commit: a reply means committed), ``query()`` (a read), its migrations, and the
parts that differ by nature: where attachment bytes and keys live, how rate-limit
counters are kept, and the lock that lets one bundle import run at a time.

Races between nodes are closed in SQL, not in process locks: inserts that must be
unique use ``ON CONFLICT DO NOTHING`` and look at the row count, and a one-time code
is claimed by an ``UPDATE ... WHERE used_at IS NULL`` (the second claimant updates
nothing) — the same statements are race-free in SQLite, where writers queue anyway.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class EnrolCollision(Exception):
    """Another row already holds this device ID (raced enrolment): an error, never a replace."""


class Replay(Exception):
    """The (device, nonce) pair was already used: the request is a replay."""


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgresql"


@dataclass(frozen=True)
class Check:
    """One line of ``kiosk-central doctor``: what was checked, whether it holds, details."""

    name: str
    ok: bool
    detail: str


class Limiter(Protocol):
    def spend(self, key: str) -> int | None: ...

    def retry_after(self, key: str) -> int | None: ...


def _head_verdict(known: Any, seq: int, digest: str, via: str) -> str:
    """"ok" (the anchor moves to it), "older" (recorded, no alarm) or "regressed"."""
    if known is None or seq > known[0]:
        return "ok"
    if seq == known[0]:
        return "ok" if digest == known[1] else "regressed"
    return "older" if via == "bundle" else "regressed"


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


CHECK_WINDOW = 86_400.0  # doctor's consistency checks look at the last day
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SqlStore:
    """The shared operations; subclasses provide the backend hooks below."""

    backend: Backend

    # -- backend hooks ------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[Any]:
        """One atomic, durable commit; yields an object with ``execute(sql with ?, params)``
        returning a cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one read."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def rate_limiter(self, scope: str, per_minute: float, burst: int) -> Limiter:
        raise NotImplementedError

    def import_lock(self) -> AbstractContextManager[Any]:
        """Held for the whole of one bundle import (one at a time, across nodes)."""
        raise NotImplementedError

    def checks(self) -> list[Check]:
        raise NotImplementedError

    def _sweep_nonces(self, conn: Any, device_id: str, now: float) -> None:
        conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now,))

    # -- reading helpers --------------------------------------------------------------
    def _dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        names, rows = self.query(sql, params)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        _, rows = self.query(sql, params)
        return rows[0][0] if rows else None

    # -- enrolment codes and devices --------------------------------------
    def new_enroll_code(self, ttl_seconds: int = 3600) -> tuple[str, float]:
        code = "-".join(
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        now = time.time()
        with self.transaction() as conn:
            conn.execute("INSERT INTO enroll_codes (code_hash, created_at, expires_at) "
                         "VALUES (?, ?, ?)", (hash_code(code), now, now + ttl_seconds))
        return code, now + ttl_seconds

    def use_enroll_code(self, code: str, device_id: str, public_jwk: dict[str, Any],
                        name: str) -> str | None:
        """Consume the code and register the device atomically; None = refused (why)."""
        now = time.time()
        jwk_text = json.dumps(public_jwk, sort_keys=True)
        with self.transaction() as conn:
            row = conn.execute("SELECT expires_at, used_at FROM enroll_codes WHERE code_hash = ?",
                               (hash_code(code),)).fetchone()
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
                (device_id, jwk_text)).fetchall()
            if any(r[0] is not None for r in known):
                return "this device key has been revoked; it can never enrol again"
            if known:
                return "this device key is already enrolled here"
            claimed = conn.execute(
                "UPDATE enroll_codes SET used_at = ?, device_id = ? "
                "WHERE code_hash = ? AND used_at IS NULL", (now, device_id, hash_code(code)))
            if claimed.rowcount != 1:  # another node took it between our read and write
                return "enrolment code already used"
            added = conn.execute(
                "INSERT INTO devices (device_id, public_jwk, name, enrolled_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", (device_id, jwk_text, name, now))
            if added.rowcount != 1:
                raise EnrolCollision(device_id)
        return None

    def device(self, device_id: str) -> dict[str, Any] | None:
        rows = self._dicts("SELECT device_id, public_jwk, name, enrolled_at, revoked_at, "
                           "last_seen FROM devices WHERE device_id = ?", (device_id,))
        return rows[0] if rows else None

    def devices(self) -> list[dict[str, Any]]:
        rows = self._dicts("SELECT device_id, name, enrolled_at, revoked_at, last_seen "
                           "FROM devices ORDER BY enrolled_at")
        _, counted = self.query("SELECT device_id, COUNT(*) FROM submissions GROUP BY device_id")
        counts = {str(r[0]): int(r[1]) for r in counted}
        for row in rows:
            row["submissions"] = counts.get(row["device_id"], 0)
        return rows

    def device_keys(self) -> list[tuple[str, str, float, float | None]]:
        """(device ID, public JWK text, enrolled at, revoked at) of every device."""
        _, rows = self.query("SELECT device_id, public_jwk, enrolled_at, revoked_at FROM devices "
                             "ORDER BY enrolled_at, device_id")
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def revoke(self, device_id: str) -> bool:
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
                (time.time(), device_id))
            return bool(cur.rowcount > 0)

    def touch(self, device_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE devices SET last_seen = ? WHERE device_id = ?",
                         (time.time(), device_id))

    # -- replay protection ---------------------------------------------------
    def accept_request(self, conn: Any, device_id: str, nonce: str, expires_at: float) -> None:
        """Inside a transaction: record the nonce (Replay if seen) and touch the device."""
        now = time.time()
        self._sweep_nonces(conn, device_id, now)
        cur = conn.execute("INSERT INTO nonces (device_id, nonce, expires_at) VALUES (?, ?, ?) "
                           "ON CONFLICT DO NOTHING", (device_id, nonce, expires_at))
        if cur.rowcount != 1:
            raise Replay(nonce)
        conn.execute("UPDATE devices SET last_seen = ? WHERE device_id = ?", (now, device_id))

    def nonce_seen(self, device_id: str, nonce: str) -> bool:
        """A cheap read before costly work; ``accept_request`` is the real check."""
        return self._scalar("SELECT 1 FROM nonces WHERE device_id = ? AND nonce = ? "
                            "AND expires_at >= ?", (device_id, nonce, time.time())) is not None

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
                (hashlib.sha256(token.encode()).hexdigest(), now, now + ttl_seconds, note))
        return token, now + ttl_seconds

    def technician_token_valid(self, token: str) -> bool:
        digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        expires = self._scalar("SELECT expires_at FROM technician_tokens WHERE token_hash = ?",
                               (digest,))
        return expires is not None and float(expires) >= time.time()

    # -- submissions -----------------------------------------------------------
    def submission(self, device_id: str, submission_id: str) -> dict[str, Any] | None:
        rows = self._dicts("SELECT item_sha256, receipt FROM submissions "
                           "WHERE device_id = ? AND submission_id = ?", (device_id, submission_id))
        return rows[0] if rows else None

    def submissions(self, *, with_payload: bool = False) -> list[dict[str, Any]]:
        cols = ("device_id, submission_id, form_id, form_version, finalized_at, received_at, "
                "demo, verified, via, attachments, receipt")
        if with_payload:
            cols += ", record, jwe"
        return self._dicts(
            f"SELECT {cols} FROM submissions ORDER BY received_at, submission_id")  # noqa: S608

    def count(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM submissions"))

    # -- attachment rows ----------------------------------------------------------
    def attachment(self, device_id: str, sha256: str) -> dict[str, Any] | None:
        rows = self._dicts("SELECT device_id, sha256, size, received, complete, updated_at "
                           "FROM attachments WHERE device_id = ? AND sha256 = ?",
                           (device_id, sha256))
        return rows[0] if rows else None

    def open_uploads(self, device_id: str, within_s: float = 86_400) -> int:
        """How many of this device's uploads were started in the last day and are not
        complete (older abandoned ones do not count, so they never block a kiosk)."""
        return int(self._scalar(
            "SELECT COUNT(*) FROM attachments WHERE device_id = ? AND complete = 0 "
            "AND updated_at > ?", (device_id, time.time() - within_s)))

    def set_attachment(self, device_id: str, sha256: str, size: int, received: int,
                       complete: bool) -> None:
        with self.transaction() as conn:
            self.put_attachment_row(conn, device_id, sha256, size, received, complete)

    @staticmethod
    def put_attachment_row(conn: Any, device_id: str, sha256: str, size: int, received: int,
                           complete: bool) -> None:
        conn.execute(
            "INSERT INTO attachments (device_id, sha256, size, received, complete, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, sha256) DO UPDATE SET "
            "size = excluded.size, received = excluded.received, complete = excluded.complete, "
            "updated_at = excluded.updated_at",
            (device_id, sha256, size, received, int(complete), time.time()))

    # -- audit heads (central.trust) -------------------------------------------------
    def record_head(self, device_id: str, seq: int, digest: str, via: str) -> dict[str, Any]:
        """Move the anchor forward; {"status": "ok"|"older"|"regressed", "seq": known seq}.

        An older head from a bundle is recorded as ``older`` (a bundle tells where the
        log ended when it was made; a genuine old one is no alarm). ``regressed`` is
        kept for a head that contradicts the known one: the same entry with another
        hash, or the live kiosk (``via`` online) reporting less than it already did.
        """
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute("SELECT seq, hash FROM audit_heads WHERE device_id = ?",
                               (device_id,)).fetchone()
            verdict = _head_verdict(row, seq, digest, via)
            if verdict == "regressed":
                detail = (f"reported entry {seq} ({digest[:12]}) after entry {row[0]} "
                          f"({row[1][:12]})")
                conn.execute("UPDATE audit_heads SET regressed_at = ?, regressed_detail = ? "
                             "WHERE device_id = ?", (now, detail, device_id))
                return {"status": "regressed", "seq": row[0], "detail": detail}
            if verdict == "older":
                return {"status": "older", "seq": row[0]}
            conn.execute(
                "INSERT INTO audit_heads (device_id, seq, hash, reported_at, via) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq, "
                "hash = excluded.hash, reported_at = excluded.reported_at, via = excluded.via",
                (device_id, seq, digest, now, via))
        return {"status": "ok", "seq": seq}

    def head_of(self, device_id: str) -> dict[str, Any] | None:
        rows = self._dicts("SELECT seq, hash, reported_at, via, regressed_at, regressed_detail "
                           "FROM audit_heads WHERE device_id = ?", (device_id,))
        return rows[0] if rows else None

    # -- consistency (doctor) ------------------------------------------------------
    def consistency(self, within_s: float = CHECK_WINDOW) -> Check:
        """Rows of the last day (cheap enough to run every few minutes on a big database)."""
        since = time.time() - within_s
        orphans = int(self._scalar(
            "SELECT COUNT(*) FROM submissions s WHERE s.received_at > ? AND NOT EXISTS "
            "(SELECT 1 FROM devices d WHERE d.device_id = s.device_id)", (since,)))
        bad_uploads = int(self._scalar(
            "SELECT COUNT(*) FROM attachments WHERE updated_at > ? AND (received > size OR "
            "(complete = 1 AND received <> size))", (since,)))
        ok = orphans == 0 and bad_uploads == 0
        return Check("consistent", ok, f"last day: {orphans} submission(s) without an "
                     f"enrolled device, {bad_uploads} attachment row(s) out of order")
