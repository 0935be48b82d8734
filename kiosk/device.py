"""The kiosk's identity: one Ed25519 key pair, private half only in the keyring.

Everything a kiosk produces (the signed payload, the outbox record, receipt
QR codes) is signed with this key, so the device ID is derived from the public
key itself: "kiosk-" + the first 16 hex digits of its RFC 7638 thumbprint
(a SHA-256). Anyone holding the public JWK can recompute the ID; nobody can
claim an ID without the key.

The key is made on first run (before enrolment the kiosk still works offline
on the demo agency) or at enrolment; ``create_device(replace=True)`` is only
for a technician re-enrolling a kiosk.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import OKPKey

from kiosk.errors import ConfigError, SecurityError
from kiosk.secrets import DEVICE_KEY, DEVICE_KEY_RETIRED, Secrets, open_secrets

log = logging.getLogger("kiosk.device")

SIGNING_ALG = "EdDSA"  # RFC 8037 (Ed25519 key); see docs/security.md


def _thumbprint_hex(key: OKPKey) -> str:
    thumb = key.thumbprint()  # RFC 7638, SHA-256, base64url
    return base64.urlsafe_b64decode(thumb + "=" * (-len(thumb) % 4)).hex()


def device_id_for(public_jwk: dict[str, Any]) -> str:
    """The device ID a public JWK stands for (recomputed, never trusted from input)."""
    return "kiosk-" + _thumbprint_hex(public_key_from_jwk(public_jwk))[:16]


def public_key_from_jwk(jwk: dict[str, Any]) -> OKPKey:
    """An Ed25519 public key from a JWK; anything else is a SecurityError."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise SecurityError(key="core.device_key_kind")
    try:
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    except Exception:  # noqa: BLE001 - any parse failure is a bad key
        raise SecurityError(key="core.device_key_malformed") from None


@dataclass(frozen=True)
class DeviceIdentity:
    """A loaded device key. ``private_key`` never leaves the process."""

    device_id: str
    private_key: OKPKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public JWK to register with the server / give to verifiers."""
        pub = self.private_key.as_dict(private=False)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": pub["x"],
            "kid": self.device_id,
            "use": "sig",
            "alg": SIGNING_ALG,
        }

    @property
    def thumbprint(self) -> str:
        return self.private_key.thumbprint()

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, Any]) -> DeviceIdentity:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" not in jwk:
            raise ConfigError(key="core.device_private_kind")
        try:
            key = OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "d")})
        except Exception:  # noqa: BLE001
            raise ConfigError(key="core.device_key_damaged") from None
        return cls("kiosk-" + _thumbprint_hex(key)[:16], key)


def _secrets(secrets: Secrets | None) -> Secrets:
    return secrets if secrets is not None else open_secrets()


def load_device(secrets: Secrets | None = None) -> DeviceIdentity:
    """The existing device key; ConfigError if this kiosk has none yet."""
    data = _secrets(secrets).get_json(DEVICE_KEY)
    if data is None:
        raise ConfigError(key="errors.no_device_key")
    return DeviceIdentity.from_private_jwk(data)


def new_private_jwk() -> dict[str, Any]:
    """A fresh Ed25519 private JWK (not stored: ``install_device`` keeps it)."""
    private = OKPKey.generate_key("Ed25519").as_dict(private=True)
    return {k: private[k] for k in ("kty", "crv", "x", "d")}


def install_device(secrets: Secrets, private_jwk: dict[str, Any]) -> DeviceIdentity:
    """Keep ``private_jwk`` as the device key; read back so a keyring that drops writes
    fails here. The key it replaces is kept as ``DEVICE_KEY_RETIRED`` (never deleted:
    what it sealed can still be proven)."""
    old = secrets.get(DEVICE_KEY)
    if old is not None:
        secrets.set(DEVICE_KEY_RETIRED, old)
    secrets.set(DEVICE_KEY, json.dumps(private_jwk))
    device = load_device(secrets)
    if device.public_jwk["x"] != private_jwk["x"]:
        raise ConfigError(key="core.keyring_lost_device_key",
                          params={"keyring": secrets.description})
    log.info("device key %s installed", device.device_id)
    return device


def create_device(secrets: Secrets | None = None, *, replace: bool = False) -> DeviceIdentity:
    """Make a new Ed25519 key and keep its private JWK in the keyring."""
    store = _secrets(secrets)
    if not replace and store.get(DEVICE_KEY) is not None:
        raise ConfigError(key="core.device_key_exists")
    return install_device(store, new_private_jwk())


def load_or_create_device(secrets: Secrets | None = None) -> DeviceIdentity:
    """The device key, made on first run."""
    store = _secrets(secrets)
    if store.get(DEVICE_KEY) is None:
        return create_device(store)
    return load_device(store)
