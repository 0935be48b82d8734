"""The server's keys: this is the agency side. Kept in a ``Vault``.

- ``server-key.jwk``: Ed25519, signs health markers, catalog listings, receipts
  and acknowledgement files; kiosks pin its public half at enrolment.
- ``agency-keys/<agency>.jwk``: one EC P-256 key pair per agency of the served
  catalog (``ECDH-ES+A256KW``). Their public halves replace the catalog's demo
  keys (``demo: false``), so what kiosks seal can be opened with
  ``kiosk-central decrypt --key data/agency-keys/<agency>.jwk``.

A vault is the data folder (files, mode 0600: one node) or the database
(``DbVault``: every node of a PostgreSQL deployment must sign with the same
server key and publish the same agency keys, and the first node to start makes
them — an insert that keeps whichever value landed first).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from joserfc.jwk import ECKey, OKPKey

from kiosk import ids
from sync.auth import generate_key

SERVER_KEY = "server-key.jwk"


class Vault(Protocol):
    def get(self, name: str) -> dict[str, Any] | None: ...

    def put_once(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        """Store ``value`` unless ``name`` exists; the value now stored."""
        ...

    def names(self, folder: str) -> list[str]: ...


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


class FileVault:
    """Key files in the data folder (names like ``agency-keys/x.jwk``)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def _path(self, name: str) -> Path:
        return ids.inside(self.data_dir, *name.split("/"))

    def get(self, name: str) -> dict[str, Any] | None:
        path = self._path(name)
        return dict(json.loads(path.read_text("utf-8"))) if path.exists() else None

    def put_once(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        _write_private(self._path(name), value)
        return value

    def names(self, folder: str) -> list[str]:
        return sorted(f"{folder}/{p.name}" for p in (self.data_dir / folder).glob("*.jwk"))


class DbVault:
    """Keys in the database (``PgStore.secret`` / ``put_secret_once``)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def get(self, name: str) -> dict[str, Any] | None:
        text = self.store.secret(name)
        return None if text is None else dict(json.loads(text))

    def put_once(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        return dict(json.loads(self.store.put_secret_once(name, json.dumps(value))))

    def names(self, folder: str) -> list[str]:
        return list(self.store.secret_names(folder + "/"))


def _vault(where: Path | Vault) -> Vault:
    return FileVault(where) if isinstance(where, Path) else where


def server_key(where: Path | Vault) -> OKPKey:
    """The server's signing key, made on first start."""
    vault = _vault(where)
    stored = vault.get(SERVER_KEY)
    if stored is None:
        stored = vault.put_once(SERVER_KEY, dict(generate_key().as_dict(private=True)))
    return OKPKey.import_key(stored)


def server_kid(key: OKPKey) -> str:
    return "central-" + str(key.thumbprint())[:16]


def agency_key_name(agency: str) -> str:
    safe = "".join(c for c in agency if c.isascii() and (c.isalnum() or c in "-_")) or "agency"
    return f"agency-keys/{safe}.jwk"


def agency_public_key(where: Path | Vault, agency: str) -> dict[str, Any]:
    """The public JWK for ``agency``, making the key pair on first use."""
    vault, name = _vault(where), agency_key_name(agency)
    private = vault.get(name)
    if private is None:
        key = ECKey.generate_key("P-256")
        private = dict(key.as_dict(private=True))
        safe = name.split("/")[1].removesuffix(".jwk")
        private.update({"kid": f"{safe}-{str(key.thumbprint())[:12]}", "use": "enc",
                        "alg": "ECDH-ES+A256KW"})
        private = vault.put_once(name, private)
    return {k: v for k, v in private.items() if k != "d"}


def export_agency_keys(vault: Vault, out: Path) -> list[Path]:
    """Write every agency's private key to ``out/<agency>.jwk`` (0600), for
    ``kiosk-central decrypt --key`` on the agency's own machine."""
    written = []
    for name in vault.names("agency-keys"):
        value = vault.get(name)
        if value is not None:
            target = ids.inside(out, name.split("/", 1)[1])
            _write_private(target, value)
            written.append(target)
    return written
