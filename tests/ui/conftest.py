"""The real kiosk window, offscreen, in the test's own data folder.

Read-aloud: ``KIOSK_TTS_ENGINE=mock`` gets the stand-in engine and audio player of
tests/ui/fake_speech.py, which need no system library; any other engine is the real one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.doctor import run_checks

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def fake_speech(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ui.fake_speech import FAKE_MULTIMEDIA, FakeTextToSpeech
    from ui import prompts, qt, speech

    def mock() -> bool:
        return os.environ.get("KIOSK_TTS_ENGINE") == "mock"

    monkeypatch.setattr(speech, "text_to_speech", lambda: FakeTextToSpeech if mock() else qt.text_to_speech())
    monkeypatch.setattr(prompts, "multimedia", lambda: FAKE_MULTIMEDIA if mock() else qt.multimedia())


@pytest.fixture
def kiosk(qtbot, isolated_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "mock")
    from kiosk.paths import Home
    from ui.app import build

    k = build(Home(isolated_home), "mn", doctor=run_checks)
    qtbot.addWidget(k.window)
    k.window.show()
    # Painted, then the background start-up (catalog, store, secrets) done and delivered.
    qtbot.waitUntil(lambda: k.is_ready() and k.bridge.is_idle(), timeout=10_000)
    yield k
    qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
    k.bridge.shutdown()
    k.services.close()
