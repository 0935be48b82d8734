"""Read-aloud through QtTextToSpeech, when an engine is present.

The module needs system libraries (libpulse0 on Debian); on Linux the engine is
speech-dispatcher (Qt's "speechd" plugin) with espeak-ng behind it. Where the
module cannot load, or no engine starts, :attr:`Reader.available` is False and
the UI says so in plain words — never a crash. An engine may also have no voice
for a language: espeak-ng has English but no Mongolian. Then nothing is spoken
in that language (a Russian or English voice reading Mongolian Cyrillic helps
no one) and :meth:`Reader.has_voice` lets the UI say plainly that there is no
Mongolian voice. ``KIOSK_TTS_ENGINE`` picks an engine by name (tests use Qt's
"mock" engine, which ships in the wheel, or "speechd").
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ui.qt import QLocale, QObject, Signal, text_to_speech

log = logging.getLogger("kiosk.ui.speech")

#: The engine tried first when several are installed (on Linux: speech-dispatcher).
PREFERRED = ("speechd", "flite", "sapi", "winrt", "darwin", "macos")
LANGUAGES = {"mn": QLocale.Language.Mongolian, "en": QLocale.Language.English}


def _language(code: str) -> Any:
    """The QLocale language of a kiosk or form language code ("kk" too); None if unknown."""
    if code in LANGUAGES:
        return LANGUAGES[code]
    language = QLocale(code).language()
    return None if language in (QLocale.Language.C, QLocale.Language.AnyLanguage) else language


class Reader(QObject):
    spoken = Signal(str)  # every text the kiosk asked to speak (tests, diagnostics)
    played = Signal(str)  # every recorded prompt started (ui/prompts.py)
    state_changed = Signal(str)  # the engine's state: "ready", "speaking", "paused", "error"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tts: Any | None = None
        self._started = False
        self.engine = ""
        self.problem = ""  # why there is no engine (for staff and the log; never a resident)
        self.history: list[str] = []
        self._prompts: Any | None = None

    def _start(self) -> None:
        """Load the module and the engine on first use, not at kiosk start-up."""
        if self._started:
            return
        self._started = True
        cls = text_to_speech()
        if cls is None:
            self.problem = "QtTextToSpeech cannot load (libpulse0 missing?)"
            return
        try:
            engines = list(cls.availableEngines())
            wanted = os.environ.get("KIOSK_TTS_ENGINE", "")
            if wanted and wanted in engines:
                self.engine = wanted
            else:
                real = [e for e in engines if e != "mock"]
                real.sort(key=lambda e: PREFERRED.index(e) if e in PREFERRED else len(PREFERRED))
                self.engine = real[0] if real else ""
            if not self.engine:
                self.problem = "no text-to-speech engine is installed"
                return
            tts = cls(self.engine, self)
            if tts.state() == cls.State.Error:
                self.problem = f"{self.engine}: {tts.errorString() or 'failed to start'}"
                log.warning("text-to-speech engine %s failed to start: %s", self.engine, tts.errorString())
                return
            tts.stateChanged.connect(self._state)
            self._tts = tts
        except Exception as exc:  # noqa: BLE001 - a broken engine must not stop the kiosk
            self.problem = type(exc).__name__
            log.warning("text-to-speech unavailable: %s", type(exc).__name__)
            self._tts = None

    def _state(self, state: Any) -> None:
        self.state_changed.emit(str(getattr(state, "name", state)).lower())

    @property
    def available(self) -> bool:
        self._start()
        return self._tts is not None

    def has_voice(self, lang: str) -> bool:
        """Does the engine have a voice for ``lang`` ("mn", "en", or a form's own language)?"""
        self._start()
        wanted = _language(lang)
        if self._tts is None or wanted is None:
            return False
        try:
            return any(loc.language() == wanted for loc in self._tts.availableLocales())
        except Exception:  # noqa: BLE001
            return False

    def say(self, text: str, lang: str, recording: Any = None) -> bool:
        """Speak ``text`` in ``lang``; False when it cannot be (no engine, no voice for ``lang``).

        With a ``recording`` (a form's own audio) that is played first, then ``text`` is
        spoken with the synthetic voice.
        """
        if recording is not None:
            from ui.prompts import PromptPlayer

            self._prompts = self._prompts or PromptPlayer(self)
            if self._prompts.play(recording, lambda: self.say(text, lang)):
                self.history.append(f"[recording] {recording.name}")
                self.played.emit(recording.name)
                return True
        text = " ".join(text.split())
        if not text:
            return False
        self.history.append(text)
        self.spoken.emit(text)
        if not self.has_voice(lang):
            return False
        assert self._tts is not None
        locale = next(loc for loc in self._tts.availableLocales() if loc.language() == _language(lang))
        try:
            if self._tts.locale().language() != locale.language():
                self._tts.setLocale(locale)
            self._tts.stop()
            self._tts.say(text)
        except Exception as exc:  # noqa: BLE001
            log.warning("read-aloud failed: %s", type(exc).__name__)
            return False
        return True

    def stop(self) -> None:
        if self._prompts is not None:
            self._prompts.stop()
        if self._tts is not None:
            self._tts.stop()
