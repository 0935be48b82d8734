"""Import a removable-media bundle: same verification and dedup as online intake.

Order matters, because a bundle may come from anyone holding a USB stick:

1. the header's signed manifest must verify with the key of an enrolled,
   not revoked device (the one the header names) — otherwise nothing at all is
   stored and the report says why;
2. each item line must be the one its signed chunk (format 2; the header's
   list in format 1) lists for its submission ID (its SHA-256), name the same
   device, and carry a record that verifies — only then are its attachment
   blobs written, and only blobs the verified record binds (hash and size);
3. rows are committed in groups, and only the current chunk's list (at most
   ``CHUNK_ITEMS`` entries) is held, so a bundle of any length is imported
   with one line in memory at a time.

Every intact, valid item is imported even when others are not; each bad one is
named (submission ID, else line number) with the reason — the report lists
only those (at most ``MAX_NAMED``; ``counts`` has every item). Re-importing
the same file only yields ``duplicate`` results.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

from joserfc.jwk import OKPKey

from central import intake
from central.attachments import AttachmentStore
from central.db.sql import SqlStore
from central.settings import Settings
from kiosk import ids
from kiosk.errors import SecurityError
from sync.bundles import (
    BUNDLE_FORMAT_V1,
    decode_attachments,
    read_bundle_file,
    verify_chunk,
    verify_manifest,
)


class BundleHost(Protocol):
    """What an import needs of the server (``central.app.Central`` has it): the
    store, keys, settings, attachment store and temp folder. A Protocol, so the
    app imports this module and not the other way round."""

    settings: Settings
    store: SqlStore
    key: OKPKey
    kid: str
    tmp_dir: Path
    attachments: AttachmentStore

COMMIT_EVERY = 100
MAX_NAMED = 1_000  # bad items named in a report; counts has them all
# lines not from the signed manifest (damaged, unlisted) read before the import stops:
# a genuine header followed by junk (400 kB of gzip is hundreds of MB of "{}" lines)
# must not hold the single import slot for minutes
MAX_BAD_LINES = 2_000
OK_STATUSES = ("accepted", "duplicate")
log = logging.getLogger("central.bundle_import")


def _manifest(central: BundleHost, header: dict[str, Any] | None,
              only_device: str | None) -> tuple[str | None, dict[str, Any] | None,
                                                dict[str, Any], str | None]:
    """(device ID, device JWK, manifest claims, error) — the bundle proving itself."""
    if header is None:
        return None, None, {}, None
    device_id = header.get("device_id")
    if not ids.is_device_id(device_id):
        return None, None, {}, f"manifest: device ID {ids.shown(device_id)} is not a device ID"
    assert isinstance(device_id, str)
    if only_device is not None and device_id != only_device:
        return None, None, {}, "manifest: the bundle is another device's (a device may send " \
                               "only its own bundles; use a technician token)"
    row = central.store.device(device_id)
    if row is None:
        return None, None, {}, f"manifest: device {device_id} is not enrolled here"
    if row.get("revoked_at"):
        return None, None, {}, f"manifest: device {device_id} has been revoked"
    jwk = json.loads(row["public_jwk"])
    try:
        claims = verify_manifest(header, jwk)
    except SecurityError as exc:
        return None, None, {}, f"manifest: {exc}"
    return device_id, jwk, claims, None


class _SignedList:
    """The manifest one chunk at a time: which bytes the next item lines must be.

    Holds only the current chunk's entries (format 1: the header's whole list,
    which that format capped at a few hundred items).
    """

    def __init__(self, claims: dict[str, Any], jwk: dict[str, Any], errors: list[str]):
        self.claims, self.jwk, self.errors = claims, jwk, errors
        self.chunks = 1 if "items" in claims else int(claims["chunks"])
        self.next_index = 0
        self.expected: dict[str, str] = {}
        self.order: list[str] = []
        self.seen: set[str] = set()
        self.position = 0
        self.listed = 0
        if "items" in claims:  # format 1
            self._load(0, claims["items"])

    def _error(self, text: str) -> None:
        if len(self.errors) < MAX_NAMED:  # a hostile file of bad chunk lines stays bounded
            self.errors.append(text)

    def _load(self, index: int, entries: list[Any]) -> None:
        self.expected, self.order, self.seen, self.position = {}, [], set(), 0
        self.next_index = index + 1
        self.listed += len(entries)
        for entry in entries:
            sid = entry.get("submission_id") if isinstance(entry, dict) else None
            digest = entry.get("sha256") if isinstance(entry, dict) else None
            if not ids.is_submission_id(sid) or not ids.is_sha256(digest):
                self._error(f"manifest lists {ids.shown(sid)}, which is not a "
                                   "submission ID with a SHA-256")
                self.order.append("")
                continue
            assert isinstance(sid, str) and isinstance(digest, str)
            self.expected[sid] = digest
            self.order.append(sid)

    def start_chunk(self, token: Any) -> list[dict[str, Any]]:
        """A chunk line: the previous chunk's missing items, then its own list."""
        missing = self.close()
        try:
            index, entries = verify_chunk(token, self.jwk, self.claims, self.next_index)
        except SecurityError as exc:
            self._error(f"manifest: {exc}")
            self.expected, self.order, self.position = {}, [], 0
            return missing
        self._lose_chunks(index)
        self._load(index, entries)
        return missing

    def _lose_chunks(self, upto: int) -> None:
        if upto > self.next_index:
            self._error(f"manifest: chunk(s) {self.next_index}..{upto - 1} of "
                               f"{self.chunks} are damaged or missing")

    def close(self) -> list[dict[str, Any]]:
        """The current chunk's listed items that never came (truncated or damaged)."""
        out = [{"submission_id": sid, "status": "missing",
                "reason": "listed in the manifest but not in the file (truncated)"}
               for sid in self.expected if sid not in self.seen]
        self.expected, self.seen = {}, set()
        return out

    def finish(self) -> tuple[list[dict[str, Any]], int]:
        """(the last chunk's missing items, how many more were in chunks never read)."""
        missing = self.close()
        if self.next_index < self.chunks:
            self._lose_chunks(self.chunks)
        count = self.claims.get("count")
        unread = count - self.listed if isinstance(count, int) and count > self.listed else 0
        if unread:
            self._error(f"manifest: {unread} of the {count} items the bundle lists "
                               "are in chunks that could not be read (copy the bundle again)")
        return missing, unread

    def name_of_damaged(self, number: int) -> str:
        index = self.position
        return self.order[index] if 0 <= index < len(self.order) and self.order[index] \
            else f"line {number}"


def _record_audit_head(central: BundleHost, device_id: str, head: Any) -> str | None:
    """The audit head in a verified manifest: "ok" (the anchor moved), "older" (a
    bundle made before the known head: recorded, no alarm), "regressed" (flagged
    for the operator; the bundle's items still count), "ignored" or None (none)."""
    if head is None:
        return None
    from central import trust

    try:
        seq, digest = trust.parse_head(head)
    except ValueError as exc:
        log.warning("bundle from %s: audit head ignored (%s)", device_id, exc)
        return "ignored"
    result = trust.record_head(central.store, device_id, seq, digest, via="bundle")
    if result["status"] == "regressed":
        log.error("bundle from %s: the kiosk's audit log went backwards: %s", device_id,
                  result["detail"])
    elif result["status"] == "older":
        log.info("bundle from %s: audit head %s is older than the known %s (an older "
                 "bundle; recorded, no alarm)", device_id, seq, result["seq"])
    return str(result["status"])


def import_bundle_file(central: BundleHost, path: Path, *, only_device: str | None = None,
                       seconds: float | None = None) -> dict[str, Any]:
    """Import one bundle; with ``seconds``, stop reading once that long has passed (the
    upload path: the one import slot is shared by all nodes). What was read is kept and
    importing the same file again goes on from there (the rest are new, the rest dedup)."""
    with central.store.import_lock(), open(path, "rb") as fh:  # one at a time, on all nodes
        deadline = None if seconds is None else time.monotonic() + seconds
        return _import(central, fh, only_device, deadline)


def import_bundle_bytes(central: BundleHost, data: bytes) -> dict[str, Any]:
    """For callers holding the bytes already (tests): spooled to a 0600 temp file."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".ndjson", dir=central.tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return import_bundle_file(central, Path(name))
    finally:
        Path(name).unlink(missing_ok=True)


def _import(central: BundleHost, fh: Any, only_device: str | None,
            deadline: float | None = None) -> dict[str, Any]:
    header, header_error, lines = read_bundle_file(fh)
    errors: list[str] = [header_error] if header_error else []
    device_id, jwk, claims, problem = _manifest(central, header, only_device)
    report_head = {"format": header.get("format") if header else None,
                   "device_id": ids.printable(header.get("device_id"), 64) if header else None}
    if problem or device_id is None or jwk is None:
        if problem:
            errors.append(problem)
        # nothing is stored from a bundle that does not prove itself
        return {**report_head, "manifest_verified": False, "errors": errors, "counts": {},
                "results": []}

    audit_head = _record_audit_head(central, device_id, claims.get("audit_head"))
    signed = _SignedList(claims, jwk, errors)
    report = _Report()
    limits = central.settings.limits
    pending: list[intake.Checked] = []

    def flush() -> None:
        report.add(intake.commit(central.store, pending, key=central.key, kid=central.kid,
                                 via="bundle"))
        pending.clear()

    reader = _LineBudget(signed, deadline)
    for line in lines:
        if line.item is not None and "chunk" in line.item and header and \
                header.get("format") != BUNDLE_FORMAT_V1:
            report.add(signed.start_chunk(line.item["chunk"]))
            continue
        stop = reader.stop_reason(line, signed)
        if stop:
            errors.append(stop)
            break
        checked = _check_line(central, line, device_id, jwk, signed, limits)
        signed.seen.add(checked.submission_id)
        signed.position += 1
        pending.append(checked)
        if len(pending) >= COMMIT_EVERY:
            flush()
    flush()
    if not reader.out_of_time:  # cut short by the clock, the rest is unread, not missing
        missing, unread = signed.finish()
        report.add(missing)
        if unread:
            report.counts["missing"] = report.counts.get("missing", 0) + unread
    return {**report_head, "manifest_verified": True, "complete": not reader.out_of_time,
            "errors": errors, "audit_head": audit_head, "counts": report.counts,
            "results": report.named, "unnamed_problems": report.unnamed}


class _LineBudget:
    """How far a bundle is read: the item lines its signed manifest lists, plus at
    most ``MAX_BAD_LINES`` that are damaged or listed nowhere (bounded work)."""

    def __init__(self, signed: _SignedList, deadline: float | None = None) -> None:
        count = signed.claims.get("count")
        listed = count if isinstance(count, int) and count >= 0 else signed.listed
        self.allowed = listed + MAX_BAD_LINES
        self.read = self.bad = 0
        self.deadline = deadline
        self.out_of_time = False

    def stop_reason(self, line: Any, signed: _SignedList) -> str | None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.out_of_time = True
            return (f"stopped reading at line {line.number}: the import time limit was "
                    f"reached after {self.read} item lines; what was read is kept; send "
                    "the same bundle again to import the rest")
        self.read += 1
        sid = line.item.get("submission_id") if line.item is not None else None
        if line.item is None or not isinstance(sid, str) or \
                signed.expected.get(sid) != line.sha256:
            self.bad += 1
        if self.bad > MAX_BAD_LINES:
            return (f"stopped reading at line {line.number}: more than {MAX_BAD_LINES} "
                    "lines are damaged or not listed in the signed manifest")
        if self.read > self.allowed:
            return (f"stopped reading at line {line.number}: the bundle has more item lines "
                    "than its signed manifest lists")
        return None


class _Report:
    """Counts of every item; the bad ones named, up to MAX_NAMED (bounded memory)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.named: list[dict[str, Any]] = []
        self.unnamed = 0

    def add(self, results: list[dict[str, Any]]) -> None:
        for r in results:
            self.counts[r["status"]] = self.counts.get(r["status"], 0) + 1
            if r["status"] in OK_STATUSES:
                continue
            if len(self.named) < MAX_NAMED:
                self.named.append(r)
            else:
                self.unnamed += 1


def _check_line(central: BundleHost, line: Any, device_id: str, jwk: dict[str, Any],
                signed: _SignedList, limits: Any) -> intake.Checked:
    """One line, verified before anything of it is written."""
    if line.item is None:
        return intake._reject(signed.name_of_damaged(line.number), line.error or "damaged")
    item = line.item
    raw_sid = item.get("submission_id")
    if not ids.is_submission_id(raw_sid):
        return intake._reject(f"line {line.number}", f"submission ID {ids.shown(raw_sid)} is "
                                                     "not a canonical UUIDv7")
    sid = str(raw_sid)
    if signed.expected.get(sid) != line.sha256:
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
