"""The kiosk window: top bar (language, accessibility, staff), DEMO banner, screens, keyboard.

It owns the resident's session: opening a form, saving drafts on the DB
worker, submitting, the receipt, Finish, cancel and the idle wipe. Screens are
pages of one QStackedWidget so every one of them can be rendered offscreen by
``kiosk screenshots``.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.errors import KioskError
from kiosk.i18n import t
from ui import a11y, theme
from ui.bridge import Bridge, Operation, StatusListener
from ui.flow import Flow
from ui.qt import (
    QApplication,
    QEvent,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QObject,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.services import Services
from ui.speech import Reader
from ui.state import Prefs
from ui.views.form import FormView
from ui.views.home import HomeView
from ui.views.panels import AccessibilityView, ConfirmView, IdleView
from ui.views.receipt import ReceiptInfo, ReceiptView
from ui.views.review import ReviewView
from ui.views.staff import StaffView
from ui.widgets.common import button, text_label
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
        self.setWindowTitle(t("ui.app_title", prefs.lang))
        self.setObjectName("kioskWindow")

        central = QWidget()
        central.setObjectName("screen")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        bar = QFrame()
        bar.setObjectName("topBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(24, 8, 24, 8)
        row.setSpacing(12)
        self.home_btn = button("", "", name="home")
        self.title = QLabel()
        self.title.setProperty("role", "apptitle")
        self.title.setWordWrap(True)
        self.keyboard_btn = button("", "", name="keyboard")
        self.staff_btn = button("", "", name="staff")
        self.a11y_btn = button("", "", name="accessibility")
        self.lang_btn = button("", "", "primary", name="language")
        row.addWidget(self.home_btn)
        row.addWidget(self.title, 1)
        for b in (self.home_btn, self.keyboard_btn, self.staff_btn, self.a11y_btn, self.lang_btn):
            b.setProperty("chrome", "true")
        # A tap on "Keyboard" must leave the focus in the field being filled.
        self.keyboard_btn.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for b in (self.keyboard_btn, self.staff_btn, self.a11y_btn, self.lang_btn):
            row.addWidget(b)
        outer.addWidget(bar)
        self.banner = text_label("")
        self.banner.setObjectName("demoBanner")
        outer.addWidget(self.banner)

        self.stack = QStackedWidget()
        self.home = HomeView(self.open_form)
        self.form = FormView(prefs, reader, self.save_draft)
        self.form.max_attachment_kb = services.config.max_attachment_kb
        self.form.scans_folder = services.config.scans_folder
        self.review = ReviewView()
        self.receipt_view = ReceiptView()
        self.settings = AccessibilityView(prefs, reader)
        self.confirm = ConfirmView()
        self.idle = IdleView()
        self.staff = StaffView(self)
        for w in (self.home, self.form, self.review, self.receipt_view, self.settings, self.confirm,
                  self.idle, self.staff):
            self.stack.addWidget(w)
        outer.addWidget(self.stack, 1)
        self.keyboard = OnScreenKeyboard()
        self.keyboard.hide()
        outer.addWidget(self.keyboard)
        self.setCentralWidget(central)

        self.home_btn.clicked.connect(self.go_home_button)
        self.lang_btn.clicked.connect(self.toggle_lang)
        self.a11y_btn.clicked.connect(self.open_settings)
        self.staff_btn.clicked.connect(self.open_staff)
        self.keyboard_btn.clicked.connect(self.toggle_keyboard)
        self.keyboard.closed.connect(self.toggle_keyboard)
        self.settings.done.connect(self.close_settings)
        self.form.to_review.connect(self.show_review)
        self.form.cancelled.connect(self.ask_cancel)
        self.review.change.connect(self.change_answer)
        self.review.back.connect(self.back_to_form)
        self.review.submit.connect(self.submit)
        self.receipt_view.finish.connect(self.finish)
        self.receipt_view.print_receipt.connect(self.print_receipt)
        self.confirm.answered.connect(self.cancel_answered)
        self.idle.keep.connect(self.keep_session)
        prefs.changed.connect(self.on_prefs)
        QApplication.instance().focusChanged.connect(self._focus_changed)  # type: ignore[union-attr]

        # Idle: a warning after idle_warning_seconds, a wipe idle_wipe_seconds later.
        cfg = services.config
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(max(cfg.idle_warning_seconds, 1) * 1000)
        self.idle_timer.timeout.connect(self.idle_warning)
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)
        self.remaining = 0
        self.activity = ActivityFilter(self)
        QApplication.instance().installEventFilter(self.activity)  # type: ignore[union-attr]
        self.activity.active.connect(self.touch)

        self.retranslate()
        self.show_home()

    # -- chrome -----------------------------------------------------------------------
    def retranslate(self) -> None:
        lang = self.prefs.lang
        self.setWindowTitle(t("ui.app_title", lang))
        self.title.setText(t("ui.app_title", lang))
        for b, key in ((self.lang_btn, "lang_button"), (self.a11y_btn, "a11y_button"),
                       (self.staff_btn, "staff_button"), (self.keyboard_btn, "keyboard_show"),
                       (self.home_btn, "home_button")):
            b.setText(t(f"ui.{key}", lang))
            a11y.label(b, b.text(), t(f"ui.{key}_desc", lang))
        self.banner.setText(t("ui.demo_banner", lang))
        self.banner.setVisible(not self.services.enrolled)
        self.keyboard.set_lang(lang)

    def chrome_buttons(self) -> list[QWidget]:
        return [w for w in (self.home_btn, self.keyboard_btn, self.staff_btn, self.a11y_btn, self.lang_btn)
                if w.isVisible()]

    def _show(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        on_home = page is self.home
        self.home_btn.setVisible(page in (self.settings, self.staff) or (page is self.review))
        self.staff_btn.setVisible(on_home)
        # At large text the title gives its room to the buttons and the question.
        self.title.setVisible(self.prefs.scale <= 100)

    def toggle_lang(self) -> None:
        self.prefs.set_lang("en" if self.prefs.lang == "mn" else "mn")

    def on_prefs(self, which: str) -> None:
        app = QApplication.instance()
        if which in ("theme", "scale"):
            theme.apply(app, self.prefs.theme, self.prefs.scale)  # type: ignore[arg-type]
            self.title.setVisible(self.prefs.scale <= 100)
        if which == "read_aloud":
            key = "ui.read_aloud_on_notice" if self.prefs.read_aloud else "ui.read_aloud_off_notice"
            a11y.announce(self, t(key, self.prefs.lang))
            if self.prefs.read_aloud:
                self.reader.say(t(key, self.prefs.lang), self.prefs.lang)
        self.retranslate()
        self.refresh_current()

    def refresh_current(self) -> None:
        page = self.stack.currentWidget()
        if page is self.home:
            self.render_home()
        elif page is self.form:
            self.form.retranslate()
        elif page is self.review and self.flow is not None:
            self.review.render(self.flow, self.prefs.lang)
        elif page is self.receipt_view and self.receipt is not None:
            self.receipt_view.render(self.receipt, self.prefs.lang, self.prefs.scale)
        elif page is self.settings:
            self.settings.render()
        elif page is self.staff:
            self.staff.render()
        elif page is self.confirm:
            self.show_confirm()
        elif page is self.idle:
            self.idle.render(self.prefs.lang, self.remaining)
        if self._return_to is self.form and page is self.settings:
            pass

    def toggle_keyboard(self) -> None:
        self.keyboard.setVisible(not self.keyboard.isVisible())
        if self.keyboard.isVisible():
            self.keyboard.follow_focus(QApplication.focusWidget())
            QTimer.singleShot(0, lambda: self._reveal(QApplication.focusWidget()))

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.keyboard.isVisible():
            self.keyboard.follow_focus(new)
            self._reveal(new)

    def _reveal(self, widget: QWidget | None) -> None:
        """Keep the field being typed into in view above the keyboard."""
        page = self.stack.currentWidget()
        scroller = getattr(page, "page", page)
        if widget is not None and hasattr(scroller, "ensureWidgetVisible") and scroller.isAncestorOf(widget):
            scroller.ensureWidgetVisible(widget, 20, 20)

    # -- screens ----------------------------------------------------------------------
    def render_home(self) -> None:
        catalog = self.services.home_catalog()
        problems = len(getattr(catalog, "problems", []) or [])
        self.home.render(catalog, self.prefs.lang, self.prefs.scale, problems,
                         out_of_service=self.services.secrets_problem)
        a11y.chain_focus([*self.chrome_buttons(), *self.home.focus_order()])

    def show_home(self) -> None:
        self._show(self.home)
        self.render_home()
        tiles = self.home.focus_order()
        if tiles:
            tiles[0].setFocus()

    def open_settings(self) -> None:
        if self.stack.currentWidget() not in (self.settings,):
            self._return_to = self.stack.currentWidget()
        self._show(self.settings)
        self.settings.render()

    def close_settings(self) -> None:
        target = self._return_to or self.home
        self._return_to = None
        if target is self.idle:
            target = self.form if self.flow is not None else self.home
        self._show(target)
        self.refresh_current()

    def go_home_button(self) -> None:
        page = self.stack.currentWidget()
        if page is self.settings:
            self.close_settings()
        elif page is self.staff:
            self.staff.leave()
        elif self.flow is not None:
            self.ask_cancel()
        else:
            self.show_home()

    def open_form(self, form_id: str, answers: dict[str, Any] | None = None, draft_id: str | None = None,
                  position: str | None = None) -> Flow | None:
        if self.services.secrets_problem:
            self.show_home()  # never let a resident fill a form that cannot be kept
            return None
        try:
            session = self.services.new_session(form_id, self.prefs.lang)
            if answers:
                session.restore(answers)
        except KioskError as exc:
            self.show_error(t("ui.error_form_open", self.prefs.lang, message=exc.message))
            return None
        from kiosk.store.ids import uuid7

        self.flow = Flow(session, draft_id or uuid7())
        self.stored_attachments = set()
        if position:
            session.go_to(position)
        self._show(self.form)
        self.form.start(self.flow)
        self.touch()
        return self.flow

    def show_error(self, message: str) -> None:
        log.warning("shown to the resident: %s", message.split(":")[0])
        a11y.announce(self, message, assertive=True)
        self.home.column.insertWidget(1, text_label(message, "error"))

    def show_review(self) -> None:
        if self.flow is None:
            return
        self._show(self.review)
        self.review.render(self.flow, self.prefs.lang)

    def back_to_form(self) -> None:
        self._show(self.form)
        self.form.render()

    def change_answer(self, screen_key: str, entry_key: str) -> None:
        self._show(self.form)
        self.form.go_to(screen_key, entry_key)

    # -- drafts (DB worker) -----------------------------------------------------------
    def _draft_job(self, flow: Flow) -> Any:
        """A function for the DB worker that saves this flow's draft as it is *now*.

        Answers are copied on the GUI thread; the draft ID is fixed when the form
        opens, so saves queued one after the other always update the same row.
        """
        answers = flow.s.answers()
        position = flow.screen_key
        new: dict[str, tuple[bytes, str, str]] = {}
        for sha, source in flow.attachments.items():
            if sha in self.stored_attachments:
                continue
            meta = _attachment_meta(answers, sha)
            if meta is not None:
                data = source if isinstance(source, bytes) else source.read_bytes()
                new[sha] = (data, meta[0], meta[1])
        self.stored_attachments |= set(new)
        form = flow.form
        demo = not self.services.enrolled
        draft_id = flow.draft_id

        def work() -> tuple[str, set[str]]:
            return self.services.save_draft(draft_id, form, answers, position, new, demo)

        return work

    def save_draft(self, flow: Flow) -> None:
        if flow is not self.flow:
            return
        work = self._draft_job(flow)

        def done(result: tuple[str, set[str]]) -> None:
            if self.flow is flow:
                self.draft_saved.emit(result[0])
            elif result[0] and flow.draft_id is None:
                pass

        def failed(exc: BaseException) -> None:
            message = exc.message if isinstance(exc, KioskError) else type(exc).__name__
            log.error("draft save failed: %s", type(exc).__name__)
            self.stored_attachments.clear()  # try them again with the next save
            if self.stack.currentWidget() is self.form:
                self.form.page_title.setText(t("ui.form_saving_failed", self.prefs.lang, message=message))
                self.form.page_title.show()

        self.bridge.run_db(Operation(work, done, failed, "save draft"))

    # -- submit -----------------------------------------------------------------------
    def submit(self) -> None:
        flow = self.flow
        if flow is None:
            return
        lang = self.prefs.lang
        errors = flow.all_errors()
        if errors:
            self.review.render(flow, lang, errors)
            a11y.announce(self.review, t("ui.review_incomplete", lang), assertive=True)
            if self.prefs.read_aloud:
                self.reader.say(t("ui.review_incomplete", lang), lang)
            return
        self.form._save_timer.stop()
        self.review.submit_btn.setEnabled(False)
        self.review.show_status(t("ui.review_submitting", lang))
        save = self._draft_job(flow)
        session = flow.s
        draft_id = flow.draft_id
        title = dict(flow.form.title)

        def work() -> dict[str, Any]:
            save()  # answers and attachments first, then seal: one worker, in order
            return self.services.finalize(draft_id, session)

        def done(fields: dict[str, Any]) -> None:
            if self.flow is not flow:
                return
            info = ReceiptInfo(fields["submission_id"], fields["qr_text"], fields["finalized_at"], title,
                               bool(fields["demo"]))
            self.receipt = info
            self.services.last_receipt = info
            flow.draft_id = None
            self.show_receipt(info)

        def failed(exc: BaseException) -> None:
            message = exc.message if isinstance(exc, KioskError) else t("ui.error_internal", lang)
            if not isinstance(exc, KioskError):
                log.error("finalize failed: %s", type(exc).__name__)
            self.stored_attachments.clear()
            self.review.submit_btn.setEnabled(True)
            text = t("ui.review_failed", self.prefs.lang, message=message)
            self.review.show_status(text, "error")
            a11y.announce(self.review, text, assertive=True)

        self.bridge.run_db(Operation(work, done, failed, "finalize"))

    def show_receipt(self, info: ReceiptInfo) -> None:
        self._show(self.receipt_view)
        self.receipt_view.render(info, self.prefs.lang, self.prefs.scale)
        text = t("ui.submitted_announce", self.prefs.lang, number=info.number)
        a11y.announce(self.receipt_view, text, assertive=True)
        if self.prefs.read_aloud:
            self.reader.say(text, self.prefs.lang)
        self.submitted.emit(info)

    def print_receipt(self, paper: str, pdf: Any = None) -> bool:
        from ui.printing import print_receipt

        info = self.receipt or self.services.last_receipt
        if info is None:
            return False
        lang = self.prefs.lang
        try:
            print_receipt(info, lang, paper, pdf)
        except KioskError as exc:
            ok, self.print_message = False, t("ui.receipt_print_failed", lang, message=exc.message)
        else:
            ok, self.print_message = True, t("ui.receipt_printed", lang)
        if self.stack.currentWidget() is self.receipt_view:
            self.receipt_view.show_status(self.print_message, "ok" if ok else "error")
        a11y.announce(self, self.print_message)
        return ok

    # -- ending a session -------------------------------------------------------------
    def finish(self) -> None:
        self.wipe(discard=False)

    def show_confirm(self) -> None:
        self.confirm.render(self.prefs.lang, "ui.form_cancel_confirm", "ui.form_cancel_yes", "ui.form_cancel_no")

    def ask_cancel(self) -> None:
        self._return_to = self.stack.currentWidget()
        self._show(self.confirm)
        self.show_confirm()

    def cancel_answered(self, yes: bool) -> None:
        if yes:
            self.wipe(discard=True)
        else:
            target = self._return_to or self.form
            self._return_to = None
            self._show(target)
            self.refresh_current()

    def wipe(self, discard: bool = True, reason: str = "discarded") -> None:
        """Clear every widget, the draft (when unfinished), the clipboard and the choices made."""
        flow = self.flow
        self.flow = None
        self.receipt = None
        self.form.stop()
        self.review.page.clear()
        self.receipt_view.page.clear()
        if flow is not None:
            flow.wipe()
            if discard and flow.draft_id:
                draft_id = flow.draft_id
                self.bridge.run_db(Operation(lambda: self.services.discard_draft(draft_id, reason),
                                             label="discard draft"))
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.clear()
        self.countdown.stop()
        self.keyboard.hide()
        self.reader.stop()
        self._return_to = None
        self.prefs.reset()
        self.show_home()
        self.wiped.emit()

    # -- idle -------------------------------------------------------------------------
    def touch(self) -> None:
        if self.stack.currentWidget() is self.idle:
            return
        if self.flow is not None or self.stack.currentWidget() is not self.home:
            self.idle_timer.start()
        else:
            self.idle_timer.stop()

    def idle_warning(self) -> None:
        if self.flow is None and self.stack.currentWidget() is self.home:
            return
        self._return_to = self.stack.currentWidget()
        self.remaining = max(self.services.config.idle_wipe_seconds, 1)
        self._show(self.idle)
        self.idle.render(self.prefs.lang, self.remaining)
        a11y.announce(self.idle, t("ui.idle_title", self.prefs.lang), assertive=True)
        if self.prefs.read_aloud:
            self.reader.say(f"{t('ui.idle_title', self.prefs.lang)} {self.idle.body_label.text()}", self.prefs.lang)
        self.countdown.start()

    def _tick(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.wipe(discard=True, reason="wiped")
            return
        self.idle.tick(self.remaining)

    def keep_session(self) -> None:
        self.countdown.stop()
        target = self._return_to or self.home
        self._return_to = None
        self._show(target)
        self.refresh_current()
        self.idle_timer.start()

    # -- staff ------------------------------------------------------------------------
    def open_staff(self) -> None:
        self._show(self.staff)
        self.staff.start()

    # -- lockdown ---------------------------------------------------------------------
    #: Set by ui.app.run on a real kiosk (full screen): Alt+F4, the window manager's
    #: close and any other close request are refused; only staff can quit (behind the PIN).
    locked = False
    _quit_allowed = False

    def quit_kiosk(self) -> None:
        """Staff "close the kiosk program": the one sanctioned way out of lockdown."""
        self.form.flush()
        self._quit_allowed = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.locked and not self._quit_allowed:
            event.ignore()
            return
        self.form.flush()
        super().closeEvent(event)


def _attachment_meta(answers: Any, sha: str) -> tuple[str, str] | None:
    """(name, media type) of the attachment answer with this SHA-256, anywhere in the answers."""
    if isinstance(answers, dict):
        if answers.get("sha256") == sha and "media_type" in answers:
            return str(answers.get("name", "file")), str(answers["media_type"])
        for value in answers.values():
            found = _attachment_meta(value, sha)
            if found:
                return found
    elif isinstance(answers, list):
        for value in answers:
            found = _attachment_meta(value, sha)
            if found:
                return found
    return None


class ActivityFilter(QObject):
    """Any touch, click or key anywhere counts as "the resident is still here"."""

    active = Signal()
    KINDS = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        # Every event of the application passes here: the cheap test first.
        if event.spontaneous() and event.type() in self.KINDS:
            self.active.emit()
        return False


__all__ = ["KioskWindow", "Qt"]
