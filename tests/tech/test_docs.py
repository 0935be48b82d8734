"""docs/config.md documents every config key; docs/deploy.md covers what a technician needs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from kiosk.config import DEFAULT_CONFIG_TEXT, Config

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_config_key_is_documented_with_its_default() -> None:
    text = (DOCS / "config.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in text.splitlines()
            if line.startswith("| `")}
    for f in fields(Config):
        if f.name == "source":
            continue
        assert f.name in rows, f"docs/config.md does not document {f.name}"
        default = getattr(Config(), f.name)
        shown = f'`"{default}"`' if isinstance(default, str) else f"`{default}`"
        assert shown in rows[f.name], (f.name, shown)
        assert f"{f.name} =" in DEFAULT_CONFIG_TEXT  # and the written defaults name it too


def test_deploy_guide_covers_the_technician_tasks() -> None:
    text = (DOCS / "deploy.md").read_text(encoding="utf-8")
    for needle in (
        "## Linux", "## Windows", "## Keyring", "encrypted-file", "## Enrolment",
        "kiosk enroll --server", "## USB export and import", "kiosk export --out",
        "kiosk-central import", "kiosk import-acks", "## Upgrading", "backups/",
        "## Doctor", "## Logs", "kiosk logs --export", "kiosk --self-test", "Printer",
        "systemctl daemon-reload && systemctl enable",  # autostart on Linux
        "At log on",  # and on Windows
    ):
        assert needle in text, needle
