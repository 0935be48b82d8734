"""The agency side of delivery: decrypt received submissions and check the device signature.

Only submissions sealed to the given agency key (the record's ``agency_kid``)
are opened; each payload is written as ``<submission_id>.json`` with its
attachments decrypted beside it (``<submission_id>/<name>``), after the inner
device signature and every attachment hash have been checked. The output is
plaintext personal data: it belongs on the agency's protected system only.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from central.storage import CentralStore
from kiosk.errors import ConfigError, SecurityError


def _claims(record: str) -> dict[str, Any]:
    part = record.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def decrypt_all(data_dir: Path, key_file: Path, out: Path) -> dict[str, Any]:
    from kiosk.envelope import agency_kid, open_envelope, verify_attachment

    try:
        key = json.loads(key_file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{key_file}: cannot read the agency key ({exc})") from None
    if not isinstance(key, dict) or "d" not in key:
        raise ConfigError(f"{key_file}: not a private JWK")
    kid = key.get("kid") or agency_kid(key)
    store = CentralStore(data_dir / "central.db")
    out.mkdir(parents=True, exist_ok=True)
    decrypted, skipped, failed = 0, 0, []
    for row in store.submissions(with_payload=True):
        sid = row["submission_id"]
        if _claims(row["record"]).get("agency_kid") != kid:
            skipped += 1
            continue
        device = store.device(row["device_id"])
        try:
            if device is None:
                raise SecurityError("sending device is unknown")
            device_jwk = json.loads(device["public_jwk"])
            payload = open_envelope(row["jwe"], key, device_jwk)
            if payload.get("submission_id") != sid:
                raise SecurityError("payload is for another submission")
            files = []
            for index, entry in enumerate(payload.get("attachments", [])):
                blob_path = (data_dir / "attachments" / row["device_id"]
                             / str(entry.get("blob_sha256")))
                blob = blob_path.read_bytes()
                entry, plain = verify_attachment(payload, blob, index=index)
                target = out / sid / Path(str(entry.get("name") or f"attachment-{index}")).name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(plain)
                files.append(str(target.relative_to(out)))
            public = {k: v for k, v in payload.items() if k != "attachments"}
            public["attachments"] = [
                {k: v for k, v in a.items() if k != "key"} for a in payload.get("attachments", [])
            ]
            doc = {"submission_id": sid, "device_id": row["device_id"],
                   "device_signature": "verified", "demo": bool(row["demo"]),
                   "payload": public, "attachment_files": files}
            (out / f"{sid}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2),
                                             "utf-8")
            decrypted += 1
        except (SecurityError, OSError) as exc:
            failed.append({"submission_id": sid, "reason": str(exc)})
    store.close()
    return {"decrypted": decrypted, "skipped": skipped, "failed": failed, "out": str(out)}
