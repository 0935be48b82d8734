"""The kiosk window: top bar, DEMO banner, the screens, the on-screen keyboard.

It owns the resident's session state (the open form's :class:`Flow`, the last
receipt) and moves between screens; the work itself sits in focused parts:
``ui.screens`` (screens built on first use), ``ui.drafts`` (saving drafts on the
DB worker), ``ui.submission`` (sealing, receipt, printing), ``ui.session_end``
(finish, cancel, wipe) and ``ui.idle`` (idle warning and wipe). Screens are
pages of one QStackedWidget so every one of them can be rendered offscreen by
``kiosk screenshots``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from kiosk.errors import KioskError
from kiosk.i18n import t
from ui import a11y, theme, touch
from ui.bridge import Bridge, StatusListener
from ui.chrome import TopBar, demo_banner
from ui.idle import ActivityFilter, IdleWatch
from ui.keyboard_dock import KeyboardDock
from ui.qt import (
    QApplication,
    QMainWindow,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.screens import Screens
from ui.services import Services
from ui.speech import Reader
from ui.state import Prefs
from ui.widgets.common import text_label

if TYPE_CHECKING:
    from ui.drafts import Drafts
    from ui.flow import Flow
    from ui.session_end import SessionEnd
    from ui.submission import Submission
    from ui.views.form import FormView
    from ui.views.home import HomeView
    from ui.views.panels import AccessibilityView, ConfirmView, IdleView
    from ui.views.receipt import ReceiptInfo, ReceiptView
    from ui.views.review import ReviewView
    from ui.views.staff import StaffView
    from ui.widgets.keyboard import OnScreenKeyboard

log = logging.getLogger("kiosk.ui")


class KioskWindow(QMainWindow):
    submitted = Signal(object)  # ReceiptInfo
    draft_saved = Signal(str)
    wiped = Signal()

    def __init__(self, services: Services, prefs: Prefs, reader: Reader, bridge: Bridge) -> None:
        super().__init__()
        self.services = services
        self.prefs = prefs
        self.reader = reader
        self.bridge = bridge
        self.listener = StatusListener(parent=self)
        self.flow: Flow | None = None
        self.receipt: ReceiptInfo | None = None
        self.print_message = ""
        self.stored_attachments: set[str] = set()
        self._return_to: QWidget | None = None
        self._drafts: Drafts | None = None
        self._submission: Submission | None = None
        self._session_end: SessionEnd | None = None
        self.setWindowTitle(t("ui.app_title", prefs.lang))
        self.setObjectName("kioskWindow")

        central = QWidget()
        central.setObjectName("screen")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.top_bar = TopBar()
        bar = self.top_bar
        self.home_btn, self.title, self.keyboard_btn = bar.home_btn, bar.title, bar.keyboard_btn
        self.staff_btn, self.a11y_btn, self.lang_btn = bar.staff_btn, bar.a11y_btn, bar.lang_btn
        outer.addWidget(bar)
        self.banner = demo_banner()
        outer.addWidget(self.banner)

        self.stack = QStackedWidget()
        # A stack is as tall as its tallest screen's minimum; with the keys open at 200 % on a
        # 1024x768 screen that pushed the keyboard's last row off the screen. Every screen
        # scrolls its own body, so the stack may be as short as the room left.
        self.stack.setMinimumHeight(1)
        self.screens = Screens(self)
        #: Set by ui.app.build: starts the background start-up if a resident or staff acts
        #: before the first paint started it (see ui.startup).
        self.before_first_use: Callable[[], None] | None = None
        outer.addWidget(self.stack, 1)
        self.keys = KeyboardDock(self, outer, self)
        self.setCentralWidget(central)

        self.home_btn.clicked.connect(self.go_home_button)
        self.lang_btn.clicked.connect(self.toggle_lang)
        self.a11y_btn.clicked.connect(self.open_settings)
        self.staff_btn.clicked.connect(self.open_staff)
        self.keyboard_btn.clicked.connect(self.toggle_keyboard)
        prefs.changed.connect(self.on_prefs)
        QApplication.instance().focusChanged.connect(self.keys.focus_changed)  # type: ignore[union-attr]
        # Drag scrolling, no wheel on closed controls, no context menus (ui.touch); a tap in a
        # text field opens the keyboard. Owned by this window: it goes with it.
        self.touch_policy = touch.install(QApplication.instance(), self)  # type: ignore[arg-type]
        self.touch_policy.text_tapped.connect(self.open_keyboard_for)
        # Next, Back or a choice may have put up a screen with nothing to type into.
        self.touch_policy.released.connect(self.keys.check_soon)

        self.idle_watch = IdleWatch(self, self)

        self.retranslate()
        self.show_home()

    # -- the screens (built on first use: ui.screens) ------------------------------------
    @property
    def home(self) -> HomeView:
        return cast("HomeView", self.screens.get("home"))

    @property
    def form(self) -> FormView:
        return cast("FormView", self.screens.get("form"))

    @property
    def review(self) -> ReviewView:
        return cast("ReviewView", self.screens.get("review"))

    @property
    def receipt_view(self) -> ReceiptView:
        return cast("ReceiptView", self.screens.get("receipt_view"))

    @property
    def settings(self) -> AccessibilityView:
        return cast("AccessibilityView", self.screens.get("settings"))

    @property
    def confirm(self) -> ConfirmView:
        return cast("ConfirmView", self.screens.get("confirm"))

    @property
    def idle(self) -> IdleView:
        return cast("IdleView", self.screens.get("idle"))

    @property
    def staff(self) -> StaffView:
        return cast("StaffView", self.screens.get("staff"))

    def built_screen(self, name: str) -> QWidget | None:
        """The screen ``name`` if it was ever shown (never builds it)."""
        return self.screens.built(name)

    def showing(self, name: str) -> bool:
        """Is the screen ``name`` the current one? (Never builds it.)"""
        page = self.screens.built(name)
        return page is not None and self.stack.currentWidget() is page

    # -- the session's parts, made on first use (nothing of them is needed to paint home)
    @property
    def drafts(self) -> Drafts:
        if self._drafts is None:
            from ui.drafts import Drafts

            self._drafts = Drafts(self)
        return self._drafts

    @property
    def submission(self) -> Submission:
        if self._submission is None:
            from ui.submission import Submission

            self._submission = Submission(self)
        return self._submission

    @property
    def session_end(self) -> SessionEnd:
        if self._session_end is None:
            from ui.session_end import SessionEnd

            self._session_end = SessionEnd(self)
        return self._session_end

    @property
    def remaining(self) -> int:
        return self.idle_watch.remaining

    # -- chrome -----------------------------------------------------------------------
    def retranslate(self) -> None:
        lang = self.prefs.lang
        self.setWindowTitle(t("ui.app_title", lang))
        self.top_bar.retranslate(lang)
        self.banner.setText(t("ui.demo_banner", lang))
        self.banner.setVisible(not self.services.enrolled)
        self.keys.retranslate(lang)
        a11y.name_scroll_bars(self, t("ui.scroll_bar", lang))

    def chrome_buttons(self) -> list[QWidget]:
        return [w for w in self.top_bar.buttons() if w.isVisible()]

    def show_page(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        QTimer.singleShot(0, self, self.keys.put_away_if_nothing_to_type)
        a11y.name_scroll_bars(page, t("ui.scroll_bar", self.prefs.lang))
        name = self.screens.name_of(page)
        self.home_btn.setVisible(name in ("settings", "staff", "review"))
        self.staff_btn.setVisible(name == "home")
        # At large text the title gives its room to the buttons and the question.
        self.title.setVisible(self.prefs.scale <= 100)

    _show = show_page  # the name the views and tests have used

    def toggle_lang(self) -> None:
        self.prefs.set_lang("en" if self.prefs.lang == "mn" else "mn")

    def on_prefs(self, which: str) -> None:
        app = QApplication.instance()
        if which in ("theme", "scale"):
            theme.apply(app, self.prefs.theme, self.prefs.scale)  # type: ignore[arg-type]
            self.title.setVisible(self.prefs.scale <= 100)
        if which == "read_aloud":
            key = "ui.read_aloud_on_notice" if self.prefs.read_aloud else "ui.read_aloud_off_notice"
            if self.prefs.read_aloud and not self.reader.has_voice(self.prefs.lang):
                key = f"ui.a11y_read_aloud_no_voice_{self.prefs.lang}"  # on, but silent in this language
            a11y.announce(self, t(key, self.prefs.lang))
            if self.prefs.read_aloud:
                self.reader.say(t(key, self.prefs.lang), self.prefs.lang)
        self.retranslate()
        self.refresh_current()

    def refresh_current(self) -> None:
        name = self.screens.name_of(self.stack.currentWidget())
        if name == "home":
            self.render_home()
        elif name == "form":
            self.form.retranslate()
        elif name == "review" and self.flow is not None:
            self.review.present(self.flow, self.prefs.lang)
        elif name == "receipt_view" and self.receipt is not None:
            self.receipt_view.present(self.receipt, self.prefs.lang, self.prefs.scale)
        elif name == "settings":
            self.settings.present()
        elif name == "staff":
            self.staff.present()
        elif name == "confirm":
            self.show_confirm()
        elif name == "idle":
            self.idle.present(self.prefs.lang, self.remaining)

    # -- the on-screen keyboard (ui.keyboard_dock) ------------------------------------
    @property
    def keyboard(self) -> OnScreenKeyboard:
        """The on-screen keyboard under the screens (built the first time it is needed)."""
        return self.keys.keyboard

    def hide_keyboard(self) -> None:
        self.keys.hide()

    def toggle_keyboard(self) -> None:
        self.keys.toggle()

    def open_keyboard_for(self, field: QWidget) -> None:
        self.keys.open_for(field)

    def keyboard_follows_page(self) -> None:
        self.keys.follows_page()

    def typing_lang(self) -> str:
        """The language typed in: on a form, its own texts' (a form switched to English
        opens the Latin keys on a Mongolian kiosk); elsewhere the kiosk's."""
        if self.flow is not None and self.showing("form"):
            return self.flow.text_lang(self.prefs.lang)
        return self.prefs.lang

    def kiosk_lang(self) -> str:
        return self.prefs.lang

    def scale(self) -> int:
        return self.prefs.scale

    def enrolled(self) -> bool:
        return self.services.enrolled

    def make_form_room(self, keyboard_open: bool) -> None:
        self.form.make_room(keyboard_open)

    # -- navigation -------------------------------------------------------------------
    def render_home(self) -> None:
        catalog = self.services.home_catalog()
        problems = len(getattr(catalog, "problems", []) or [])
        self.home.present(catalog, self.prefs.lang, self.prefs.scale, problems,
                         out_of_service=self.services.secrets_problem)
        a11y.chain_focus([*self.chrome_buttons(), *self.home.focus_order()])

    def show_home(self) -> None:
        self.show_page(self.home)
        self.render_home()
        tiles = self.home.focus_order()
        if tiles:
            tiles[0].setFocus()

    def remember_return(self) -> None:
        """Come back to the current screen after a pause (settings, idle, cancel question)."""
        self._return_to = self.stack.currentWidget()

    def take_return(self) -> QWidget | None:
        """The screen remembered by :meth:`remember_return` (forgotten now), if any."""
        target, self._return_to = self._return_to, None
        return target

    def open_settings(self) -> None:
        if not self.showing("settings"):
            self.remember_return()
        self.show_page(self.settings)
        self.settings.present()

    def close_settings(self) -> None:
        target = self.take_return() or self.home
        if target is self.screens.built("idle"):
            target = self.form if self.flow is not None else self.home
        self.show_page(target)
        self.refresh_current()

    def go_home_button(self) -> None:
        if self.showing("settings"):
            self.close_settings()
        elif self.showing("staff"):
            self.staff.leave()
        elif self.flow is not None:
            self.ask_cancel()
        else:
            self.show_home()

    def _first_use(self) -> None:
        if self.before_first_use is not None:
            self.before_first_use()

    def open_form(self, form_id: str, answers: dict[str, Any] | None = None, draft_id: str | None = None,
                  position: str | None = None, kept: dict[str, Any] | None = None) -> Flow | None:
        """Open a form for a resident; a resumed draft brings its answers, position and
        kept values (FormSession.kept())."""
        self._first_use()
        if self.services.secrets_problem:
            self.show_home()  # never let a resident fill a form that cannot be kept
            return None
        try:
            session = self.services.new_session(form_id, self.prefs.lang)
            if answers or kept:
                session.restore(answers or {}, kept)
        except KioskError as exc:
            self.show_error(t("ui.error_form_open", self.prefs.lang, message=exc.message))
            return None
        from kiosk.store.ids import uuid7
        from ui.flow import Flow

        self.flow = Flow(session, draft_id or uuid7())
        self.stored_attachments = set()
        if position:
            session.go_to(position)
        self.show_page(self.form)
        self.form.start(self.flow)
        self.touch()
        return self.flow

    def announce(self, text: str) -> None:
        """Said by the screen reader (politely: after what it is reading)."""
        a11y.announce(self, text)

    def show_error(self, message: str) -> None:
        log.warning("shown to the resident: %s", message.split(":")[0])
        a11y.announce(self, message, assertive=True)
        self.home.column.insertWidget(1, text_label(message, "error"))

    def show_review(self) -> None:
        if self.flow is None:
            return
        self.show_page(self.review)
        self.review.present(self.flow, self.prefs.lang)

    def back_to_form(self) -> None:
        self.show_page(self.form)
        self.form.present()

    def change_answer(self, screen_key: str, entry_key: str) -> None:
        self.show_page(self.form)
        self.form.go_to(screen_key, entry_key, from_review=True)  # Next comes back to the review

    # -- the session's work, in its own parts ------------------------------------------
    def draft_job(self, flow: Flow) -> Callable[[], tuple[str, set[str]]]:
        """A function for the DB worker that saves ``flow``'s draft as it is now."""
        return self.drafts.job(flow)

    def save_draft(self, flow: Flow) -> None:
        self.drafts.save(flow)

    def submit(self) -> None:
        self.submission.submit()

    def show_receipt(self, info: ReceiptInfo) -> None:
        self.submission.show_receipt(info)

    def print_receipt(self, paper: str, pdf: Any = None) -> bool:
        return self.submission.print_receipt(paper, pdf)

    def finish(self) -> None:
        self.wipe(discard=False)

    def show_confirm(self) -> None:
        self.session_end.show_confirm()

    def ask_cancel(self) -> None:
        self.session_end.ask_cancel()

    def cancel_answered(self, yes: bool) -> None:
        self.session_end.cancel_answered(yes)

    def wipe(self, discard: bool = True, reason: str = "discarded") -> None:
        self.session_end.wipe(discard, reason)

    def touch(self) -> None:
        self.idle_watch.touch()

    def stop_idle_countdown(self) -> None:
        self.idle_watch.countdown.stop()

    def idle_warning(self) -> None:
        self.idle_watch.warning()

    def keep_session(self) -> None:
        self.idle_watch.keep_session()

    # -- staff ------------------------------------------------------------------------
    def open_staff(self) -> None:
        self._first_use()
        self.show_page(self.staff)
        self.staff.start()

    # -- lockdown ---------------------------------------------------------------------
    #: Set by ui.app.run on a real kiosk (full screen): Alt+F4, the window manager's
    #: close and any other close request are refused; only staff can quit (behind the PIN).
    locked = False
    _quit_allowed = False

    def flush_form(self) -> None:
        """Save the open form's draft now (if the form screen was ever built)."""
        form = self.screens.built("form")
        if form is not None:
            form.flush()  # type: ignore[attr-defined]

    def quit_kiosk(self) -> None:
        """Staff "close the kiosk program": the one sanctioned way out of lockdown."""
        self.flush_form()
        self._quit_allowed = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.locked and not self._quit_allowed:
            event.ignore()
            return
        self.flush_form()
        super().closeEvent(event)


__all__ = ["ActivityFilter", "KioskWindow", "Qt"]
