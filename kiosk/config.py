"""The kiosk's TOML config file (``config.toml`` in the data folder).

Documented in docs/config.md. A missing file means defaults; a broken file is
a ConfigError naming the file, the key and what is wrong — the kiosk never
guesses. The defaults are written out (with comments) on first run so a
technician has something to edit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError

DEFAULT_CONFIG_TEXT = """\
# Soum Kiosk configuration. Every key is optional; see docs/config.md.

# Language the kiosk starts in: "mn" (Mongolian) or "en" (English).
language = "mn"

# Seconds without a touch before the "are you still there?" warning,
# and seconds after the warning before everything on screen is wiped.
idle_warning_seconds = 90
idle_wipe_seconds = 30

# Days an acknowledged submission's envelope and attachments are kept before
# they are purged (a tombstone with ID, hash and receipts is kept for ever).
retention_days = 30

# Largest attachment (photo/scan) accepted at capture, in kilobytes,
# unless the form asks for less.
max_attachment_kb = 4096

# A folder where staff put residents' scanned documents. The kiosk's file picker
# offers it beside USB sticks (never any other folder). Empty: USB sticks only.
scans_folder = ""

# Central server. Empty until the kiosk is enrolled (`kiosk enroll`).
server_url = ""

# Seconds between background sync attempts while the link is up.
sync_interval_seconds = 30

# A request during which no byte moves for this many seconds is abandoned (its
# outcome is unknown; the same data is sent again later). 1 to 30.
sync_stall_seconds = 20

# Catalog folder to use instead of the bundled sample (empty: bundled or downloaded).
catalog_dir = ""

# Secrets normally live in the OS keyring. On a locked-down kiosk with no
# keyring, a technician may configure an encrypted file instead; the
# passphrase is then asked for at start (see docs/deploy.md). Never plaintext.
keyring_fallback = ""          # "" or "encrypted-file"
keyring_fallback_file = ""     # path, default: <data folder>/secrets.jwe

# Where this kiosk stands, for forms that ask for a location (ODK geopoint):
# "latitude longitude" in decimal degrees, optionally altitude (m) and accuracy (m),
# e.g. "47.9185 106.9176 1350 10". Empty: such questions cannot be answered.
location = ""

# Log level for the rotating log files in <data folder>/logs.
log_level = "INFO"
"""


@dataclass
class Config:
    language: str = "mn"
    idle_warning_seconds: int = 90
    idle_wipe_seconds: int = 30
    retention_days: int = 30
    max_attachment_kb: int = 4096
    scans_folder: str = ""
    server_url: str = ""
    sync_interval_seconds: int = 30
    sync_stall_seconds: int = 20
    catalog_dir: str = ""
    keyring_fallback: str = ""
    keyring_fallback_file: str = ""
    log_level: str = "INFO"
    location: str = ""
    source: Path | None = field(default=None, compare=False)

    def validate(self) -> None:
        where = self.source or "config"
        if self.language not in ("mn", "en"):
            raise _bad(where, "language", self.language, "mn, en")
        for name in (
            "idle_warning_seconds",
            "idle_wipe_seconds",
            "retention_days",
            "max_attachment_kb",
            "sync_interval_seconds",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(key="errors.config_negative", params={"path": where, "key": name})
        if not 1 <= self.sync_stall_seconds <= 30:
            raise _bad(where, "sync_stall_seconds", self.sync_stall_seconds, "1-30")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise _bad(where, "log_level", self.log_level, "DEBUG, INFO, WARNING, ERROR, CRITICAL")
        if self.location and location_problem(self.location):
            raise ConfigError(key="errors.config_location",
                              params={"path": where, "value": repr(self.location)})
        if self.keyring_fallback not in ("", "encrypted-file"):
            raise _bad(where, "keyring_fallback", self.keyring_fallback, '"", "encrypted-file"')


def _bad(where: object, key: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(key="errors.config_choice",
                       params={"path": where, "key": key, "value": repr(value), "allowed": allowed})


def _toml_position(message: str, text: str) -> tuple[str, str]:
    """Line and column from tomllib's message ("... (at line 3, column 7)"); its other
    place is "at end of document": the last line."""
    found = re.search(r"line (\d+), column (\d+)", message)
    if found:
        return found.group(1), found.group(2)
    lines = text.split("\n")
    return str(len(lines)), str(len(lines[-1]) + 1)


class LocationProblem(StrEnum):
    """Why a location is refused (the UI words each in the screen's language)."""

    NOT_NUMBERS = "not_numbers"
    PARTS = "parts"
    RANGE = "range"


def location_problem_kind(text: str) -> LocationProblem | None:
    """What is wrong with ``text`` as "lat lon [altitude [accuracy]]", or None."""
    parts = text.split()
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return LocationProblem.NOT_NUMBERS
    if not 2 <= len(numbers) <= 4:
        return LocationProblem.PARTS
    if not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
        return LocationProblem.RANGE
    return None


def location_problem(text: str) -> str | None:
    """Why ``text`` is not "lat lon [altitude [accuracy]]" in decimal degrees, or None."""
    kind = location_problem_kind(text)
    if kind is LocationProblem.NOT_NUMBERS:
        return f"must be numbers: \"latitude longitude [altitude [accuracy]]\", not {text!r}"
    if kind is LocationProblem.PARTS:
        return f"must be \"latitude longitude [altitude [accuracy]]\", not {text!r}"
    if kind is LocationProblem.RANGE:
        return f"latitude must be -90 to 90 and longitude -180 to 180, not {text!r}"
    return None


def _coerce(path: Path, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is int and isinstance(value, bool):
        raise ConfigError(key="errors.config_whole_number",
                          params={"path": path, "key": key, "value": repr(value)})
    if not isinstance(value, expected):
        text = "errors.config_whole_number" if expected is int else "errors.config_text"
        raise ConfigError(key=text, params={"path": path, "key": key, "value": repr(value)})
    return value


def load_config(path: Path) -> Config:
    """Read ``path``; a missing file gives the defaults."""
    cfg = Config(source=path)
    if not path.exists():
        return cfg
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_position(str(exc), text)
        raise ConfigError(key="errors.config_toml",
                          params={"path": path, "line": line, "column": column}) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(key="errors.config_unreadable",
                          params={"path": path, "reason": type(exc).__name__}) from None
    known = {f.name: f for f in fields(Config) if f.name != "source"}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(key="errors.config_unknown_key",
                              params={"path": path, "key": repr(key)})
        setattr(cfg, key, _coerce(path, key, value, getattr(Config(), key)))
    cfg.validate()
    return cfg


def write_default_config(path: Path) -> None:
    """Write the commented defaults, never overwriting a technician's file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
