"""Import a removable-media bundle: same verification and dedup as online intake.

Order matters, because a bundle may come from anyone holding a USB stick:

1. the header's signed manifest must verify with the key of an enrolled,
   not revoked device (the one the header names) — otherwise nothing at all is
   stored and the report says why;
2. each line must be the one the manifest lists for its submission ID (its
   SHA-256), name the same device, and carry a record that verifies — only
   then are its attachment blobs written, and only blobs the verified record
   binds (hash and size);
3. rows are committed in chunks, so a bundle of any length is imported with
   one line in memory at a time.

Every intact, valid item is imported even when others are not; each bad one is
named (submission ID, else line number) with the reason. Re-importing the same
file only yields ``duplicate`` results.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from central import intake
from kiosk import ids
from kiosk.errors import SecurityError
from sync.bundles import decode_attachments, read_bundle_file, verify_manifest

if TYPE_CHECKING:
    from central.app import Central

COMMIT_EVERY = 100
log = logging.getLogger("central.bundle_import")


def _manifest(central: Central, header: dict[str, Any] | None,
              only_device: str | None) -> tuple[str | None, dict[str, Any] | None,
                                                list[str], str | None]:
    """(device ID, device JWK, manifest order, error) — the bundle proving itself."""
    if header is None:
        return None, None, [], None
    device_id = header.get("device_id")
    if not ids.is_device_id(device_id):
        return None, None, [], f"manifest: device ID {ids.shown(device_id)} is not a device ID"
    assert isinstance(device_id, str)
    if only_device is not None and device_id != only_device:
        return None, None, [], "manifest: the bundle is another device's (a device may send " \
                               "only its own bundles; use a technician token)"
    row = central.store.device(device_id)
    if row is None:
        return None, None, [], f"manifest: device {device_id} is not enrolled here"
    if row.get("revoked_at"):
        return None, None, [], f"manifest: device {device_id} has been revoked"
    jwk = json.loads(row["public_jwk"])
    try:
        claims = verify_manifest(header, jwk)
    except SecurityError as exc:
        return None, None, [], f"manifest: {exc}"
    _record_audit_head(central, device_id, claims.get("audit_head"))
    return device_id, jwk, claims["items"], None


def _record_audit_head(central: Central, device_id: str, head: Any) -> None:
    """The audit head in a verified manifest, kept like one reported online (a
    regression is flagged for the operator; the bundle's items still count)."""
    if head is None:
        return
    from central import trust

    try:
        seq, digest = trust.parse_head(head)
    except ValueError as exc:
        log.warning("bundle from %s: audit head ignored (%s)", device_id, exc)
        return
    result = trust.record_head(central.store, device_id, seq, digest, via="bundle")
    if result["status"] == "regressed":
        log.error("bundle from %s: the kiosk's audit log went backwards: %s", device_id,
                  result["detail"])


def import_bundle_file(central: Central, path: Path, *,
                       only_device: str | None = None) -> dict[str, Any]:
    with central.store.import_lock(), open(path, "rb") as fh:  # one at a time, on all nodes
        return _import(central, fh, only_device)


def import_bundle_bytes(central: Central, data: bytes) -> dict[str, Any]:
    """For callers holding the bytes already (tests): spooled to a 0600 temp file."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".ndjson", dir=central.tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return import_bundle_file(central, Path(name))
    finally:
        Path(name).unlink(missing_ok=True)


def _import(central: Central, fh: Any, only_device: str | None) -> dict[str, Any]:
    header, header_error, lines = read_bundle_file(fh)
    errors: list[str] = [header_error] if header_error else []
    device_id, jwk, entries, problem = _manifest(central, header, only_device)
    report_head = {"format": header.get("format") if header else None,
                   "device_id": ids.printable(header.get("device_id"), 64) if header else None}
    if problem or device_id is None or jwk is None:
        if problem:
            errors.append(problem)
        # nothing is stored from a bundle that does not prove itself
        return {**report_head, "manifest_verified": False, "errors": errors, "counts": {},
                "results": []}

    expected: dict[str, str] = {}
    order: list[str] = []
    results: list[dict[str, Any]] = []
    for entry in entries:
        sid = entry.get("submission_id") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not ids.is_submission_id(sid) or not ids.is_sha256(digest):
            errors.append(f"manifest lists {ids.shown(sid)}, which is not a submission ID "
                          "with a SHA-256")
            order.append("")
            continue
        assert isinstance(sid, str) and isinstance(digest, str)
        expected[sid] = digest
        order.append(sid)

    limits = central.settings.limits
    pending: list[intake.Checked] = []
    seen: set[str] = set()

    def flush() -> None:
        results.extend(intake.commit(central.store, pending, key=central.key, kid=central.kid,
                                     via="bundle"))
        pending.clear()

    for line in lines:
        checked = _check_line(central, line, device_id, jwk, expected, order, limits)
        seen.add(checked.submission_id)
        pending.append(checked)
        if len(pending) >= COMMIT_EVERY:
            flush()
    flush()
    for sid in expected:
        if sid not in seen:
            results.append({"submission_id": sid, "status": "missing",
                            "reason": "listed in the manifest but not in the file (truncated)"})
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {**report_head, "manifest_verified": True, "errors": errors, "counts": counts,
            "results": results}


def _check_line(central: Central, line: Any, device_id: str, jwk: dict[str, Any],
                expected: dict[str, str], order: list[str], limits: Any) -> intake.Checked:
    """One line, verified before anything of it is written."""
    if line.item is None:
        index = line.number - 2
        name = order[index] if 0 <= index < len(order) and order[index] else \
            f"line {line.number}"
        return intake._reject(name, line.error or "damaged")
    item = line.item
    raw_sid = item.get("submission_id")
    if not ids.is_submission_id(raw_sid):
        return intake._reject(f"line {line.number}", f"submission ID {ids.shown(raw_sid)} is "
                                                     "not a canonical UUIDv7")
    sid = str(raw_sid)
    if expected.get(sid) != line.sha256:
        return intake._reject(sid, "item does not match the signed manifest "
                                   "(tampered or not from this bundle)")
    if item.get("device_id") != device_id:
        return intake._reject(sid, "item names another device than the bundle")
    checked = intake.check_item(item, device_id, jwk, accept_demo=central.settings.accept_demo,
                                max_attachment_bytes=limits.max_attachment_bytes)
    if checked.row is None:
        return checked
    bound = {a["sha256"]: a["size"] for a in checked.attachments}
    try:
        blobs = decode_attachments(item, limits.max_attachment_bytes)
        for digest, blob in blobs:
            if bound.get(digest) != len(blob):
                raise SecurityError(f"attachment {digest[:12]}… is not one the record binds")
    except SecurityError as exc:
        return intake._reject(sid, f"attachment damaged: {exc}")
    item.pop("attachments", None)  # base64 text no longer needed: only the blobs
    while blobs:  # the record verified and binds each of these
        digest, blob = blobs.pop()
        central.attachments.put_complete(device_id, digest, blob)
        del blob
    for digest, size in bound.items():
        if not central.attachments.ready(device_id, digest, size):
            return intake._reject(sid, f"attachment {digest} is neither in the bundle nor "
                                       "uploaded", retry=True)
    return checked
