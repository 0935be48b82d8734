"""The catalog the server hands to kiosks, signed with the server key.

Served from a folder laid out like ``assets/catalog`` (``catalog.json`` +
``forms/*.json``). The listing names every form file by its SHA-256 so a kiosk
downloads each by content hash and checks it; the whole listing is signed, so
a kiosk only installs what its pinned server vouched for. The ETag is the hash
of the listing, so an unchanged catalog costs one ``304``.

For real use the agencies' demo keys are replaced by the server's own agency
keys (``central.keys``), each agency marked ``demo: false``. ``demo`` mode
(``--accept-demo``, only for ``kiosk demo``) serves the folder's keys as they are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from central.keys import Vault, agency_public_key
from kiosk.errors import ConfigError
from sync.auth import CATALOG_TYP, canonical, sha256_hex, sign_json


@dataclass
class ServedCatalog:
    etag: str
    body: dict[str, Any]  # {"etag", "listing", "signature"}
    forms: dict[str, bytes]  # sha256 -> file bytes


def build_catalog(folder: Path, data_dir: Path | Vault, key: OKPKey, kid: str, *,
                  demo: bool) -> ServedCatalog:
    catalog_file = folder / "catalog.json"
    try:
        catalog = json.loads(catalog_file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{catalog_file}: cannot read the catalog ({exc})") from None
    if not isinstance(catalog, dict):
        raise ConfigError(f"{catalog_file}: the catalog is not a JSON object")
    if not demo:
        agencies = catalog.get("agencies") or {}
        for agency_id, agency in agencies.items():
            agency["keys"] = [agency_public_key(data_dir, agency_id)]
            agency["demo"] = False
    forms: dict[str, bytes] = {}
    entries = []
    for path in sorted((folder / "forms").glob("*.json")):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        forms[digest] = data
        entries.append({"name": path.name, "sha256": digest, "size": len(data)})
    listing = {"format": 1, "server_kid": kid, "demo": demo, "catalog": catalog,
               "forms": entries}
    etag = '"' + sha256_hex(canonical(listing))[:32] + '"'
    listing["etag"] = etag
    signature = sign_json(listing, key, typ=CATALOG_TYP, kid=kid)
    return ServedCatalog(etag=etag, body={"etag": etag, "listing": listing,
                                          "signature": signature}, forms=forms)
