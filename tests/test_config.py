from __future__ import annotations

import pytest

from kiosk.config import DEFAULT_CONFIG_TEXT, Config, load_config, write_default_config
from kiosk.errors import ConfigError
from kiosk.paths import resolve_home


def test_defaults_when_missing(tmp_path):
    cfg = load_config(tmp_path / "config.toml")
    assert cfg.language == "mn" and cfg.retention_days == 30


def test_written_defaults_parse_to_defaults(tmp_path):
    path = tmp_path / "config.toml"
    write_default_config(path)
    assert path.read_text(encoding="utf-8") == DEFAULT_CONFIG_TEXT
    assert load_config(path) == Config()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('language = "fr"', "language"),
        ("retention_days = 'x'", "retention_days"),
        ("nonsense = 1", "unknown key 'nonsense'"),
        ("language = ", "not valid TOML"),
        ("retention_days = true", "retention_days"),
        ('log_level = "LOUD"', "log_level"),
    ],
)
def test_bad_config_names_the_key(tmp_path, text, fragment):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_home_override_order(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "cli") == (tmp_path / "cli").resolve()
    assert resolve_home(None) == (tmp_path / "env").resolve()
    monkeypatch.delenv("KIOSK_HOME")
    assert "soum-kiosk" in str(resolve_home(None))
