"""Removable-media bundles: the kiosk's unacknowledged queue in one file for a USB stick.

Format ``soum-kiosk-bundle/2`` is newline-delimited JSON (``.ndjson``), so a
truncated or partly damaged file still yields every intact item, and neither
side ever holds the list of items in memory (a bundle may hold 100,000):

- line 1, the header: ``{"format", "device_id", "manifest"}`` where
  ``manifest`` is a compact JWS by the **device key** (``typ``
  ``kiosk-bundle-manifest+jws``) over ``{format, device_id, bundle_id,
  created_at, count, chunks, audit_head?}``: how many items and chunks follow;
- then, per chunk of at most ``CHUNK_ITEMS`` items, a chunk line ``{"chunk":
  JWS}`` by the device key (``typ`` ``kiosk-bundle-chunk+jws``) over
  ``{format, device_id, bundle_id, index, items: [{submission_id, sha256}]}``,
  followed by those items' lines in that order. ``sha256`` is the hash of the
  item's line (bytes, without the newline); ``bundle_id`` and ``index`` bind
  the chunk to this bundle and place, so chunks cannot be swapped in from
  another bundle, reordered or dropped unnoticed;
- one line per submission: ``{"submission_id", "device_id", "record", "jwe",
  "attachments": [{"sha256", "data"}]}``, ``data`` being the already
  encrypted attachment blob in base64url.

Every signed payload stays small whatever the bundle's size, so no JOSE size
limit applies to the list. Format ``soum-kiosk-bundle/1`` (one manifest JWS
in the header listing every item; it could not hold more than ~727 items) is
still read: its header list is treated as the only chunk.

Nothing in a bundle is plaintext: envelopes are JWEs to the agency, blobs are
AES-GCM. Each item stands on its own (its record is device-signed and binds
the JWE and blob hashes), the manifest adds completeness: an item missing from
the end (truncation) or altered (hash differs) is named by its submission ID.

Acknowledgement files (``soum-kiosk-acks/1``) carry server receipts back:
``{"format", "server_kid", "created_at", "acks": [{device_id, submission_id,
receipt}]}``; each receipt is verified with the pinned server key on import.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from joserfc.jwk import OKPKey

from kiosk import ids
from kiosk.errors import SecurityError
from sync import jsonlimits
from sync.auth import MANIFEST_TYP, import_public, sign_json, unverified_header, verify_json
from sync.jsonlimits import JsonLimitError, JsonLimits

BUNDLE_FORMAT = "soum-kiosk-bundle/2"
BUNDLE_FORMAT_V1 = "soum-kiosk-bundle/1"
BUNDLE_FORMATS = (BUNDLE_FORMAT, BUNDLE_FORMAT_V1)
ACKS_FORMAT = "soum-kiosk-acks/1"
CHUNK_TYP = "kiosk-bundle-chunk+jws"
CHUNK_ITEMS = 256  # ~30 kB of signed payload per chunk
MAX_LINE_BYTES = 64 * 1024 * 1024
COPY_BLOCK = 1 << 20


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BundleItem:
    submission_id: str
    record: str
    jwe: str
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class _Signer:
    """What every signed part of one bundle shares."""

    device_id: str
    key: OKPKey
    bundle_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def chunk(self, index: int, entries: list[dict[str, str]]) -> bytes:
        claims = {"format": BUNDLE_FORMAT, "device_id": self.device_id,
                  "bundle_id": self.bundle_id, "index": index, "items": entries}
        token = sign_json(claims, self.key, typ=CHUNK_TYP, kid=self.device_id)
        return json.dumps({"chunk": token}).encode("ascii") + b"\n"

    def header(self, count: int, chunks: int, audit_head: dict[str, Any] | None) -> bytes:
        claims: dict[str, Any] = {"format": BUNDLE_FORMAT, "device_id": self.device_id,
                                  "bundle_id": self.bundle_id, "created_at": int(time.time()),
                                  "count": count, "chunks": chunks}
        if audit_head is not None:
            claims["audit_head"] = {"seq": int(audit_head["seq"]),
                                    "hash": str(audit_head["hash"])}
        manifest = sign_json(claims, self.key, typ=MANIFEST_TYP, kid=self.device_id)
        return json.dumps({"format": BUNDLE_FORMAT, "device_id": self.device_id,
                           "manifest": manifest}).encode("ascii") + b"\n"


def _item_line(item: BundleItem, device_id: str) -> bytes:
    return json.dumps({
        "submission_id": item.submission_id, "device_id": device_id,
        "record": item.record, "jwe": item.jwe,
        "attachments": [{"sha256": s, "data": b64e(d)} for s, d in item.attachments],
    }, separators=(",", ":")).encode("utf-8")


def _write_body(body: BinaryIO, chunk_file: BinaryIO, items: Iterable[BundleItem],
                signer: _Signer) -> tuple[int, list[tuple[int, int]]]:
    """Item lines to ``body``, one signed chunk line per CHUNK_ITEMS to ``chunk_file``;
    (item count, each chunk's byte span in ``body``)."""
    spans: list[tuple[int, int]] = []
    entries: list[dict[str, str]] = []
    count, start = 0, 0
    for item in items:
        line = _item_line(item, signer.device_id)
        entries.append({"submission_id": item.submission_id,
                        "sha256": hashlib.sha256(line).hexdigest()})
        body.write(line + b"\n")
        count += 1
        if len(entries) == CHUNK_ITEMS:
            chunk_file.write(signer.chunk(len(spans), entries))
            spans.append((start, body.tell()))
            start, entries = body.tell(), []
    if entries:
        chunk_file.write(signer.chunk(len(spans), entries))
        spans.append((start, body.tell()))
    return count, spans


def _copy(src: BinaryIO, out: BinaryIO, size: int) -> None:
    while size > 0:
        block = src.read(min(COPY_BLOCK, size))
        if not block:
            raise OSError(f"temporary bundle body ended {size} bytes early")
        out.write(block)
        size -= len(block)


def part_path(path: Path) -> Path:
    """Where ``write_bundle`` writes before the atomic rename."""
    return path.with_name(path.name + ".part")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_parts(tmp_dir: Path, out: Path) -> list[Path]:
    """Remove what a killed export left: ``out``'s ``.part`` on the stick and the
    temporary files of exports whose process is gone; the paths removed."""
    removed: list[Path] = []
    candidates = [part_path(out)] + sorted(tmp_dir.glob("bundle-*.part"))
    for candidate in candidates:
        owner = candidate.name.split("-")[1] if candidate.parent == tmp_dir else ""
        if owner.isdigit() and _pid_alive(int(owner)):
            continue  # another export running right now
        try:
            candidate.unlink()
            removed.append(candidate)
        except FileNotFoundError:
            pass
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some file systems (FAT on a USB stick) cannot open a folder
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bundle(path: Path, *, device_id: str, key: OKPKey, items: Iterable[BundleItem],
                 tmp_dir: Path, audit_head: dict[str, Any] | None = None) -> int:
    """Write the bundle atomically (temp files in ``tmp_dir``, ``.part`` next to
    ``path``, fsync, rename); item count. One item in memory at a time.

    ``audit_head`` ({seq, hash} of the kiosk's audit log) goes into the signed
    manifest, so a bundle anchors the log's end as a sync round does.
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_parts(tmp_dir, path)
    stem = tmp_dir / f"bundle-{os.getpid()}-{time.monotonic_ns()}"
    body_tmp, chunks_tmp = Path(f"{stem}.part"), Path(f"{stem}-chunks.part")
    signer = _Signer(device_id, key)
    try:
        with open(body_tmp, "w+b") as body, open(chunks_tmp, "w+b") as chunk_file:
            count, spans = _write_body(body, chunk_file, items, signer)
            body.seek(0)
            chunk_file.seek(0)
            with open(part_path(path), "wb") as out:
                out.write(signer.header(count, len(spans), audit_head))
                for start, end in spans:
                    out.write(chunk_file.readline())
                    _copy(body, out, end - start)
                out.flush()
                os.fsync(out.fileno())
        os.replace(part_path(path), path)
        _fsync_dir(path.parent)
    finally:
        body_tmp.unlink(missing_ok=True)
        chunks_tmp.unlink(missing_ok=True)
        part_path(path).unlink(missing_ok=True)
    return count


@dataclass
class ParsedLine:
    number: int
    sha256: str
    item: dict[str, Any] | None
    error: str | None = None


# An item line holds base64url of its (already encrypted) blobs; the header holds
# the manifest. Both flat: a few levels deep, a bounded number of values.
LINE_LIMITS = JsonLimits(max_bytes=MAX_LINE_BYTES, max_depth=4, max_items=1_000)
HEADER_LIMITS = JsonLimits(max_bytes=MAX_LINE_BYTES, max_depth=2, max_items=16)


def _read_line(fh: BinaryIO, limit: int) -> tuple[bytes | None, bool]:
    """(line without newline, too_long); (None, False) at the end of the file.

    Never holds more than ``limit`` bytes: an overlong line is skipped to its end.
    """
    line = fh.readline(limit + 1)
    if not line:
        return None, False
    if len(line) > limit and not line.endswith(b"\n"):
        while True:  # skip the rest of the overlong line in bounded steps
            more = fh.readline(1 << 20)
            if not more or more.endswith(b"\n"):
                break
        return b"", True
    return line.rstrip(b"\n").rstrip(b"\r") if line.endswith(b"\n") else line, False


def read_bundle_file(fh: BinaryIO) -> tuple[dict[str, Any] | None, str | None,
                                            Iterator[ParsedLine]]:
    """(header or None, header error, item lines) from an open binary file, streamed:
    one line in memory at a time. Never raises on bad content."""
    first, too_long = _read_line(fh, MAX_LINE_BYTES)
    header: dict[str, Any] | None = None
    error: str | None = None
    if too_long:
        error = "the bundle header (line 1) is too long"
    else:
        try:
            parsed = jsonlimits.loads(first or b"", HEADER_LIMITS)
            if not isinstance(parsed, dict) or parsed.get("format") not in BUNDLE_FORMATS:
                error = f"not a {BUNDLE_FORMAT} file (first line is not its header)"
            else:
                header = parsed
        except JsonLimitError:
            error = "the bundle header (line 1) is damaged"

    def lines() -> Iterator[ParsedLine]:
        number = 1
        while True:
            raw, overlong = _read_line(fh, MAX_LINE_BYTES)
            if raw is None:
                return
            number += 1
            if overlong:
                yield ParsedLine(number, "", None,
                                 f"line {number} is longer than {MAX_LINE_BYTES} bytes")
                continue
            if not raw.strip():
                continue
            digest = hashlib.sha256(raw).hexdigest()
            try:
                item = jsonlimits.loads(raw, LINE_LIMITS)
                if not isinstance(item, dict):
                    raise JsonLimitError("not an object")
            except JsonLimitError:
                yield ParsedLine(number, digest, None, f"line {number} is damaged or truncated")
                continue
            finally:
                del raw  # a line may be tens of MB: keep only the parsed item
            yield ParsedLine(number, digest, item)

    return header, error, lines()


def read_bundle(data: bytes) -> tuple[dict[str, Any] | None, str | None, Iterator[ParsedLine]]:
    """``read_bundle_file`` over bytes already in memory."""
    return read_bundle_file(io.BytesIO(data))


def verify_manifest(header: dict[str, Any], device_jwk: dict[str, Any]) -> dict[str, Any]:
    """The manifest's claims if the named device signed it; SecurityError otherwise.

    Version 2: ``count`` and ``chunks`` are whole numbers, ``bundle_id`` a string.
    Version 1: ``items`` is the whole list (the only chunk).
    """
    token = header.get("manifest")
    if not isinstance(token, str):
        raise SecurityError(key="wire.manifest_missing")
    if unverified_header(token).get("kid") != header.get("device_id"):
        raise SecurityError(key="wire.manifest_other_device",
                            params={"device": str(header.get("device_id"))})
    claims = verify_json(token, import_public(device_jwk), typ=MANIFEST_TYP)
    if claims.get("device_id") != header.get("device_id") or \
            claims.get("format", BUNDLE_FORMAT_V1) != header.get("format"):
        raise SecurityError(key="wire.manifest_malformed", params={"part": "device_id/format"})
    if header.get("format") == BUNDLE_FORMAT_V1:
        if not isinstance(claims.get("items"), list):
            raise SecurityError(key="wire.manifest_malformed", params={"part": "items"})
        return claims
    if not (_whole(claims.get("count")) and _whole(claims.get("chunks"))
            and isinstance(claims.get("bundle_id"), str)):
        raise SecurityError(key="wire.manifest_malformed", params={"part": "count/chunks/bundle_id"})
    return claims


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_chunk(token: Any, device_jwk: dict[str, Any], manifest: dict[str, Any],
                 first: int) -> tuple[int, list[Any]]:
    """(index, entries) of a chunk of the bundle ``manifest`` describes, at index
    ``first`` or later (a damaged chunk line before it is then reported missing);
    the entries are still to be checked by the caller. SecurityError otherwise."""
    if not isinstance(token, str):
        raise SecurityError(key="wire.chunk_unsigned", params={"index": first})
    claims = verify_json(token, import_public(device_jwk), typ=CHUNK_TYP)
    if claims.get("bundle_id") != manifest.get("bundle_id") or \
            claims.get("device_id") != manifest.get("device_id"):
        raise SecurityError(key="wire.chunk_other_bundle", params={"index": first})
    index = claims.get("index")
    if not isinstance(index, int) or not first <= index < int(manifest.get("chunks") or 0):
        raise SecurityError(key="wire.chunk_out_of_order",
                            params={"index": ids.shown(index), "expected": first})
    entries = claims.get("items")
    if not isinstance(entries, list) or not 0 < len(entries) <= CHUNK_ITEMS:
        raise SecurityError(key="wire.chunk_items", params={"index": index})
    return index, entries


def decode_attachments(item: dict[str, Any], max_bytes: int = MAX_LINE_BYTES
                       ) -> list[tuple[str, bytes]]:
    """The item's blobs, each checked against its SHA-256 (grammar first); SecurityError."""
    atts = item.get("attachments") or []
    if not isinstance(atts, list):
        raise SecurityError(key="wire.attachments_not_list")
    out = []
    for att in atts:
        if not isinstance(att, dict) or not ids.is_sha256(att.get("sha256")):
            raise SecurityError(key="wire.attachment_unnamed")
        digest = str(att["sha256"])
        text = att.get("data")
        if not isinstance(text, str) or len(text) > max_bytes * 4 // 3 + 4:
            raise SecurityError(key="wire.attachment_size", params={"sha256": digest[:12]})
        try:
            data = b64d(text)
        except ValueError:
            raise SecurityError(key="wire.attachment_not_b64", params={"sha256": digest[:12]}) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise SecurityError(key="wire.attachment_hash", params={"sha256": digest[:12]})
        out.append((digest, data))
    return out
