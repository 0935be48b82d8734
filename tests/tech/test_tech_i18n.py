"""Every technician-facing text of doctor, self-test, logs and demo is in the catalog, in both languages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from kiosk.i18n import catalog

REPO = Path(__file__).resolve().parents[2]
SOURCES = [
    "app/doctor.py", "app/selftest.py", "kiosk/logs.py", "app/commands/doctor.py",
    "app/commands/logs.py", "app/demo.py",
]


def _keys_used() -> set[str]:
    keys: set[str] = set()
    for rel in SOURCES:
        text = (REPO / rel).read_text(encoding="utf-8")
        keys.update(re.findall(r"""\bt\(\s*["']((?:doctor|demo)\.[a-z_]+)["']""", text))
        for node in ast.walk(ast.parse(text)):
            # _mk(ctx, name, status, "message_key", "fix_key", ...) in app/doctor.py
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_mk":
                for arg in node.args[1:5]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if arg is node.args[1]:
                            keys.add(f"doctor.title_{arg.value}")
                        else:  # _mk: a key with a dot names its own section (trust.x, odk.x)
                            keys.add(arg.value if "." in arg.value else f"doctor.{arg.value}")
    return keys


def test_every_key_used_exists_in_both_languages() -> None:
    from app.doctor import CHECKS, FAIL, PASS, WARN

    keys = _keys_used()
    keys |= {f"doctor.title_{name}" for name, _ in CHECKS}
    keys |= {f"doctor.status_{s}" for s in (PASS, WARN, FAIL)}
    assert len(keys) > 60
    texts = catalog()
    missing = sorted(k for k in keys if k not in texts)
    assert not missing, missing
    for key in keys:
        assert texts[key].get("mn") and texts[key].get("en"), key


def test_mongolian_texts_are_cyrillic() -> None:
    texts = catalog()
    for key, value in texts.items():
        if key.startswith(("doctor.", "demo.")) and not key.startswith("doctor.status_pass"):
            mn = re.sub(r"\{[a-z_]+\}|[A-Za-z_./'\"=-]+", "", value["mn"])
            if mn.strip(" ():;,[]0-9"):
                assert re.search("[А-Яа-яӨөҮү]", mn), (key, value["mn"])
