"""build.spec stays consistent with the code (the build itself runs in CI: .ci/run)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "build.spec"


def _list(name: str) -> list[str]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    raise AssertionError(f"{name} not found in build.spec")


def _qt_modules_used() -> set[str]:
    used: set[str] = set()
    for path in (REPO / "ui").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used.update(re.findall(r"PySide6\.(Qt\w+)", text))
        used.update(re.findall(r"_load\(\"(Qt\w+)\"\)", text))
        for block in re.findall(r"from PySide6 import ([^\n]+)", text):
            used.update(re.findall(r"Qt\w+", block))
    return used


def test_excluded_qt_modules_are_not_used_by_the_ui() -> None:
    excluded = {e.split(".", 1)[1] for e in _list("excludes") if e.startswith("PySide6.")}
    used = _qt_modules_used()
    assert used, "the UI should import some Qt modules"
    assert not (excluded & used), f"build.spec excludes Qt modules the UI uses: {excluded & used}"


def test_lazily_loaded_qt_modules_are_hidden_imports() -> None:
    hidden = set(_list("hiddenimports"))
    lazy = set()
    for path in (REPO / "ui").rglob("*.py"):
        lazy.update(re.findall(r"_load\(\"(Qt\w+)\"\)", path.read_text(encoding="utf-8")))
    assert {f"PySide6.{m}" for m in lazy} <= hidden


def test_the_kiosk_build_leaves_out_the_server_and_test_tools() -> None:
    excludes = set(_list("excludes"))
    assert {"central", "starlette", "uvicorn", "pytest", "hypothesis", "schemathesis"} <= excludes
    text = SPEC.read_text(encoding="utf-8")
    assert "upx=True" not in text and text.count("upx=False") >= 2
    for folder in ("catalog", "i18n", "themes", "icons", "fonts"):
        assert (REPO / "assets" / folder).is_dir()
    assert not (REPO / "kiosk" / "assets").exists()  # top level only (issue 24)
    assert '(str(REPO / "assets"), "kiosk/assets")' in text


def test_the_build_starts_at_app_and_lists_none_of_our_modules() -> None:
    """Static imports from app/ let PyInstaller find our modules; a name list would rot."""
    text = SPEC.read_text(encoding="utf-8")
    assert '[str(REPO / "app" / "__main__.py")]' in text
    assert (REPO / "app" / "__main__.py").is_file()
    assert "collect_submodules" not in text
    ours = ("app", "kiosk", "sync", "ui", "central")
    assert [h for h in _list("hiddenimports") if h.split(".")[0] in ours] == []
