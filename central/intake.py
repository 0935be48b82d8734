"""Intake: verify, dedup and commit submissions — the same path online and from a bundle.

Verification never decrypts: the device-signed record (a JWS over the metadata,
including the JWE's SHA-256) is checked against the enrolled device key and the
JWE bytes; every identifier in it must be in the grammar of ``kiosk.ids``.
Dedup is the primary key (device, submission ID): the same bytes
again → ``duplicate`` with the original receipt; other bytes → ``conflict``.
Rows are committed in one transaction before the caller builds its reply.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import OKPKey

from central.attachments import _crash_point
from central.db.sql import SqlStore
from kiosk import ids
from kiosk.errors import SecurityError
from sync.auth import RECEIPT_TYP, item_digest, sign_json

log = logging.getLogger("central.intake")


@dataclass
class Checked:
    submission_id: str
    result: dict[str, Any]
    row: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


def _reject(sid: str, reason: str, *, retry: bool = False) -> Checked:
    result: dict[str, Any] = {"submission_id": sid, "status": "rejected", "reason": reason}
    if retry:
        result["retry"] = True
    return Checked(sid, result)


MAX_ATTACHMENTS = 100
MAX_TEXT = 40


def _claims_problem(claims: dict[str, Any], sid: str, device_id: str,
                    max_attachment_bytes: int) -> str | None:
    """Why the record's own claims are outside the grammar (None = fine)."""
    if claims.get("submission_id") != sid:
        return "record is for another submission ID"
    if claims.get("device_id") not in (None, device_id):
        return "record was signed for another device"
    if not ids.is_form_id(claims.get("form_id")):
        return f"record's form ID {ids.shown(claims.get('form_id'))} is not a form ID"
    if not ids.is_form_version(str(claims.get("form_version", "")) or "-"):
        return "record's form version is not printable text of at most 40 characters"
    finalized = claims.get("finalized_at", "")
    if not isinstance(finalized, str) or len(finalized) > MAX_TEXT or not finalized.isprintable():
        return "record's finalized_at is not a short timestamp"
    attachments = claims.get("attachments") or []
    if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
        return "record lists attachments wrongly"
    for att in attachments:
        if not isinstance(att, dict) or not ids.is_sha256(att.get("sha256")):
            return "record lists an attachment without a SHA-256 (64 lowercase hex digits)"
        size = att.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not (
                0 <= size <= max_attachment_bytes):
            return f"record lists attachment {att['sha256'][:12]}… with a size out of range"
    return None


def check_item(item: Any, device_id: str, device_jwk: dict[str, Any], *, accept_demo: bool,
               attachment_ready: Any = None, max_attachment_bytes: int = 1 << 40) -> Checked:
    """Verify one item without touching the database (except attachment lookups).

    Every identifier is checked against the one grammar (kiosk.ids) before the
    row is built: the submission ID must be a canonical UUIDv7, the form ID a
    form ID, attachment hashes hex SHA-256 — anything else is a per-item
    ``rejected`` with the reason, so nothing unsafe reaches a file name later.
    """
    from kiosk.envelope import verify_record

    if not isinstance(item, dict):
        return _reject("", "item is not an object")
    sid = item.get("submission_id")
    record, jwe = item.get("record"), item.get("jwe")
    if not isinstance(sid, str) or not sid:
        return _reject("", "item has no submission_id")
    if not ids.is_submission_id(sid):
        return _reject(sid, f"submission ID {ids.shown(sid)} is not a canonical UUIDv7")
    if not isinstance(record, str) or not isinstance(jwe, str):
        return _reject(sid, "item needs record and jwe as compact JOSE strings")
    try:
        claims = verify_record(record, jwe, device_jwk)
    except SecurityError as exc:
        return _reject(sid, f"record does not verify: {exc}")
    except Exception as exc:  # noqa: BLE001 - malformed input must be a per-item refusal
        log.warning("record check failed for %s: %s", sid, type(exc).__name__)
        return _reject(sid, "record does not verify: malformed")
    problem = _claims_problem(claims, sid, device_id, max_attachment_bytes)
    if problem:
        return _reject(sid, problem)
    demo = bool(claims.get("demo"))
    if demo and not accept_demo:
        return _reject(sid, "DEMO submission refused: this is a real server")
    attachments = claims.get("attachments") or []
    if attachment_ready is not None:
        for att in attachments:
            if not attachment_ready(att["sha256"], att["size"]):
                return _reject(sid, f"attachment {att['sha256']} not uploaded yet",
                               retry=True)
    row = {
        "device_id": device_id,
        "submission_id": sid,
        "form_id": str(claims.get("form_id", "")),
        "form_version": str(claims.get("form_version", "")),
        "finalized_at": str(claims.get("finalized_at", "")),
        "record": record,
        "jwe": jwe,
        "item_sha256": item_digest(record, jwe),
        "attachments": json.dumps(attachments),
        "demo": int(demo),
        "verified": 1,
    }
    return Checked(sid, {"submission_id": sid}, row, attachments)


def _existing(conn: Any, row: dict[str, Any]) -> dict[str, Any] | None:
    """The result for a row already stored: ``duplicate`` (same bytes, the original
    receipt) or ``conflict``; None if there is none."""
    existing = conn.execute(
        "SELECT item_sha256, receipt FROM submissions WHERE device_id = ? AND submission_id = ?",
        (row["device_id"], row["submission_id"])).fetchone()
    if existing is None:
        return None
    if existing[0] == row["item_sha256"]:
        return {"submission_id": row["submission_id"], "status": "duplicate",
                "receipt": existing[1]}
    return {"submission_id": row["submission_id"], "status": "conflict",
            "reason": "this submission ID was received with other bytes"}


@dataclass(frozen=True)
class RequestMark:
    """The request's nonce and device, recorded in the same commit as its rows."""

    device_id: str
    nonce: str
    expires_at: float


def commit(store: SqlStore, checked: list[Checked], *, key: OKPKey, kid: str,
           via: str, mark: RequestMark | None = None) -> list[dict[str, Any]]:
    """Insert the verified rows in one durable transaction; per-item results in order.

    With ``mark`` the request's nonce and the device's last-seen time are written
    in the same transaction (one fsync'd commit per request); a replayed nonce
    raises ``storage.Replay`` and nothing is committed.
    """
    now = time.time()
    results: list[dict[str, Any]] = []
    with store.transaction() as conn:
        if mark is not None:
            store.accept_request(conn, mark.device_id, mark.nonce, mark.expires_at)
        for item in checked:
            if item.row is None:
                results.append(item.result)
                continue
            row = item.row
            existing = _existing(conn, row)
            if existing is not None:
                results.append(existing)
                continue
            receipt = sign_json(
                {"submission_id": row["submission_id"], "device_id": row["device_id"],
                 "item_sha256": row["item_sha256"], "received_at": int(now),
                 "server_kid": kid},
                key, typ=RECEIPT_TYP, kid=kid,
            )
            added = conn.execute(
                "INSERT INTO submissions (device_id, submission_id, form_id, form_version, "
                "finalized_at, received_at, record, jwe, item_sha256, attachments, demo, "
                "verified, via, receipt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT DO NOTHING",
                (row["device_id"], row["submission_id"], row["form_id"], row["form_version"],
                 row["finalized_at"], now, row["record"], row["jwe"], row["item_sha256"],
                 row["attachments"], row["demo"], row["verified"], via, receipt),
            )
            if added.rowcount != 1:  # another node committed it since our read
                results.append(_existing(conn, row) or {})
                continue
            results.append({"submission_id": item.submission_id, "status": "accepted",
                            "receipt": receipt})
        _crash_point("intake-before-commit")  # test-only: a node killed mid-batch
    _crash_point("intake-committed")  # test-only: committed, the reply never sent
    return results
