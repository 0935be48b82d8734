"""Read-aloud with a real engine: speech-dispatcher + espeak-ng through QtTextToSpeech.

The test runs its own speech-dispatcher (autospawned by the client library) with a
private configuration: espeak-ng as the only output module and ALSA's "null" device
as the sound card, so it speaks for real — synthesis, audio output, state changes —
on a machine with no sound hardware. The daemon exits by itself a few seconds after
the test (``Timeout``).

English must be spoken. Mongolian: espeak-ng has no Mongolian voice, so the kiosk
must not speak it with another language's voice and must say so plainly; if an
engine with a Mongolian voice is installed, Mongolian must be spoken instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.system_parts import missing, need_programs
from ui import speech

CONFIG = """\
AudioOutputMethod "alsa"
AudioALSADevice "null"
AddModule "espeak-ng" "sd_espeak-ng" "espeak-ng.conf"
DefaultModule espeak-ng
DefaultLanguage "en"
Timeout 5
"""


@pytest.fixture(scope="module")
def speechd_runtime():
    """One runtime folder for the module: the client library keeps the first socket path it
    computed for the whole process. Short, for the Unix socket's 108-byte limit."""
    runtime = Path(tempfile.mkdtemp(prefix="kiosk-sd-", dir="/tmp"))
    runtime.chmod(0o700)
    yield runtime
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def speechd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, speechd_runtime: Path):
    need_programs("speech-dispatcher", "espeak-ng")
    config = tmp_path / "xdg-config"
    (config / "speech-dispatcher").mkdir(parents=True)
    (config / "speech-dispatcher" / "speechd.conf").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))  # read by the daemon it spawns
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(speechd_runtime))
    socket = speechd_runtime / "speech-dispatcher" / "speechd.sock"
    monkeypatch.setenv("SPEECHD_ADDRESS", f"unix_socket:{socket}")
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "speechd")
    return tmp_path


def _reader(speechd_home: Path) -> speech.Reader:
    reader = speech.Reader()
    if speech.text_to_speech() is None:
        missing("libpulse0", "QtTextToSpeech does not load here")
    if not reader.available:
        logs = sorted(Path(os.environ["XDG_RUNTIME_DIR"]).rglob("speech-dispatcher.log"))
        tail = logs[0].read_text(errors="replace")[-600:] if logs else "no speech-dispatcher log"
        pytest.skip(f"NOT TESTED: speech-dispatcher did not start in this sandbox "
                    f"({reader.engine or 'no engine'}: {reader.problem}); its log ends: {tail}")
    assert reader.engine == "speechd"
    return reader


def _speak(qtbot, reader: speech.Reader, text: str, lang: str) -> list[str]:
    states: list[str] = []
    reader.state_changed.connect(states.append)
    assert reader.say(text, lang)
    qtbot.waitUntil(lambda: "speaking" in states and states[-1] == "ready", timeout=20_000)
    return states


def test_english_is_spoken_by_espeak_ng(qtbot, speechd) -> None:
    reader = _reader(speechd)
    assert reader.has_voice("en")
    states = _speak(qtbot, reader, "Please enter your register number.", "en")
    assert "error" not in states


def test_mongolian_is_spoken_only_with_a_mongolian_voice(qtbot, speechd) -> None:
    reader = _reader(speechd)
    if reader.has_voice("mn"):
        _speak(qtbot, reader, "Регистрийн дугаараа оруулна уу.", "mn")
        return
    states: list[str] = []
    reader.state_changed.connect(states.append)
    assert reader.say("Регистрийн дугаараа оруулна уу.", "mn") is False  # not with an English voice
    assert "speaking" not in states


def test_the_screens_say_plainly_that_there_is_no_mongolian_voice(qtbot, speechd, kiosk, monkeypatch) -> None:
    from PySide6.QtWidgets import QLabel

    from kiosk.i18n import t

    window = kiosk.window
    monkeypatch.setenv("KIOSK_TTS_ENGINE", "speechd")  # the kiosk fixture chose the mock engine
    window.reader = window.settings.reader = window.form.reader = reader = _reader(speechd)
    if reader.has_voice("mn"):
        pytest.skip("this engine has a Mongolian voice: nothing to say")
    window.open_settings()
    note = window.settings.findChild(QLabel, "readAloudNoVoice")
    assert note is not None and note.isVisible()
    assert note.text() == t("ui.a11y_read_aloud_no_voice_mn", "mn")
    kiosk.prefs.set_read_aloud(True)
    window.close_settings()
    flow = window.open_form("id-card")
    assert flow is not None
    assert window.form.read.text() == t("ui.form_read_no_voice", "mn") and not window.form.read.isEnabled()
    kiosk.prefs.set_lang("en")  # English has a voice: the button reads again
    assert window.form.read.text() == t("ui.form_read", "en") and window.form.read.isEnabled()
