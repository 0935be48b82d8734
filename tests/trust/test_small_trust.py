"""The smaller holes of issue 10: passphrase length, doctor's advice, orphans, clock blame."""

from __future__ import annotations

import pytest

from kiosk.config import Config
from kiosk.errors import ConfigError
from kiosk.paths import Home


def test_new_encrypted_secrets_file_needs_12_characters(tmp_path):
    from kiosk.secrets import open_secrets

    path = tmp_path / "secrets.enc"
    for short in ("1", "elevenchars"):
        with pytest.raises(ConfigError, match="at least 12 characters"):
            open_secrets(tmp_path, fallback="encrypted-file", fallback_file=str(path),
                         passphrase=short)
        assert not path.exists()
    s = open_secrets(tmp_path, fallback="encrypted-file", fallback_file=str(path),
                     passphrase="twelve chars")
    s.data_key()
    assert path.exists()


def test_doctor_with_fallback_but_no_passphrase_says_so(isolated_home, monkeypatch):
    import keyring
    from keyring.backends import fail

    from kiosk import doctor

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    monkeypatch.delenv("KIOSK_SECRETS_PASSPHRASE", raising=False)
    config = Config(keyring_fallback="encrypted-file")
    checks = {c.name: c for c in doctor.run_checks(Home(isolated_home), config,
                                                   server_timeout=1, lang="en")}
    for name in ("keyring", "device"):
        assert "KIOSK_SECRETS_PASSPHRASE" in checks[name].fix, checks[name]
        assert "Install a keyring" not in checks[name].fix
