"""Intake: verify, dedup and commit submissions — the same path online and from a bundle.

Verification never decrypts: the device-signed record (a JWS over the metadata,
including the JWE's SHA-256) is checked against the enrolled device key and the
JWE bytes. Dedup is the primary key (device, submission ID): the same bytes
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

from central.storage import CentralStore
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


def check_item(item: Any, device_id: str, device_jwk: dict[str, Any], *, accept_demo: bool,
               attachment_ready: Any = None) -> Checked:
    """Verify one item without touching the database (except attachment lookups)."""
    from kiosk.envelope import verify_record

    if not isinstance(item, dict):
        return _reject("", "item is not an object")
    sid = item.get("submission_id")
    record, jwe = item.get("record"), item.get("jwe")
    if not isinstance(sid, str) or not sid:
        return _reject("", "item has no submission_id")
    if not isinstance(record, str) or not isinstance(jwe, str):
        return _reject(sid, "item needs record and jwe as compact JOSE strings")
    try:
        claims = verify_record(record, jwe, device_jwk)
    except SecurityError as exc:
        return _reject(sid, f"record does not verify: {exc}")
    except Exception as exc:  # noqa: BLE001 - malformed input must be a per-item refusal
        log.warning("record check failed for %s: %s", sid, type(exc).__name__)
        return _reject(sid, "record does not verify: malformed")
    if claims.get("submission_id") != sid:
        return _reject(sid, "record is for another submission ID")
    if claims.get("device_id") not in (None, device_id):
        return _reject(sid, "record was signed for another device")
    demo = bool(claims.get("demo"))
    if demo and not accept_demo:
        return _reject(sid, "DEMO submission refused: this is a real server")
    attachments = claims.get("attachments") or []
    if not isinstance(attachments, list):
        return _reject(sid, "record lists attachments wrongly")
    if attachment_ready is not None:
        for att in attachments:
            if not attachment_ready(str(att.get("sha256")), int(att.get("size", -1))):
                return _reject(sid, f"attachment {att.get('sha256')} not uploaded yet",
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


def commit(store: CentralStore, checked: list[Checked], *, key: OKPKey, kid: str,
           via: str) -> list[dict[str, Any]]:
    """Insert the verified rows in one durable transaction; per-item results in order."""
    now = time.time()
    results: list[dict[str, Any]] = []
    with store.transaction() as conn:
        for item in checked:
            if item.row is None:
                results.append(item.result)
                continue
            row = item.row
            existing = conn.execute(
                "SELECT item_sha256, receipt FROM submissions "
                "WHERE device_id = ? AND submission_id = ?",
                (row["device_id"], row["submission_id"]),
            ).fetchone()
            if existing is not None:
                if existing[0] == row["item_sha256"]:
                    results.append({"submission_id": item.submission_id, "status": "duplicate",
                                    "receipt": existing[1]})
                else:
                    results.append({"submission_id": item.submission_id, "status": "conflict",
                                    "reason": "this submission ID was received with other bytes"})
                continue
            receipt = sign_json(
                {"submission_id": row["submission_id"], "device_id": row["device_id"],
                 "item_sha256": row["item_sha256"], "received_at": int(now),
                 "server_kid": kid},
                key, typ=RECEIPT_TYP, kid=kid,
            )
            conn.execute(
                "INSERT INTO submissions (device_id, submission_id, form_id, form_version, "
                "finalized_at, received_at, record, jwe, item_sha256, attachments, demo, "
                "verified, via, receipt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (row["device_id"], row["submission_id"], row["form_id"], row["form_version"],
                 row["finalized_at"], now, row["record"], row["jwe"], row["item_sha256"],
                 row["attachments"], row["demo"], row["verified"], via, receipt),
            )
            results.append({"submission_id": item.submission_id, "status": "accepted",
                            "receipt": receipt})
    return results
