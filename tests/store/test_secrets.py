"""Secrets over keyring: unusable backends are named, the fallback only when configured."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends import fail

from kiosk.device import load_or_create_device
from kiosk.errors import ConfigError
from kiosk.secrets import (
    API_CREDENTIALS,
    DATA_KEY,
    DEVICE_KEY,
    ENV_PASSPHRASE,
    backend_status,
    open_secrets,
)


def test_get_set_delete_and_data_key_is_stable():
    s = open_secrets()
    assert s.get(API_CREDENTIALS) is None
    s.set_json(API_CREDENTIALS, {"token": "t"})
    assert s.get_json(API_CREDENTIALS) == {"token": "t"}
    s.delete(API_CREDENTIALS)
    s.delete(API_CREDENTIALS)  # absent: no error
    assert s.get(API_CREDENTIALS) is None
    key = s.data_key()
    assert len(key) == 32 and open_secrets().data_key() == key


def test_unusable_keyring_is_a_plain_config_error(isolated_home):
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(ConfigError, match="no usable keyring"):
        open_secrets()
    ok, message = backend_status()
    assert not ok and "keyring_fallback" in message
    assert not list(isolated_home.glob("secret*")), "no silent file fallback"


class _Broken(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise keyring.errors.KeyringError("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("locked")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringError("locked")


def test_errors_at_use_become_config_errors():
    keyring.set_keyring(_Broken())
    s = open_secrets()
    with pytest.raises(ConfigError, match="failed to read"):
        s.get(DATA_KEY)
    with pytest.raises(ConfigError, match="failed to store"):
        s.set(DATA_KEY, "x")


def _configure_fallback(home):
    (home / "config.toml").write_text('keyring_fallback = "encrypted-file"\n', encoding="utf-8")


def test_encrypted_file_fallback(isolated_home, monkeypatch):
    keyring.set_keyring(fail.Keyring())
    _configure_fallback(isolated_home)
    monkeypatch.delenv(ENV_PASSPHRASE, raising=False)
    with pytest.raises(ConfigError, match="no passphrase"):
        open_secrets()
    monkeypatch.setenv(ENV_PASSPHRASE, "correct horse")
    s = open_secrets()
    device = load_or_create_device(s)
    key = s.data_key()
    path = isolated_home / "secrets.enc"
    raw = path.read_bytes()
    doc = json.loads(raw)
    assert doc["kdf"] == "scrypt" and doc["cipher"] == "A256GCM"
    private_d = json.loads(s.get(DEVICE_KEY))["d"]
    assert private_d.encode() not in raw and b"device-key" not in raw
    assert (path.stat().st_mode & 0o777) == 0o600
    # a new process (new backend instance) reads the same secrets
    again = open_secrets()
    assert again.data_key() == key
    assert load_or_create_device(again).device_id == device.device_id
    monkeypatch.setenv(ENV_PASSPHRASE, "wrong")
    with pytest.raises(ConfigError, match="wrong passphrase"):
        open_secrets()
    path.write_text("garbage", encoding="utf-8")
    with pytest.raises(ConfigError, match="unreadable"):
        open_secrets()
