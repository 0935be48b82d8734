"""Background work for the UI, Anki/Electrum style.

Every action that touches the database or the network is a small
:class:`Operation` (a function plus success/failure callbacks). It runs on one
of two single-thread executors — one for the database, one for the network —
so database work is serialised on ONE worker thread, and its result comes back
to the GUI thread through a queued Qt signal: callbacks always run on the GUI
thread, and no widget is ever touched from a worker.

:class:`StatusListener` is the one bridge from core events (sync progress,
queue changes) to Qt: core code may call :meth:`StatusListener.notify` from any
thread; refreshes are batched on a QTimer so a burst of events costs one
repaint.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import KioskError
from kiosk.i18n import error_text, t
from ui.qt import QObject, Qt, QTimer, Signal

log = logging.getLogger("kiosk.ui.bridge")


def failure_words(exc: BaseException, lang: str) -> str:
    """What a failed operation says on screen, in ``lang``: a kiosk error in its own
    words (catalog key and fields), anything else only as an internal error (its class
    name goes to the log, never a library's English sentence to the screen)."""
    if isinstance(exc, KioskError):
        return error_text(exc, lang)
    log.error("operation failed: %s", type(exc).__name__)
    return t("ui.error_internal", lang)


@dataclass
class Operation:
    """One unit of background work and what to do with its outcome (on the GUI thread)."""

    work: Callable[[], Any]
    success: Callable[[Any], None] | None = None
    failure: Callable[[BaseException], None] | None = None
    label: str = "operation"
    future: Future[Any] | None = field(default=None, repr=False)


class Bridge(QObject):
    """Runs operations off the GUI thread and delivers results back on it."""

    _finished = Signal(object, object, object)  # operation, result, error
    idle_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-db")
        self._net = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-net")
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # -- submitting ------------------------------------------------------------------
    def run_db(self, op: Operation) -> Operation:
        return self._submit(self._db, op)

    def run_net(self, op: Operation) -> Operation:
        return self._submit(self._net, op)

    def _submit(self, pool: ThreadPoolExecutor, op: Operation) -> Operation:
        if self._closed:
            return op
        with self._lock:
            self._pending += 1
        op.future = pool.submit(self._call, op)
        return op

    def _call(self, op: Operation) -> None:
        try:
            result = op.work()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread as a failure
            self._finished.emit(op, None, exc)
        else:
            self._finished.emit(op, result, None)

    # -- delivering (GUI thread) -----------------------------------------------------
    def _deliver(self, op: Operation, result: Any, error: BaseException | None) -> None:
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        if self._closed:
            # Shut down: the window these callbacks would update is closing or gone. (The
            # work itself ran: shutdown waits for queued database work.)
            log.debug("%s finished after shutdown; result not delivered", op.label)
            return
        try:
            if error is not None:
                if op.failure is not None:
                    op.failure(error)
                else:
                    log.error("%s failed: %s", op.label, type(error).__name__)
            elif op.success is not None:
                op.success(result)
        finally:
            if idle:
                self.idle_changed.emit(True)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def is_idle(self) -> bool:
        return self.pending == 0

    def shutdown(self) -> None:
        """Finish queued database work (drafts must not be lost), then stop."""
        self._closed = True
        self._net.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True)


class StatusListener(QObject):
    """Core events in, one batched ``status_changed`` signal out (GUI thread)."""

    status_changed = Signal(dict)
    _poke = Signal()

    def __init__(self, interval_ms: int = 250, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._flush)
        self._poke.connect(self._arm, Qt.ConnectionType.QueuedConnection)
        self.batches = 0
        #: Everything reported so far, merged: a screen built later starts from it.
        self.latest: dict[str, Any] = {}

    def notify(self, event: dict[str, Any]) -> None:
        """Thread-safe: merge ``event`` into the next refresh."""
        with self._lock:
            self._pending.update(event)
        self._poke.emit()

    def _arm(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, {}
        if batch:
            self.batches += 1
            self.latest.update(batch)
            self.status_changed.emit(batch)
