"""SIGTERM and SIGINT end the Qt event loop cleanly instead of killing the process.

A Python signal handler only runs when the interpreter gets control, which a
blocked ``app.exec()`` never gives it. The C-level handler therefore writes to a
pipe (``signal.set_wakeup_fd``) that a QSocketNotifier watches: the notifier's
slot runs Python, the Python handler runs with it and quits the loop. The code
after ``exec()`` then saves the open draft, stops workers and (in ``kiosk
demo``) the server child and the temporary folder — what a bare SIGTERM would
have skipped.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from ui.qt import QtCore

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def end_event_loop() -> None:
    """End ``exec()`` now. Not ``QApplication.quit()``: in Qt 6 that first asks every
    window to close, and the locked-down kiosk window refuses (only staff may close it),
    which cancels the quit — ``systemctl stop`` would hang until the kill, the draft
    unsaved. The code after ``exec()`` saves the draft and closes the window itself."""
    QtCore.QCoreApplication.exit(0)


class QuitOnSignals:
    """While installed, a stop signal queues ``quit`` (on the GUI thread) and is remembered.

    Install it once a QCoreApplication exists and before the window is built, so that a
    signal during start-up also ends the event loop as soon as it runs.
    """

    def __init__(self, quit: Callable[[], None]) -> None:
        self.quit = quit
        self.received: int | None = None
        self._previous: dict[int, Any] = {}
        self._wakeup_previous = -1
        self._fds: tuple[int, int] | None = None  # (read, write) of the wake-up pipe
        self._pair: Any = None  # Windows: a socket pair (set_wakeup_fd wants a socket there)
        self._notifier: Any = None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        # Never raise here: the handler can run inside a Qt callback, where PySide would
        # report the exception and carry on. Queue the quit instead: it is taken by the
        # event loop whether that is running already or starts later.
        self.received = signum
        QtCore.QTimer.singleShot(0, self.quit)

    def _drain(self) -> None:
        try:
            if self._fds is not None:
                os.read(self._fds[0], 64)
            elif self._pair is not None:
                self._pair[0].recv(64)
        except OSError:
            pass

    def _wakeup_fds(self) -> tuple[int, int]:
        if sys.platform != "win32":  # a pipe: no socket module to import at start-up
            self._fds = os.pipe()
            for fd in self._fds:
                os.set_blocking(fd, False)
            return self._fds
        import socket

        self._pair = socket.socketpair()
        for sock in self._pair:
            sock.setblocking(False)
        return self._pair[0].fileno(), self._pair[1].fileno()

    def __enter__(self) -> QuitOnSignals:
        read_fd, write_fd = self._wakeup_fds()
        self._notifier = QtCore.QSocketNotifier(read_fd, QtCore.QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        self._wakeup_previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        signal.set_wakeup_fd(self._wakeup_previous)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None
        if self._pair is not None:
            for sock in self._pair:
                sock.close()
            self._pair = None

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process ended by it; 0 if none came."""
        return 128 + self.received if self.received else 0
