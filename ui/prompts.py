"""Recorded prompts: a question's own audio (XLSForm ``media::audio``), played on read-aloud.

The Debian speech engine cannot speak Mongolian; a recording made by the agency can.
Played through QtMultimedia (ui/qt.py loads it on first use); where it cannot load or
the file cannot play, :meth:`PromptPlayer.play` returns False or finishes at once, and
the kiosk falls back to the synthetic voice — never an error in front of a resident.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ui.qt import QObject, QtCore, Signal, multimedia

log = logging.getLogger("kiosk.ui.speech")


class PromptPlayer(QObject):
    started = Signal(str)  # the file's name
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._player: Any = None
        self._output: Any = None
        self._then: Callable[[], object] | None = None
        self.current = ""

    def _make(self) -> bool:
        if self._player is not None:
            return True
        module = multimedia()
        if module is None:
            return False
        try:
            self._player = module.QMediaPlayer(self)
            self._output = module.QAudioOutput(self)
            self._player.setAudioOutput(self._output)
            self._player.mediaStatusChanged.connect(self._status)
            self._player.errorOccurred.connect(lambda *_a: self._done())
        except Exception as exc:  # noqa: BLE001 - no audio stack: the synthetic voice speaks
            log.warning("recorded prompts unavailable: %s", type(exc).__name__)
            self._player = None
            return False
        return True

    def play(self, path: Path, then: Callable[[], object] | None = None) -> bool:
        """Start ``path``; ``then`` runs when it has ended (or failed). False: cannot play."""
        if not path.is_file() or not self._make():
            return False
        self.stop()
        self._then = then
        self.current = path.name
        self._player.setSource(QtCore.QUrl.fromLocalFile(str(path)))
        self._player.play()
        self.started.emit(path.name)
        return True

    def _status(self, status: Any) -> None:
        module = multimedia()
        if module is None:
            return
        states = module.QMediaPlayer.MediaStatus
        if status in (states.EndOfMedia, states.InvalidMedia):
            self._done()

    def _done(self) -> None:
        name, then = self.current, self._then
        self._then, self.current = None, ""
        if name:
            self.finished.emit(name)
        if then is not None:
            then()

    def stop(self) -> None:
        self._then = None
        if self._player is not None and self.current:
            self.current = ""
            self._player.stop()
