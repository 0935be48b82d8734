"""Read-aloud through QtTextToSpeech, when an engine is present.

The module needs system libraries (libpulse0 on Debian); where it cannot load,
or no engine starts, :attr:`Reader.available` is False and the UI says so in
plain words — never a crash. ``KIOSK_TTS_ENGINE`` picks an engine by name
(tests use Qt's "mock" engine, which ships in the wheel).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ui.qt import QLocale, QObject, Signal, text_to_speech

log = logging.getLogger("kiosk.ui.speech")


class Reader(QObject):
    spoken = Signal(str)  # every text handed to the engine (tests, diagnostics)
    played = Signal(str)  # every recorded prompt started (ui/prompts.py)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tts: Any | None = None
        self._started = False
        self.engine = ""
        self.history: list[str] = []
        self._prompts: Any | None = None

    def _start(self) -> None:
        """Load the module and the engine on first use, not at kiosk start-up."""
        if self._started:
            return
        self._started = True
        cls = text_to_speech()
        if cls is None:
            return
        try:
            engines = list(cls.availableEngines())
            wanted = os.environ.get("KIOSK_TTS_ENGINE", "")
            if wanted and wanted in engines:
                self.engine = wanted
            else:
                real = [e for e in engines if e != "mock"]
                self.engine = real[0] if real else ""
            if not self.engine:
                return
            tts = cls(self.engine, self)
            if tts.state() == cls.State.Error:
                log.warning("text-to-speech engine %s failed to start", self.engine)
                return
            self._tts = tts
        except Exception as exc:  # noqa: BLE001 - a broken engine must not stop the kiosk
            log.warning("text-to-speech unavailable: %s", type(exc).__name__)
            self._tts = None

    @property
    def available(self) -> bool:
        self._start()
        return self._tts is not None

    def say(self, text: str, lang: str, recording: Any = None) -> None:
        """Speak ``text``; with a ``recording`` (a form's own audio) play that first, then
        speak ``text`` with the synthetic voice."""
        if recording is not None:
            from ui.prompts import PromptPlayer

            self._prompts = self._prompts or PromptPlayer(self)
            if self._prompts.play(recording, lambda: self.say(text, lang)):
                self.history.append(f"[recording] {recording.name}")
                self.played.emit(recording.name)
                return
        text = " ".join(text.split())
        if not text:
            return
        self.history.append(text)
        self.spoken.emit(text)
        self._start()
        if self._tts is None:
            return
        locale = QLocale(QLocale.Language.Mongolian if lang == "mn" else QLocale.Language.English)
        try:
            if any(loc.language() == locale.language() for loc in self._tts.availableLocales()):
                self._tts.setLocale(locale)
            self._tts.stop()
            self._tts.say(text)
        except Exception as exc:  # noqa: BLE001
            log.warning("read-aloud failed: %s", type(exc).__name__)

    def stop(self) -> None:
        if self._prompts is not None:
            self._prompts.stop()
        if self._tts is not None:
            self._tts.stop()
