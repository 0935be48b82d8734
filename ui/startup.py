"""What happens after the kiosk window exists: first paint, then the background start-up.

Nothing but the home screen is built before the first paint. The work that is
not needed to draw it — the full catalog load (schema checks, compiled
expressions) and opening the store and the secrets (which imports the crypto
stack and runs scrypt) — starts on the event-loop turn *after* the home
screen's first paint, so it never competes with that paint for the GUI thread
or the interpreter lock. It also starts before a resident or staff could use
anything that needs it (opening a form, staff mode), whichever comes first.

The two moments are recorded (``painted_ns``, ``ready_ns``) for ``kiosk bench``:
"painted" is the turn after the first paint event of the window; "ready" is when
the catalog is loaded and the store, secrets and enrolment have been read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ui.qt import QEvent, QObject, QTimer, QWidget, Signal


class FirstPaint(QObject):
    """Emits ``painted`` once, on the loop turn after ``widget`` is first painted."""

    painted = Signal()

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._seen = False
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self._seen and event.type() == QEvent.Type.Paint:
            self._seen = True
            self._widget.removeEventFilter(self)
            # The paint is being delivered now; the backing store is flushed when this
            # whole update is done, which is before the next zero-timer runs.
            QTimer.singleShot(0, self.painted.emit)
        return False


class Startup:
    """Runs ``jobs`` once — after the first paint, or on first use if that comes sooner."""

    def __init__(self, jobs: Callable[[], list[str]]) -> None:
        self._jobs = jobs
        self.started = False
        self.painted_ns = 0
        self.ready_ns = 0
        self._waiting: set[str] = set()
        self.on_ready: list[Callable[[], None]] = []
        self.on_painted: list[Callable[[], None]] = []

    def painted(self) -> None:
        if not self.painted_ns:
            self.painted_ns = time.time_ns()
            for callback in self.on_painted:
                callback()
        self.start()

    def start(self) -> None:
        """Idempotent: queue the background jobs (their labels are what "ready" waits for)."""
        if self.started:
            return
        self.started = True
        self._waiting = set(self._jobs())
        if not self._waiting:
            self._ready()

    def done(self, label: str) -> None:
        self._waiting.discard(label)
        if self.started and not self._waiting and not self.ready_ns:
            self._ready()

    def _ready(self) -> None:
        self.ready_ns = time.time_ns()
        for callback in self.on_ready:
            callback()

    @property
    def is_ready(self) -> bool:
        return bool(self.ready_ns)


def alive(obj: Any) -> bool:
    """False once Qt deleted the C++ side of ``obj`` (a window closed before work finished)."""
    from ui.qt import is_valid

    return obj is not None and is_valid(obj)
