"""Secrets (device key, local data key, API credentials, pinned server key).

They live in the OS keyring (``keyring``, service ``soum-kiosk``) and nowhere
else: never in SQLite, config or plain files. A locked-down kiosk may have no
usable keyring; then we say so plainly (ConfigError) instead of guessing. The
only fallback is one a technician configured on purpose
(``keyring_fallback = "encrypted-file"``): an AES-256-GCM file whose key is
derived with scrypt from a passphrase given in ``KIOSK_SECRETS_PASSPHRASE`` or
typed at a prompt. There is no silent plaintext fallback. See docs/security.md.

Usage::

    secrets = open_secrets()              # home/config from KIOSK_HOME
    key = secrets.data_key()              # made on first use
    secrets.set(API_CREDENTIALS, token)
"""

from __future__ import annotations

import base64
import getpass
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from kiosk.errors import ConfigError

log = logging.getLogger("kiosk.secrets")

SERVICE = "soum-kiosk"

# Entry names (the keyring "username"). Stable: changing one loses the secret.
DEVICE_KEY = "device-key"  # private Ed25519 JWK (JSON)
DATA_KEY = "data-key"  # 32 random bytes, base64url: encrypts drafts/attachments at rest
API_CREDENTIALS = "api-credentials"  # JSON from enrolment (sync owns the content)
SERVER_KEY = "server-key"  # the central server's pinned public JWK (JSON)
ODK_CONNECTION = "odk-connection"  # JSON from `kiosk odk connect` (sync.odk owns the content)
DEVICE_KEY_RETIRED = "device-key-retired"  # the key `enroll --new-key` replaced (kept, unused)
ODK_KEPT_CONNECTION = "odk-connection-kept"  # the earlier one, kept by `connect --keep-old`

ENV_PASSPHRASE = "KIOSK_SECRETS_PASSPHRASE"
FALLBACK_FILE_NAME = "secrets.enc"

# scrypt cost: ~0.1 s on a small kiosk CPU, once per process (the key is cached).
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1



class DataKeyMissing(ConfigError):
    """The keyring holds no data key (and none was to be made)."""

class SecretBackend(Protocol):
    """Where secrets are kept: the keyring or the configured encrypted file."""

    description: str

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyringBackend:
    """The OS keyring through ``keyring``; errors at use become ConfigError."""

    def __init__(self) -> None:
        import keyring

        backend = keyring.get_keyring()
        reason = unusable_reason(backend)
        if reason:
            name = f"{type(backend).__module__}.{type(backend).__name__}"
            raise ConfigError(key="errors.no_keyring", params={"backend": name})
        self._backend = backend
        self.description = f"keyring: {type(backend).__module__}.{type(backend).__name__}"

    def _fail(self, key: str, exc: Exception) -> ConfigError:
        return ConfigError(key=key, params={
            "keyring": self.description, "reason": type(exc).__name__})

    def get(self, name: str) -> str | None:
        try:
            return self._backend.get_password(SERVICE, name)
        except Exception as exc:  # noqa: BLE001 - every backend error means "unusable"
            raise self._fail("core.keyring_failed_read", exc) from None

    def set(self, name: str, value: str) -> None:
        try:
            self._backend.set_password(SERVICE, name, value)
        except Exception as exc:  # noqa: BLE001
            raise self._fail("core.keyring_failed_store", exc) from None

    def delete(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._backend.delete_password(SERVICE, name)
        except PasswordDeleteError:
            return  # already absent
        except Exception as exc:  # noqa: BLE001
            raise self._fail("core.keyring_failed_delete", exc) from None


def unusable_reason(backend: object) -> str | None:
    """Why a keyring backend cannot hold secrets, or None when it can."""
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return "keyring found no backend (keyring.backends.fail)"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "keyring found no backend (empty chain)"
    if (
        type(backend).__module__.startswith("keyrings.alt")
        and "plaintext" in type(backend).__name__.lower()
    ):
        return "the only backend stores secrets in plaintext"
    return None


# A new encrypted secrets file needs at least this long a passphrase: the file may be
# copied off the kiosk and attacked offline (scrypt slows each guess, it cannot save "1").
MIN_PASSPHRASE_CHARS = 12


class EncryptedFileBackend:
    """The technician-configured fallback: one AES-256-GCM file, scrypt-derived key.

    The whole file is rewritten atomically (temp file + fsync + rename) so a
    power cut leaves either the old or the new secrets, never half of them.
    """

    def __init__(self, path: Path, passphrase: str) -> None:
        if not passphrase:
            raise ConfigError(key="core.secrets_empty_passphrase", params={"path": path})
        self.path = path
        self.description = f"encrypted file: {path}"
        self._passphrase = passphrase.encode("utf-8")
        self._lock = threading.Lock()
        self._salt: bytes | None = None
        self._key: bytes | None = None
        self._data: dict[str, str] = self._read()

    def _derive(self, salt: bytes) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(
            self._passphrase
        )

    def _read(self) -> dict[str, str]:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not self.path.exists():
            if len(self._passphrase.decode("utf-8")) < MIN_PASSPHRASE_CHARS:
                raise ConfigError(key="core.secrets_short_passphrase",
                                  params={"path": self.path, "min": MIN_PASSPHRASE_CHARS})
            self._salt = os.urandom(16)
            self._key = self._derive(self._salt)
            return {}
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("format") != 1 or doc.get("kdf") != "scrypt":
                raise ValueError("unknown format")
            salt, nonce, ct = _b64d(doc["salt"]), _b64d(doc["nonce"]), _b64d(doc["ciphertext"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(key="core.secrets_unreadable",
                              params={"path": self.path, "reason": type(exc).__name__}) from None
        key = self._derive(salt)
        try:
            plain = AESGCM(key).decrypt(nonce, ct, b"soum-kiosk-secrets-v1")
        except InvalidTag:
            raise ConfigError(key="core.secrets_wrong_passphrase",
                              params={"path": self.path}) from None
        self._salt, self._key = salt, key
        data = json.loads(plain)
        return {str(k): str(v) for k, v in data.items()}

    def _write(self) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self._key is not None and self._salt is not None
        nonce = os.urandom(12)
        ct = AESGCM(self._key).encrypt(
            nonce, json.dumps(self._data).encode("utf-8"), b"soum-kiosk-secrets-v1"
        )
        doc = {
            "format": 1,
            "kdf": "scrypt",
            "n": _SCRYPT_N,
            "r": _SCRYPT_R,
            "p": _SCRYPT_P,
            "cipher": "A256GCM",
            "salt": _b64e(self._salt),
            "nonce": _b64e(nonce),
            "ciphertext": _b64e(ct),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(doc).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._data.get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            self._data[name] = value
            self._write()

    def delete(self, name: str) -> None:
        with self._lock:
            if self._data.pop(name, None) is not None:
                self._write()


class Secrets:
    """Named secrets over one backend, plus the few typed helpers the core needs."""

    def __init__(self, backend: SecretBackend) -> None:
        self.backend = backend

    @property
    def description(self) -> str:
        return self.backend.description

    def get(self, name: str) -> str | None:
        return self.backend.get(name)

    def set(self, name: str, value: str) -> None:
        if not value:
            raise ValueError(f"refusing to store an empty secret for {name!r}")
        self.backend.set(name, value)

    def delete(self, name: str) -> None:
        self.backend.delete(name)

    def data_key(self, *, create: bool = True) -> bytes:
        """The local AES-256 key for drafts and attachments at rest (made once)."""
        value = self.get(DATA_KEY)
        if value is None:
            if not create:
                raise DataKeyMissing(key="core.data_key_missing", params={"keyring": self.description})
            key = os.urandom(32)
            self.set(DATA_KEY, _b64e(key))
            log.info("created the local data key")
            # Read back: a keyring that silently drops writes must fail here, not later.
            value = self.get(DATA_KEY)
            if value is None:
                raise ConfigError(key="core.keyring_lost_secret", params={"keyring": self.description})
        key = _b64d(value)
        if len(key) != 32:
            raise ConfigError(key="core.data_key_damaged", params={"size": len(key)})
        return key

    def get_json(self, name: str) -> dict | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            data = json.loads(value)
        except ValueError:
            raise ConfigError(key="core.secret_not_json", params={"name": name}) from None
        if not isinstance(data, dict):
            raise ConfigError(key="core.secret_not_object", params={"name": name})
        return data

    def set_json(self, name: str, value: dict) -> None:
        self.set(name, json.dumps(value, sort_keys=True, separators=(",", ":")))


def _passphrase(path: Path, interactive: bool) -> str:
    value = os.environ.get(ENV_PASSPHRASE)
    if value:
        return value
    if interactive and sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Passphrase for the kiosk secrets file {path}: ")
    raise ConfigError(key="core.secrets_no_passphrase",
                      params={"variable": ENV_PASSPHRASE, "path": path})


def open_secrets(
    home_root: Path | None = None,
    *,
    fallback: str | None = None,
    fallback_file: str | None = None,
    passphrase: str | None = None,
    interactive: bool = True,
) -> Secrets:
    """The secrets store configured for this kiosk.

    ``fallback``/``fallback_file`` default to the data folder's config.toml; a
    configured encrypted file is used always (not only when the keyring fails),
    so secrets never end up split between two places. ``interactive=False`` never
    prompts for the passphrase (doctor, background work).
    """
    if fallback is None:
        from kiosk.config import load_config
        from kiosk.paths import home

        root = home_root or home().root
        cfg = load_config(root / "config.toml")
        fallback, fallback_file = cfg.keyring_fallback, cfg.keyring_fallback_file
        home_root = root
    if fallback == "encrypted-file":
        if fallback_file:
            path = Path(fallback_file).expanduser()
        else:
            from kiosk.paths import home

            path = (home_root or home().root) / FALLBACK_FILE_NAME
        return Secrets(EncryptedFileBackend(path, passphrase or _passphrase(path, interactive)))
    if fallback:
        raise ConfigError(key="core.fallback_choice", params={"value": repr(fallback)})
    return Secrets(KeyringBackend())


def backend_status(home_root: Path | None = None) -> tuple[bool, str]:
    """(usable, one-line description) for doctor and the staff screen; never raises."""
    try:
        secrets = open_secrets(home_root, interactive=False)
    except ConfigError as exc:
        return False, str(exc)
    return True, secrets.description


@contextmanager
def scratch_secrets(home_root: Path) -> Iterator[None]:
    """Secrets of a throwaway data folder (screenshots, bench) in an encrypted file there.

    The folder's config gets ``keyring_fallback = "encrypted-file"`` and the process a
    random passphrase for the duration, so scratch work never writes to the OS keyring
    (where the kiosk's real keys live) and works on machines that have none.
    """
    home_root.mkdir(parents=True, exist_ok=True)
    config = home_root / "config.toml"
    text = config.read_text("utf-8") if config.exists() else ""
    config.write_text(text + '\nkeyring_fallback = "encrypted-file"\n', "utf-8")
    previous = os.environ.get(ENV_PASSPHRASE)
    os.environ[ENV_PASSPHRASE] = os.urandom(16).hex()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ENV_PASSPHRASE, None)
        else:
            os.environ[ENV_PASSPHRASE] = previous
