"""Append-only, hash-chained audit log (who/what/when — never personal data).

Each entry's hash is SHA-256 over the RFC 8785 canonical JSON of
``{seq, at, event, subject, details, prev_hash}``, so changing any entry
breaks its own hash and every later link. The newest (seq, hash) is also kept
in ``settings`` as the chain head, updated in the same transaction, and the
store seals it (HMAC-SHA256, ``sign_head``) with a key derived from the local
data key, which lives with the secrets (keyring / encrypted file), never in the
database. Deleting entries at the end and rewriting the head, or deleting
everything, is caught by ``kiosk audit verify``: the head cannot be re-sealed
without the secrets, and every database starts with a ``database_created``
entry, so an empty log is a deleted one. What one copy cannot show — the whole
file put back to an older copy, with its older sealed head — the server sees:
the kiosk reports its head (count + hash) on every sync and in every bundle,
and the server refuses a head that went backwards (central/trust.py).

What goes in: event names from EVENTS, a subject that is an ID (submission,
draft, form, device), and details that are counts, states and IDs. The check
in ``append`` refuses any other event so nothing personal sneaks in as a
free-text event name. Limits are in docs/security.md: someone able to rewrite
the whole file can rebuild a consistent chain; the chain catches edits and
deletions, it does not replace the central server's copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.envelope import canonical_json

EVENTS = frozenset(
    {
        "form_opened",
        "finalized",
        "sent",
        "acknowledged",
        "rejected",
        "held",
        "purged",
        "wiped",
        "draft_discarded",
        "draft_resumed",
        "staff_login",
        "staff_login_failed",
        "staff_pin_set",
        "staff_pin_reset",
        "enrolled",
        "device_key_created",
        "database_upgraded",
        "database_created",
    }
)
GENESIS = "0" * 64
HEAD_KEY = "audit_head"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def append(
    conn: sqlite3.Connection,
    event: str,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
    *,
    at: str | None = None,
) -> int:
    """Add one entry; call inside the caller's write transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    for value in (details or {}).values():
        if not isinstance(value, int | bool | type(None)) and not (
            isinstance(value, str) and len(value) <= 80
        ):
            raise ValueError("audit details hold only short IDs, counts and flags")
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    entry = {
        "seq": seq,
        "at": at or now_iso(),
        "event": event,
        "subject": subject,
        "details": details or {},
        "prev_hash": prev,
    }
    digest = _hash(entry)
    conn.execute(
        "INSERT INTO audit_log (seq, at, event, subject, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, entry["at"], event, subject, json.dumps(entry["details"]), prev, digest),
    )
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, json.dumps({"seq": seq, "hash": digest})),
    )
    return seq


def _head_mac(key: bytes, seq: int, digest: str) -> str:
    return hmac.new(key, canonical_json({"count": seq, "hash": digest, "seq": seq}),
                    hashlib.sha256).hexdigest()


def head(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The stored chain head: {seq, count, hash[, mac]} (None before the first entry)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (HEAD_KEY,)).fetchone()
    if row is None:
        return None
    try:
        value = json.loads(row[0])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def sign_head(conn: sqlite3.Connection, key: bytes) -> None:
    """Seal the head written by ``append`` (inside the same write transaction)."""
    current = head(conn)
    if not current or "seq" not in current or "hash" not in current:
        return
    mac = _head_mac(key, int(current["seq"]), str(current["hash"]))
    if current.get("mac") == mac:
        return
    sealed = {"seq": current["seq"], "count": current["seq"], "hash": current["hash"], "mac": mac}
    conn.execute("UPDATE settings SET value = ? WHERE key = ?", (json.dumps(sealed), HEAD_KEY))


@dataclass
class AuditReport:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)
    head_seq: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "problems": self.problems,
        }


def verify(conn: sqlite3.Connection, key: bytes | None = None,
           key_problem: str | None = None) -> AuditReport:
    """Walk the chain; report every changed, inserted or deleted entry.

    With ``key`` (the head-sealing key from the secrets store) the head's seal is
    checked too, which is what catches entries cut from the end; without it,
    ``key_problem`` says why it could not be checked (and the log is not "ok").
    """
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    last_hash = GENESIS
    last_seq = 0
    for seq, at, event, subject, details, prev_hash, digest in conn.execute(
        "SELECT seq, at, event, subject, details, prev_hash, hash FROM audit_log ORDER BY seq"
    ):
        count += 1
        if seq != expected_seq:
            problems.append(f"entries {expected_seq}..{seq - 1} are missing (deleted)")
        try:
            parsed = json.loads(details)
        except ValueError:
            parsed = None
        entry = {
            "seq": seq,
            "at": at,
            "event": event,
            "subject": subject,
            "details": parsed,
            "prev_hash": prev_hash,
        }
        if prev_hash != prev:
            problems.append(f"entry {seq} does not link to the entry before it")
        if parsed is None or _hash(entry) != digest:
            problems.append(f"entry {seq} was changed (hash mismatch)")
        prev = digest
        expected_seq = seq + 1
        last_hash, last_seq = digest, seq
    stored = head(conn)
    if stored is None:
        if count:
            problems.append("the chain head record is missing")
        else:
            problems.append(
                "the audit log and its chain head are empty, but every kiosk database starts "
                "with an entry: the whole log was deleted"
            )
    else:
        if stored.get("seq") != last_seq or stored.get("hash") != last_hash:
            problems.append(
                f"the log ends at entry {last_seq} but the chain head says {stored.get('seq')}: "
                "entries at the end were deleted or replaced"
            )
        if key is not None:
            try:
                expected = _head_mac(key, int(stored.get("seq", -1)), str(stored.get("hash")))
            except (TypeError, ValueError):
                expected = ""
            if not hmac.compare_digest(str(stored.get("mac", "")), expected):
                problems.append(
                    "the chain head is not sealed by this kiosk's key: the head was rewritten "
                    "(entries at the end deleted and the head forged)"
                )
        elif key_problem:
            problems.append(f"the chain head's seal could not be checked: {key_problem}")
    return AuditReport(ok=not problems, entries=count, problems=problems, head_seq=last_seq)
