"""Changing one key of config.toml in place (staff set the kiosk's location).

Only the key's own line is rewritten (or appended); every other line and comment
of the technician's file stays. The result is read back before it replaces the
file, so a change can never leave a config the kiosk refuses to start with.
"""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.config import Config, load_config, location_problem, write_default_config
from kiosk.errors import ConfigError


def set_location(config_file: Path, value: str) -> Config:
    """Set ``location`` ("lat lon [alt [acc]]", or "" to clear it); the new Config."""
    value = " ".join(value.split())
    problem = location_problem(value) if value else None
    if problem:
        # English keeps the exact problem (the staff screen shows str(error))
        raise ConfigError(key="errors.location", params={"value": repr(value), "problem": problem})
    load_config(config_file)  # a broken file is reported, never overwritten
    write_default_config(config_file)
    text = config_file.read_text(encoding="utf-8")
    line = f'location = "{value}"'
    pattern = re.compile(r"^location\s*=.*$", re.MULTILINE)
    text = pattern.sub(line, text, count=1) if pattern.search(text) else text.rstrip("\n") + f"\n{line}\n"
    tmp = config_file.with_name(config_file.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        config = load_config(tmp)
    except ConfigError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(config_file)
    config.source = config_file
    return config
