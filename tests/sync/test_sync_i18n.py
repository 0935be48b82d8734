"""Every sync message exists in Mongolian and English, and every state has a text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kiosk.paths import ASSETS_DIR
from sync import client

REPO = Path(__file__).resolve().parents[2]


def test_sync_strings_are_bilingual_and_cover_every_state():
    data = json.loads((ASSETS_DIR / "i18n" / "sync.json").read_text("utf-8"))
    for key, texts in data.items():
        assert texts.get("mn") and texts.get("en"), key
        assert re.search("[а-яөүА-ЯӨҮ]", texts["mn"]), f"sync.{key} is not Mongolian"
    used = set()
    # The sync commands (kiosk enroll/sync/export/import-acks) live on the top floor.
    for file in [*(REPO / "sync").glob("*.py"), *(REPO / "app" / "commands").glob("*.py")]:
        used |= {m.group(1) for m in re.finditer(r"t\(\s*[\"']sync\.([a-z_]+)[\"']",
                                                 file.read_text("utf-8"))}
    assert used, "the scan found nothing: the pattern is wrong"
    assert sorted(used - set(data)) == []
    kinds = {cls.kind for cls in vars(client).values()
             if isinstance(cls, type) and hasattr(cls, "kind")}
    states = kinds | {"ok", "never", "starting", "auth", "security", "error"}
    assert sorted(s for s in states if f"state_{s}" not in data) == []
