"""Import a removable-media bundle: same verification and dedup as online intake.

Every intact, valid item is imported even when others are not; each bad one is
named (submission ID, else line number) with the reason. Re-importing the same
file only yields ``duplicate`` results.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from central import intake
from kiosk.errors import SecurityError
from sync.bundles import decode_attachments, read_bundle, verify_manifest

if TYPE_CHECKING:
    from central.app import Central


def import_bundle_bytes(central: Central, data: bytes) -> dict[str, Any]:
    header, header_error, lines = read_bundle(data)
    errors: list[str] = []
    if header_error:
        errors.append(header_error)
    expected: dict[str, str] = {}
    order: list[str] = []  # manifest order = line order (line 2 is item 0)
    manifest_ok = False
    device_cache: dict[str, dict[str, Any] | str] = {}

    def device(device_id: str) -> dict[str, Any] | str:
        if device_id not in device_cache:
            row = central.store.device(device_id)
            if row is None:
                device_cache[device_id] = f"device {device_id} is not enrolled here"
            elif row.get("revoked_at"):
                device_cache[device_id] = f"device {device_id} has been revoked"
            else:
                device_cache[device_id] = json.loads(row["public_jwk"])
        return device_cache[device_id]

    if header is not None:
        dev = device(str(header.get("device_id")))
        if isinstance(dev, str):
            errors.append(f"manifest: {dev}")
        else:
            try:
                claims = verify_manifest(header, dev)
                entries = [e for e in claims["items"] if isinstance(e, dict)]
                expected = {str(e.get("submission_id")): str(e.get("sha256")) for e in entries}
                order = [str(e.get("submission_id")) for e in entries]
                manifest_ok = True
            except SecurityError as exc:
                errors.append(f"manifest: {exc}")

    checked: list[intake.Checked] = []
    seen: set[str] = set()
    for line in lines:
        if line.item is None:
            index = line.number - 2
            name = order[index] if 0 <= index < len(order) else f"line {line.number}"
            seen.add(name)
            checked.append(intake._reject(name, line.error or "damaged"))
            continue
        item = line.item
        sid = str(item.get("submission_id") or f"line {line.number}")
        seen.add(sid)
        if manifest_ok and expected.get(sid) != line.sha256:
            checked.append(intake._reject(sid, "item does not match the signed manifest "
                                               "(tampered or not from this bundle)"))
            continue
        if header is not None and item.get("device_id") != header.get("device_id"):
            checked.append(intake._reject(sid, "item names another device than the bundle"))
            continue
        dev = device(str(item.get("device_id")))
        if isinstance(dev, str):
            checked.append(intake._reject(sid, dev))
            continue
        device_id = str(item["device_id"])
        try:
            for digest, blob in decode_attachments(item):
                central.attachments.put_complete(device_id, digest, blob)
        except (SecurityError, ValueError, TypeError) as exc:
            checked.append(intake._reject(sid, f"attachment damaged: {exc}"))
            continue
        checked.append(intake.check_item(
            item, device_id, dev, accept_demo=central.settings.accept_demo,
            attachment_ready=lambda s, n, d=device_id: central.attachments.ready(d, s, n)))
    results = intake.commit(central.store, checked, key=central.key, kid=central.kid,
                            via="bundle")
    for sid in expected:
        if sid not in seen and not any(r["submission_id"] == sid for r in results):
            results.append({"submission_id": sid, "status": "missing",
                            "reason": "listed in the manifest but not in the file (truncated)"})
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"format": header.get("format") if header else None,
            "device_id": header.get("device_id") if header else None,
            "manifest_verified": manifest_ok, "errors": errors, "counts": counts,
            "results": results}
