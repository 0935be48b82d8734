"""Qt's known-harmless console noise is filtered; real warnings and every critical stay."""

from __future__ import annotations

from pathlib import Path


def test_screenshots_console_is_free_of_qt_noise(kiosk_cli, tmp_path: Path) -> None:
    result = kiosk_cli("screenshots", "--quick", "--lang", "en", "--out", str(tmp_path / "shots"))
    assert result.returncode == 0, result.stderr
    assert "propagateSizeHints" not in result.stderr


def test_qt_noise_filter_keeps_real_messages() -> None:
    from ui import qtlog
    from ui.qt import QtCore

    kinds = QtCore.QtMsgType
    harmless = "This plugin does not support propagateSizeHints()"
    assert qtlog.is_harmless(kinds.QtWarningMsg, "default", harmless)
    assert not qtlog.is_harmless(kinds.QtCriticalMsg, "default", harmless)  # never hide a critical
    assert not qtlog.is_harmless(kinds.QtWarningMsg, "qt.qpa.xcb", "could not connect to display")
    assert "qt.multimedia.symbolsresolver.warning=false" in qtlog.RULES
