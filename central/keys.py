"""The server's keys, kept in its data folder (mode 0600): this is the agency side.

- ``server-key.jwk``: Ed25519, signs health markers, catalog listings, receipts
  and acknowledgement files; kiosks pin its public half at enrolment.
- ``agency-keys/<agency>.jwk``: one EC P-256 key pair per agency of the served
  catalog (``ECDH-ES+A256KW``). Their public halves replace the catalog's demo
  keys (``demo: false``), so what kiosks seal can be opened with
  ``kiosk-central decrypt --key data/agency-keys/<agency>.jwk``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, OKPKey

from kiosk import ids
from sync.auth import generate_key


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data, indent=2).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def server_key(data_dir: Path) -> OKPKey:
    """The server's signing key, made on first start."""
    path = data_dir / "server-key.jwk"
    if path.exists():
        return OKPKey.import_key(json.loads(path.read_text("utf-8")))
    key = generate_key()
    _write_private(path, dict(key.as_dict(private=True)))
    return key


def server_kid(key: OKPKey) -> str:
    return "central-" + str(key.thumbprint())[:16]


def agency_public_key(data_dir: Path, agency: str) -> dict[str, Any]:
    """The public JWK for ``agency``, making the key pair on first use."""
    safe = "".join(c for c in agency if c.isascii() and (c.isalnum() or c in "-_")) or "agency"
    path = ids.inside(data_dir / "agency-keys", f"{safe}.jwk")
    if path.exists():
        private = json.loads(path.read_text("utf-8"))
    else:
        key = ECKey.generate_key("P-256")
        private = dict(key.as_dict(private=True))
        private.update({"kid": f"{safe}-{str(key.thumbprint())[:12]}", "use": "enc",
                        "alg": "ECDH-ES+A256KW"})
        _write_private(path, private)
    return {k: v for k, v in private.items() if k != "d"}
