"""Pull the signed catalog into the data folder (``home.catalog``), atomically.

The listing is installed only after its signature verified with the pinned
server key and every form file matched its SHA-256; it replaces the previous
catalog in one rename, so a kiosk never runs on half a catalog. The ETag is
kept in ``catalog/.etag`` so an unchanged catalog costs one ``304``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from kiosk.errors import SecurityError
from kiosk.paths import Home
from sync.client import CentralClient

ETAG_FILE = ".etag"


def current_etag(home: Home) -> str | None:
    path = home.catalog / ETAG_FILE
    try:
        return path.read_text("utf-8").strip() or None
    except OSError:
        return None


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def install_listing(home: Home, client: CentralClient, listing: dict[str, Any]) -> int:
    """Download the listed forms by hash and swap the catalog in; number of forms."""
    forms = listing.get("forms")
    catalog = listing.get("catalog")
    if not isinstance(forms, list) or not isinstance(catalog, dict):
        raise SecurityError(key="wire.listing_malformed")
    home.root.mkdir(parents=True, exist_ok=True)
    staging = home.root / f"catalog.new-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "forms").mkdir(parents=True)
    old = home.catalog
    for entry in forms:
        name = Path(str(entry.get("name", ""))).name
        digest = str(entry.get("sha256", ""))
        if not name.endswith(".json") or len(digest) != 64:
            raise SecurityError(key="wire.listing_bad_file", params={"name": name})
        existing = old / "forms" / name
        data: bytes | None = None
        if existing.exists():
            import hashlib

            candidate = existing.read_bytes()
            if hashlib.sha256(candidate).hexdigest() == digest:
                data = candidate
        if data is None:
            data = client.form_file(digest)
        _write(staging / "forms" / name, data)
    _write(staging / "catalog.json",
           json.dumps(catalog, ensure_ascii=False, indent=2).encode("utf-8"))
    _write(staging / ETAG_FILE, str(listing.get("etag", "")).encode("utf-8"))
    backup = home.root / f"catalog.old-{int(time.time())}"
    if old.exists():
        os.replace(old, backup)
    os.replace(staging, old)
    shutil.rmtree(backup, ignore_errors=True)
    try:
        old.chmod(0o700)
    except OSError:
        pass
    return len(forms)


def pull_catalog(home: Home, client: CentralClient) -> dict[str, Any]:
    """{"changed": bool, "forms": n, "etag": ...}."""
    etag = current_etag(home)
    listing = client.catalog(etag)
    if listing is None:
        return {"changed": False, "etag": etag}
    count = install_listing(home, client, listing)
    return {"changed": True, "forms": count, "etag": listing.get("etag")}
