"""Removable-media bundles: the kiosk's unacknowledged queue in one file for a USB stick.

Format ``soum-kiosk-bundle/1`` is newline-delimited JSON (``.ndjson``), so a
truncated or partly damaged file still yields every intact item:

- line 1, the header: ``{"format", "device_id", "manifest"}`` where
  ``manifest`` is a compact JWS by the **device key** over
  ``{format, device_id, created_at, items: [{submission_id, sha256}]}`` and
  ``sha256`` is the hash of that item's line (bytes, without the newline);
- one line per submission: ``{"submission_id", "device_id", "record", "jwe",
  "attachments": [{"sha256", "data"}]}``, ``data`` being the already
  encrypted attachment blob in base64url.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from joserfc.jwk import OKPKey

from kiosk.errors import SecurityError
from sync import jsonlimits
from sync.auth import MANIFEST_TYP, import_public, sign_json, unverified_header, verify_json
from sync.jsonlimits import JsonLimitError, JsonLimits

BUNDLE_FORMAT = "soum-kiosk-bundle/1"
ACKS_FORMAT = "soum-kiosk-acks/1"
MAX_LINE_BYTES = 64 * 1024 * 1024


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


def write_bundle(path: Path, *, device_id: str, key: OKPKey, items: Iterable[BundleItem],
                 tmp_dir: Path, audit_head: dict[str, Any] | None = None) -> int:
    """Write the bundle atomically (temp file in ``tmp_dir``, fsync, rename); item count.

    ``audit_head`` ({seq, hash} of the kiosk's audit log) goes into the signed
    manifest, so a bundle anchors the log's end as a sync round does.
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    body_tmp = tmp_dir / f"bundle-{os.getpid()}-{time.monotonic_ns()}.part"
    entries: list[dict[str, str]] = []
    try:
        with open(body_tmp, "wb") as body:
            for item in items:
                line = json.dumps({
                    "submission_id": item.submission_id, "device_id": device_id,
                    "record": item.record, "jwe": item.jwe,
                    "attachments": [{"sha256": s, "data": b64e(d)} for s, d in item.attachments],
                }, separators=(",", ":")).encode("utf-8")
                entries.append({"submission_id": item.submission_id,
                                "sha256": hashlib.sha256(line).hexdigest()})
                body.write(line + b"\n")
        claims: dict[str, Any] = {"format": BUNDLE_FORMAT, "device_id": device_id,
                                  "created_at": int(time.time()), "items": entries}
        if audit_head is not None:
            claims["audit_head"] = {"seq": int(audit_head["seq"]),
                                    "hash": str(audit_head["hash"])}
        manifest = sign_json(claims, key, typ=MANIFEST_TYP, kid=device_id)
        header = json.dumps({"format": BUNDLE_FORMAT, "device_id": device_id,
                             "manifest": manifest}).encode("utf-8")
        out_tmp = path.with_name(path.name + ".part")
        with open(out_tmp, "wb") as out, open(body_tmp, "rb") as body:
            out.write(header + b"\n")
            for block in iter(lambda: body.read(1 << 20), b""):
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.replace(out_tmp, path)
    finally:
        body_tmp.unlink(missing_ok=True)
    return len(entries)


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
            if not isinstance(parsed, dict) or parsed.get("format") != BUNDLE_FORMAT:
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
    """The manifest's claims if the named device signed it; SecurityError otherwise."""
    token = header.get("manifest")
    if not isinstance(token, str):
        raise SecurityError("bundle manifest is missing")
    if unverified_header(token).get("kid") != header.get("device_id"):
        raise SecurityError("bundle manifest names another device")
    claims = verify_json(token, import_public(device_jwk), typ=MANIFEST_TYP)
    if claims.get("device_id") != header.get("device_id") or not isinstance(
        claims.get("items"), list
    ):
        raise SecurityError("bundle manifest is malformed")
    return claims


def decode_attachments(item: dict[str, Any], max_bytes: int = MAX_LINE_BYTES
                       ) -> list[tuple[str, bytes]]:
    """The item's blobs, each checked against its SHA-256 (grammar first); SecurityError."""
    from kiosk import ids

    atts = item.get("attachments") or []
    if not isinstance(atts, list):
        raise SecurityError("attachments must be a list")
    out = []
    for att in atts:
        if not isinstance(att, dict) or not ids.is_sha256(att.get("sha256")):
            raise SecurityError("an attachment is not named by a hex SHA-256")
        digest = str(att["sha256"])
        text = att.get("data")
        if not isinstance(text, str) or len(text) > max_bytes * 4 // 3 + 4:
            raise SecurityError(f"attachment {digest[:12]}… has no data or too much")
        try:
            data = b64d(text)
        except ValueError:
            raise SecurityError(f"attachment {digest[:12]}… is not base64url") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise SecurityError(f"attachment {digest[:12]}… does not match its hash")
        out.append((digest, data))
    return out
