"""A speech engine and an audio player for read-aloud logic tests, needing no system library.

Qt's own "mock" text-to-speech engine and QtMultimedia load only where libpulse0 is
installed (issue 18: two read-aloud tests failed on a bare machine). What these tests
check is the kiosk's logic — what is read, in which order, the recording before the
synthetic voice — so tests/ui/conftest.py puts these stand-ins where ui.speech and
ui.prompts load the Qt classes. The real engine is tested in test_speech_engine.py, as a
test that needs its system packages.

Like Qt's mock engine: English voices only (no Mongolian), every utterance goes
Speaking then Ready on the next event-loop turn. The player "plays" an existing file
to its end on the next turn, and reports a missing one as invalid media.
"""

from __future__ import annotations

import enum
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ui.qt import QLocale, QObject, QtCore, Signal


class FakeTextToSpeech(QObject):
    class State(enum.Enum):
        Ready = 0
        Speaking = 1
        Paused = 2
        Error = 3

    stateChanged = Signal(object)

    def __init__(self, engine: str = "mock", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = self.State.Ready
        self._locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
        self.said: list[str] = []

    @staticmethod
    def availableEngines() -> list[str]:  # noqa: N802 - Qt's name
        return ["mock"]

    def availableLocales(self) -> list[Any]:  # noqa: N802
        return [QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom),
                QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)]

    def state(self) -> State:
        return self._state

    def errorString(self) -> str:  # noqa: N802
        return ""

    def locale(self) -> Any:
        return self._locale

    def setLocale(self, locale: Any) -> None:  # noqa: N802
        self._locale = locale

    def say(self, text: str) -> None:
        self.said.append(text)
        self._set(self.State.Speaking)
        QtCore.QTimer.singleShot(0, self, lambda: self._set(self.State.Ready))

    def stop(self) -> None:
        if self._state is not self.State.Ready:
            self._set(self.State.Ready)

    def _set(self, state: State) -> None:
        self._state = state
        self.stateChanged.emit(state)


class FakeMediaPlayer(QObject):
    class MediaStatus(enum.Enum):
        LoadedMedia = 0
        EndOfMedia = 1
        InvalidMedia = 2

    mediaStatusChanged = Signal(object)
    errorOccurred = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source: Any = None
        self.played: list[str] = []

    def setAudioOutput(self, output: Any) -> None:  # noqa: N802
        pass

    def setSource(self, url: Any) -> None:  # noqa: N802
        self.source = url

    def play(self) -> None:
        path = Path(self.source.toLocalFile())
        self.played.append(path.name)
        status = self.MediaStatus.EndOfMedia if path.is_file() else self.MediaStatus.InvalidMedia
        QtCore.QTimer.singleShot(0, self, lambda: self.mediaStatusChanged.emit(status))

    def stop(self) -> None:
        pass


class FakeAudioOutput(QObject):
    pass


#: stands in for the QtMultimedia module (ui.prompts uses these three names)
FAKE_MULTIMEDIA = SimpleNamespace(QMediaPlayer=FakeMediaPlayer, QAudioOutput=FakeAudioOutput)
