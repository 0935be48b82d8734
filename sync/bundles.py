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
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from kiosk.errors import SecurityError
from sync.auth import MANIFEST_TYP, import_public, sign_json, unverified_header, verify_json

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
                 tmp_dir: Path) -> int:
    """Write the bundle atomically (temp file in ``tmp_dir``, fsync, rename); item count."""
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
        manifest = sign_json(
            {"format": BUNDLE_FORMAT, "device_id": device_id, "created_at": int(time.time()),
             "items": entries}, key, typ=MANIFEST_TYP, kid=device_id)
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


def read_bundle(data: bytes) -> tuple[dict[str, Any] | None, str | None, Iterator[ParsedLine]]:
    """(header or None, header error, item lines). Never raises on bad content."""
    first, _, rest = data.partition(b"\n")
    header: dict[str, Any] | None = None
    error: str | None = None
    try:
        parsed = json.loads(first)
        if not isinstance(parsed, dict) or parsed.get("format") != BUNDLE_FORMAT:
            error = f"not a {BUNDLE_FORMAT} file (first line is not its header)"
        else:
            header = parsed
    except (ValueError, UnicodeDecodeError):
        error = "the bundle header (line 1) is damaged"

    def lines() -> Iterator[ParsedLine]:
        for number, raw in enumerate(rest.split(b"\n"), start=2):
            if not raw.strip():
                continue
            digest = hashlib.sha256(raw).hexdigest()
            try:
                item = json.loads(raw)
                if not isinstance(item, dict):
                    raise ValueError("not an object")
            except (ValueError, UnicodeDecodeError):
                yield ParsedLine(number, digest, None, f"line {number} is damaged or truncated")
                continue
            yield ParsedLine(number, digest, item)

    return header, error, lines()


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


def decode_attachments(item: dict[str, Any]) -> list[tuple[str, bytes]]:
    out = []
    for att in item.get("attachments") or []:
        digest = str(att.get("sha256", ""))
        data = b64d(str(att.get("data", "")))
        if hashlib.sha256(data).hexdigest() != digest:
            raise SecurityError(f"attachment {digest[:12]}… does not match its hash")
        out.append((digest, data))
    return out
