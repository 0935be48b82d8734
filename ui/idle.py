"""The idle watch: a warning after ``idle_warning_seconds`` without a touch, then a
countdown of ``idle_wipe_seconds`` after which the session is wiped (the resident left)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.i18n import t
from ui import a11y
from ui.qt import QApplication, QEvent, QObject, QTimer, Signal
from ui.session_end import WIPED

if TYPE_CHECKING:
    from ui.shell import Shell


class ActivityFilter(QObject):
    """Any touch, click or key anywhere counts as "the resident is still here"."""

    active = Signal()
    KINDS = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Every event of the application passes here: the cheap test first.
        if event.spontaneous() and event.type() in self.KINDS:
            self.active.emit()
        return False


class IdleWatch:
    def __init__(self, window: Shell, owner: QObject) -> None:
        """``owner`` (the window itself) parents the timers and the activity filter."""
        self.win = window
        cfg = window.services.config
        self.timer = QTimer(owner)
        self.timer.setSingleShot(True)
        self.timer.setInterval(max(cfg.idle_warning_seconds, 1) * 1000)
        self.timer.timeout.connect(self.warning)
        self.countdown = QTimer(owner)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)
        self.remaining = 0
        self.activity = ActivityFilter(owner)
        QApplication.instance().installEventFilter(self.activity)  # type: ignore[union-attr]
        self.activity.active.connect(self.touch)

    def touch(self) -> None:
        win = self.win
        if win.showing("idle"):
            return
        if win.flow is not None or not win.showing("home") or not win.prefs.is_default():
            self.timer.start()
        else:
            self.timer.stop()

    def warning(self) -> None:
        win = self.win
        if win.flow is None and win.showing("home") and win.prefs.is_default():
            return
        win.remember_return()
        self.remaining = max(win.services.config.idle_wipe_seconds, 1)
        win.show_page(win.idle)
        win.idle.present(win.prefs.lang, self.remaining)
        a11y.announce(win.idle, t("ui.idle_title", win.prefs.lang), assertive=True)
        if win.prefs.read_aloud:
            win.reader.say(f"{t('ui.idle_title', win.prefs.lang)} {win.idle.body_label.text()}", win.prefs.lang)
        self.countdown.start()

    def _tick(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.win.wipe(discard=True, reason=WIPED)
            return
        self.win.idle.tick(self.remaining)

    def keep_session(self) -> None:
        win = self.win
        self.countdown.stop()
        target = win.take_return() or win.home
        win.show_page(target)
        win.refresh_current()
        self.timer.start()
