"""Enrolment: register this kiosk's device key with a one-time code and pin the server.

The device key is made (or kept) by kiosk.device; the server's public key,
the device certificate and the server URL go into the keyring (kiosk.secrets:
SERVER_KEY, API_CREDENTIALS). ``enrolment.json`` in the data folder repeats
the non-secret facts (URL, device ID, server key ID) for status screens.
Afterwards the catalog is downloaded, so the kiosk offers the server's forms.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import OKPKey

from kiosk.errors import ConfigError, SecurityError
from kiosk.paths import Home
from sync.auth import ENROLMENT_TYP, import_public, verify_json

ENROLMENT_FILE = "enrolment.json"


@dataclass(frozen=True)
class Enrolment:
    server_url: str
    device_id: str
    server_kid: str
    server_key: OKPKey
    limits: dict[str, int]


def load_enrolment(secrets: Any = None) -> Enrolment | None:
    """The pinned server and credentials, or None if this kiosk was never enrolled."""
    from kiosk.secrets import API_CREDENTIALS, SERVER_KEY, open_secrets

    store = secrets if secrets is not None else open_secrets()
    creds = store.get_json(API_CREDENTIALS)
    jwk = store.get_json(SERVER_KEY)
    if creds is None or jwk is None:
        return None
    try:
        return Enrolment(server_url=str(creds["server_url"]), device_id=str(creds["device_id"]),
                         server_kid=str(creds.get("server_kid", "")),
                         server_key=import_public(jwk), limits=dict(creds.get("limits") or {}))
    except (KeyError, SecurityError):
        raise ConfigError(key="errors.enrolment_damaged") from None


def require_enrolment(secrets: Any = None) -> Enrolment:
    enrolment = load_enrolment(secrets)
    if enrolment is None:
        raise ConfigError(key="errors.not_enrolled")
    return enrolment


def enroll(home: Home, server_url: str, code: str, *, name: str | None = None,
           client_kwargs: dict[str, Any] | None = None, new_key: bool = False
           ) -> dict[str, Any]:
    """Register the device key with ``code``. ``new_key``: a new device identity (for a
    kiosk whose key was revoked); it replaces the old one only once the server has
    registered it (a failed enrolment keeps the old key)."""
    from kiosk.device import DeviceIdentity, install_device, load_or_create_device, new_private_jwk
    from kiosk.secrets import API_CREDENTIALS, SERVER_KEY, open_secrets
    from sync.catalog_pull import pull_catalog
    from sync.client import CentralClient

    home.ensure()
    secrets = open_secrets(home.root)
    old = load_or_create_device(secrets)
    fresh = new_private_jwk() if new_key else None
    device = DeviceIdentity.from_private_jwk(fresh) if fresh else old
    url = server_url.rstrip("/")
    with CentralClient(url, device=device, **(client_kwargs or {})) as client:
        client.health()
        reply = client.enroll(code, device.public_jwk, name or platform.node() or device.device_id)
        if reply.get("device_id") != device.device_id:
            raise SecurityError(key="wire.enrol_other_device", params={
                "device": device.device_id, "got": str(reply.get("device_id"))})
        server_key = import_public(reply.get("server_public_jwk") or {})
        cert = verify_json(str(reply.get("credentials", {}).get("certificate")), server_key,
                           typ=ENROLMENT_TYP)
        if cert.get("device_id") != device.device_id:
            raise SecurityError(key="wire.enrol_cert_other_device", params={
                "device": device.device_id, "got": str(cert.get("device_id"))})
        if fresh is not None:
            install_device(secrets, fresh)
        limits = {k: int(v) for k, v in (reply.get("limits") or {}).items()}
        pub = {k: v for k, v in reply["server_public_jwk"].items() if k in ("kty", "crv", "x", "kid")}
        secrets.set_json(SERVER_KEY, pub)
        secrets.set_json(API_CREDENTIALS, {
            "server_url": url, "device_id": device.device_id,
            "server_kid": reply.get("server_kid"),
            "certificate": reply["credentials"]["certificate"], "limits": limits})
        info = {"server_url": url, "device_id": device.device_id,
                "server_kid": reply.get("server_kid"), "enrolled_at": int(time.time())}
        tmp = home.root / (ENROLMENT_FILE + ".tmp")
        tmp.write_text(json.dumps(info, indent=1), "utf-8")
        os.replace(tmp, home.root / ENROLMENT_FILE)
        client.server_key = server_key
        catalog = pull_catalog(home, client)
    replaced = {"replaced_device_id": old.device_id} if new_key else {}
    return {**info, **replaced, "catalog": catalog}
