"""The real kiosk window, offscreen, in the test's own data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def kiosk(qtbot, isolated_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    from kiosk.paths import Home
    from ui.app import build

    k = build(Home(isolated_home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    # Started, not just idle: the store and full catalog are queued after the first paint,
    # and their results must not reach a window a short test has already closed.
    qtbot.waitUntil(lambda: k.startup_queued and k.bridge.is_idle(), timeout=10_000)
    yield k
    qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
    k.bridge.shutdown()
    k.services.close()
