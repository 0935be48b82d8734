"""Removable media on the kiosk side: export the queue, import acknowledgements.

``export_queue`` writes the not-yet-acknowledged submissions that are in no
earlier bundle (all of them with ``everything``; sync.bundle_log) — envelopes
and encrypted blobs, nothing plaintext — as one signed bundle (sync.bundles),
a page of items in memory at a time, and marks them ``sent`` without delaying
online sending (the server dedups, so whichever route arrives first wins). ``import_acks`` accepts only receipts
signed by the pinned server key for exactly the bytes this kiosk holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk import ids
from kiosk.errors import KioskError, NotFoundError, SecurityError
from kiosk.paths import Home
from sync import jsonlimits
from sync.auth import verify_receipt
from sync.bundles import ACKS_FORMAT, BundleItem, write_bundle
from sync.jsonlimits import JsonLimits

ACKS_LIMITS = JsonLimits(max_bytes=256_000_000, max_depth=4, max_items=5_000_000)
MAX_LISTED = 1_000  # submission IDs an export report lists (count has them all)


def export_queue(home: Home, store: Any, out: Path, *, device: Any,
                 everything: bool = False) -> dict[str, Any]:
    from sync import bundle_log
    from sync.odk.seal import is_odk

    out = out.expanduser().resolve()
    if not out.parent.is_dir():
        raise NotFoundError(key="errors.usb_folder_not_found", params={"path": out.parent})
    export_id = bundle_log.prepare(store)

    def bundle_items() -> Any:
        # ODK submissions go to their own server (or `kiosk export --odk`), never here
        for item in bundle_log.queued(store, export_id, everything=everything, skip=is_odk):
            blobs = [(str(a["sha256"]), bytes(store.read_attachment(str(a["sha256"])).data))
                     for a in item.attachments]
            yield BundleItem(item.id, item.record, item.jwe, blobs)

    try:
        head = store.audit_head() if hasattr(store, "audit_head") else None
        count = write_bundle(out, device_id=device.device_id, key=device.private_key,
                             items=bundle_items(), tmp_dir=home.tmp, audit_head=head)
    except OSError as exc:
        bundle_log.abandon(store, export_id)
        raise KioskError(key="errors.cannot_write_bundle",
                         params={"path": out, "reason": exc.strerror or exc}) from None
    shown: list[str] = []
    for page in bundle_log.written(store, export_id):
        # held items keep their state and reason: the online route still waits for them
        store.mark_sent([sid for sid, held in page if not held], resend_after=0)
        shown.extend(sid for sid, _ in page[:MAX_LISTED - len(shown)])
    return {"path": str(out), "count": count, "bytes": out.stat().st_size,
            "submission_ids": shown, "all": everything}


def import_acks(store: Any, path: Path, *, device_id: str, server_key: Any) -> dict[str, Any]:
    try:
        doc = jsonlimits.loads(path.read_bytes(), ACKS_LIMITS)
    except FileNotFoundError:
        raise NotFoundError(key="errors.no_such_file", params={"path": path}) from None
    except (OSError, ValueError) as exc:
        raise KioskError(key="errors.acks_unreadable",
                         params={"path": path, "reason": type(exc).__name__}) from None
    if not isinstance(doc, dict) or doc.get("format") != ACKS_FORMAT:
        raise KioskError(key="errors.acks_format", params={"path": path, "format": ACKS_FORMAT})
    counts = {"acknowledged": 0, "already": 0, "unknown": 0, "invalid": 0, "other_device": 0}
    problems: list[str] = []
    for ack in doc.get("acks") or []:
        if not isinstance(ack, dict):
            counts["invalid"] += 1
            continue
        raw_sid = ack.get("submission_id")
        if ack.get("device_id") != device_id:
            counts["other_device"] += 1
            problems.append(f"{ids.shown(raw_sid)}: for another kiosk, skipped")
            continue
        if not ids.is_submission_id(raw_sid):  # same grammar as the server's intake
            counts["invalid"] += 1
            problems.append(f"{ids.shown(raw_sid)}: not a submission ID")
            continue
        sid = str(raw_sid)
        env = store.envelope(sid)
        if env is None:
            counts["unknown"] += 1
            problems.append(f"{sid}: not on this kiosk, skipped")
            continue
        state = store.submission(sid).get("state")
        if state in ("acknowledged", "purged"):
            counts["already"] += 1
            continue
        try:
            claims = verify_receipt(str(ack.get("receipt")), server_key, device_id=device_id,
                                    submission_id=sid, record=env.record, jwe=env.jwe)
        except SecurityError as exc:
            counts["invalid"] += 1
            problems.append(f"{sid}: {exc}")
            continue
        store.mark_acknowledged(sid, {"status": "accepted", "via": "removable-media",
                                      "receipt": ack["receipt"], **claims})
        counts["acknowledged"] += 1
    return {**counts, "problems": problems}
