"""Every forms/validators message used in code exists, in Mongolian and English."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kiosk.paths import ASSETS_DIR

REPO = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((REPO / "kiosk" / "forms").glob("*.py")), REPO / "kiosk" / "validators.py",
           REPO / "app" / "commands" / "forms.py"]


def test_keys_used_in_code_exist_in_both_languages() -> None:
    entries = {}
    for section in ("forms", "validators"):
        data = json.loads((ASSETS_DIR / "i18n" / f"{section}.json").read_text("utf-8"))
        for key, texts in data.items():
            assert texts.get("mn") and texts.get("en"), f"{section}.{key}"
            assert re.search("[а-яөүА-ЯӨҮ]", texts["mn"]), f"{section}.{key} is not Mongolian"
            entries[f"{section}.{key}"] = texts
    used = set()
    for file in SOURCES:
        used |= {m.group(0).strip("\"'") for m in
                 re.finditer(r"[\"'](?:forms|validators)\.[a-z_]+[\"']", file.read_text("utf-8"))}
    assert used, "the scan found nothing: the pattern is wrong"
    assert sorted(used - set(entries)) == []
