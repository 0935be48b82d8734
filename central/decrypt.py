"""The agency side of delivery: decrypt received submissions and check the device signature.

Only submissions sealed to the given agency key (the record's ``agency_kid``)
are opened; each payload is written as ``<submission_id>.json`` with its
attachments decrypted beside it (``<submission_id>/<name>``), after the inner
device signature and every attachment hash have been checked. The output is
plaintext personal data: it belongs on the agency's protected system only, so
folders are made 0700 and files 0600, and nothing is written through a symlink.

Every path is built from parts that passed the grammar (``kiosk.ids``: the
submission ID a canonical UUIDv7, the device ID, the blob SHA-256, the file
name a plain name — else ``attachment-N``) and checked to stay under ``--out``
(or the data folder); a row that fails is reported and the rest still decrypt.
"""

from __future__ import annotations

import base64
import json
import os
import unicodedata
from pathlib import Path
from typing import Any

from central.backend import Backend, open_backend
from kiosk import ids
from kiosk.errors import ConfigError, SecurityError
from sync import jsonlimits


def _claims(record: str) -> dict[str, Any]:
    parts = record.split(".") if isinstance(record, str) else []
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        claims = jsonlimits.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        raise SecurityError("record is damaged (not a compact JWS)") from None
    if not isinstance(claims, dict):
        raise SecurityError("record is damaged (not a JSON object)")
    return claims


def _write_private(path: Path, data: bytes) -> None:
    """Write 0600, never through a symlink someone planted in ``--out``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _private_dir(path: Path, *, ours: bool = True) -> None:
    """Make ``path`` 0700; an existing folder the user named (``ours=False``) keeps its mode."""
    if path.is_symlink():
        raise SecurityError(f"{ids.shown(str(path))} is a symbolic link")
    existed = path.is_dir()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if ours or not existed:
        os.chmod(path, 0o700)


def _attachment_name(entry: dict[str, Any], index: int, used: set[str]) -> str:
    """The sender's file name if it is a plain one, else ``attachment-N``; unique in
    its folder even on a case-insensitive or normalising file system (``N-name``)."""
    try:
        name = ids.file_name(entry.get("name"))
    except ids.BadIdentifier:
        name = f"attachment-{index}"
    candidate, tries = name, 0
    while _fold(candidate) in used:
        tries += 1
        candidate = f"{index}-{name}" if tries == 1 else f"{index}-{tries}-{name}"
    used.add(_fold(candidate))
    return candidate


def _fold(name: str) -> str:
    """The key two names collide under on Windows or macOS (case, Unicode form)."""
    return unicodedata.normalize("NFC", name).casefold()


def _decrypt_one(row: dict[str, Any], backend: Backend, key: dict[str, Any],
                 out: Path) -> list[str]:
    from kiosk.envelope import open_envelope, verify_attachment

    sid = ids.submission_id(row["submission_id"])
    device_id = ids.device_id(row["device_id"])
    device = backend.store.device(device_id)
    if device is None:
        raise SecurityError("sending device is unknown")
    device_jwk = json.loads(device["public_jwk"])
    payload = open_envelope(row["jwe"], key, device_jwk)
    if payload.get("submission_id") != sid:
        raise SecurityError("payload is for another submission")
    files = []
    attachments = payload.get("attachments", [])
    if not isinstance(attachments, list):
        raise SecurityError("payload lists attachments wrongly")
    used: set[str] = set()
    for index, entry in enumerate(attachments):
        if not isinstance(entry, dict):
            raise SecurityError("payload lists attachments wrongly")
        blob = backend.attachments.read(device_id, ids.sha256_hex(entry.get("blob_sha256")))
        entry, plain = verify_attachment(payload, blob, index=index)
        folder = ids.inside(out, sid)
        _private_dir(folder)
        target = ids.inside(folder, _attachment_name(entry, index, used))
        _write_private(target, plain)
        files.append(f"{sid}/{target.name}")
    public = {k: v for k, v in payload.items() if k != "attachments"}
    public["attachments"] = [
        {k: v for k, v in a.items() if k != "key"} for a in attachments
    ]
    doc = {"submission_id": sid, "device_id": device_id,
           "device_signature": "verified", "demo": bool(row["demo"]),
           "payload": public, "attachment_files": files}
    _write_private(ids.inside(out, f"{sid}.json"),
                   json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))
    return files


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "payload is nested too deeply"
    return ids.printable(str(exc) or type(exc).__name__)


def decrypt_all(data_dir: Path, key_file: Path, out: Path,
                database_url: str | None = None) -> dict[str, Any]:
    from kiosk.envelope import agency_kid

    try:
        key = json.loads(key_file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{key_file}: cannot read the agency key ({exc})") from None
    if not isinstance(key, dict) or "d" not in key:
        raise ConfigError(f"{key_file}: not a private JWK")
    kid = key.get("kid") or agency_kid(key)
    backend = open_backend(data_dir, database_url)
    store = backend.store
    try:
        _private_dir(out, ours=False)
    except (OSError, SecurityError) as exc:
        raise ConfigError(f"{out}: cannot use it as the output folder ({exc})") from None
    decrypted, skipped, failed = 0, 0, []
    try:
        for row in store.submissions(with_payload=True):
            sid = row["submission_id"]
            try:
                if _claims(row["record"]).get("agency_kid") != kid:
                    skipped += 1
                    continue
                _decrypt_one(row, backend, key, out)
                decrypted += 1
            except (SecurityError, OSError, ValueError, KeyError, TypeError,
                    IndexError, RecursionError) as exc:
                # one bad row (stored by an older server, damaged, or sent by a device
                # that turned hostile) never stops the rest
                failed.append({"submission_id": ids.printable(sid), "reason": _reason(exc)})
    finally:
        store.close()
    return {"decrypted": decrypted, "skipped": skipped, "failed": failed, "out": str(out)}
