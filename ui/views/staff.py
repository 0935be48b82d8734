"""Staff mode behind the PIN: queue figures, failures with reasons, sync now, drafts,
reprint, diagnostics. Every figure is read on the DB worker; nothing personal is shown
(drafts are listed by service and time only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.i18n import pick, t
from kiosk.pin import PinCheck, PinOutcome
from ui import a11y
from ui.bridge import Operation, failure_words
from ui.qt import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    Qt,
    QVBoxLayout,
    QWidget,
)
from ui.services import StaffSnapshot
from ui.views.diagnostics import check_row, summary_line
from ui.widgets.common import Page, button, text_label

if TYPE_CHECKING:
    from ui.shell import Shell


class StaffView(Page):
    def __init__(self, window: Shell) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.win = window
        self.unlocked = False
        self.snapshot: StaffSnapshot | None = None
        self.checks: list[Any] | None = None
        self.checks_lang = ""
        self.message: str | tuple[str, dict[str, Any]] = ""
        self.pin_edit: QLineEdit | None = None
        self.drafts_list: QListWidget | None = None
        self.controls: list[QWidget] = []
        self.quit_asked = False  # "close the kiosk program" tapped: the question is shown
        self.no_quit: QWidget | None = None
        self.sync_status: dict[str, Any] = dict(window.listener.latest)  # built on first use
        window.listener.status_changed.connect(self.on_status)

    def on_status(self, status: dict[str, Any]) -> None:
        """Batched sync status from the background loop (GUI thread, via StatusListener)."""
        self.sync_status.update(status)
        if self.unlocked and self.win.stack.currentWidget() is self:
            self.refresh()

    @property
    def lang(self) -> str:
        return self.win.prefs.lang

    def message_text(self) -> str:
        """The status line in the current language (a catalog key is kept, not its text,
        so switching language on this screen rewords it)."""
        if isinstance(self.message, tuple):
            key, params = self.message
            return t(key, self.lang, **params)
        return self.message

    def start(self) -> None:
        self.unlocked = False
        self.quit_asked = False
        self.message = ""
        self.present()

    def leave(self) -> None:
        self.unlocked = False
        self.quit_asked = False
        self.snapshot = None
        self.checks = None
        self.win.show_home()

    def present(self) -> None:
        self.clear()
        self.controls = []
        if self.unlocked:
            self._render_dashboard()
        else:
            self._render_pin()
        self.column.addStretch(1)
        self.show_all()
        a11y.chain_focus(self.controls)

    # -- PIN --------------------------------------------------------------------------
    def _render_pin(self) -> None:
        """Title, field, Enter and Leave on the left, the keypad beside them: stacked, at 200 %
        on a 768-px screen Enter and Leave fell below the fold."""
        lang = self.lang
        large = self.win.prefs.scale >= 150
        left = QVBoxLayout()
        left.setSpacing(16)
        left.addWidget(text_label(t("ui.staff_pin_title", lang), "question" if large else "title"))
        self.pin_edit = QLineEdit()
        self.pin_edit.setObjectName("pin")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setProperty("keypad", "numeric")
        self.pin_edit.setMaxLength(12)
        a11y.label(self.pin_edit, t("ui.staff_pin_title", lang), t("ui.staff_pin_desc", lang))
        self.pin_edit.returnPressed.connect(self.try_pin)
        left.addWidget(self.pin_edit)
        enter = button(t("ui.staff_pin_enter", lang), t("ui.staff_pin_enter_desc", lang), "primary",
                       name="pin-enter")
        enter.clicked.connect(self.try_pin)
        leave = button(t("ui.staff_exit", lang), t("ui.staff_exit_desc", lang), name="staff-exit")
        leave.clicked.connect(self.leave)
        _button_row(left, [enter, leave])
        if self.message:
            msg = text_label(self.message_text(), "error")
            msg.setObjectName("pinMessage")
            left.addWidget(msg)
        left.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(32)
        row.addLayout(left, 1)
        row.addWidget(self._pin_pad(lang), 0, Qt.AlignmentFlag.AlignTop)
        self.column.addLayout(row)
        self.controls = [self.pin_edit, enter, leave]
        self.pin_edit.setFocus()

    def _pin_pad(self, lang: str) -> QWidget:
        """Digits, 0 and backspace; the keys never take the focus from the field."""
        pad_host = QWidget()
        pad = QGridLayout(pad_host)
        pad.setContentsMargins(0, 0, 0, 0)
        pad.setSpacing(8)
        keys = [(k, t("ui.keyboard_key_desc", lang, key=k), f"pin-{k}", (i // 3, i % 3))
                for i, k in enumerate("1234567890")]
        keys[-1] = ("0", keys[-1][1], "pin-0", (3, 1))
        keys.append(("⌫", t("ui.keyboard_backspace", lang), "pin-back", (3, 2)))
        for text, desc, name, (r, c) in keys:
            b = button(text, desc, "key", name=name)
            b.setProperty("pad", "pin")  # grows with the text size (kiosk.qss)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=text: self._pin_key(k))
            pad.addWidget(b, r, c)
        return pad_host

    def _pin_key(self, key: str) -> None:
        if self.pin_edit is None:
            return
        if key == "⌫":
            self.pin_edit.backspace()
        else:
            self.pin_edit.insert(key)

    def try_pin(self) -> None:
        pin = self.pin_edit.text() if self.pin_edit is not None else ""
        if self.pin_edit is not None:
            self.pin_edit.clear()

        def done(result: PinCheck) -> None:
            if result.ok:
                self.unlocked = True
                self.message = ""
                self.present()
                self.refresh()
                return
            if result.outcome is PinOutcome.LOCKED:
                self.message = _text("ui.staff_pin_locked", seconds=result.seconds)
            elif result.outcome is PinOutcome.NOT_SET:
                self.message = _text("ui.staff_pin_not_set")
            else:
                self.message = _text("ui.staff_pin_wrong")
            self.present()
            a11y.announce(self, self.message_text(), assertive=True)

        self.win.bridge.run_db(Operation(lambda: self.win.services.check_pin(pin), done, label="check pin"))

    # -- dashboard --------------------------------------------------------------------
    def refresh(self) -> None:
        def done(snap: StaffSnapshot) -> None:
            self.snapshot = snap
            if self.unlocked and self.win.stack.currentWidget() is self:
                self.present()

        def failed(exc: BaseException) -> None:
            self.message = _text("ui.error_generic", message=failure_words(exc, self.win.prefs.lang))
            self.present()

        self.win.bridge.run_db(Operation(self.win.services.staff_snapshot, done, failed, "staff snapshot"))

    def run_diagnostics(self) -> None:
        lang = self.lang

        def done(checks: list[Any]) -> None:
            self.checks = checks
            self.checks_lang = lang
            self.present()

        def failed(exc: BaseException) -> None:
            self.checks = []
            self.message = _text("ui.staff_diagnostics_unavailable")
            self.present()

        self.win.bridge.run_net(Operation(lambda: self.win.services.doctor(lang), done, failed,
                                          "doctor"))

    def sync_now(self) -> None:
        loop = getattr(self.win, "sync_loop", None)
        if loop is None:
            self.message = _text("ui.staff_sync_unavailable")
        else:
            loop.wake()
            self.message = _text("ui.staff_sync_running")
        self.present()

    def _section(self, title: str) -> QVBoxLayout:
        card = QFrame()
        card.setProperty("role", "card")
        box = QVBoxLayout(card)
        box.setContentsMargins(20, 16, 20, 16)
        box.setSpacing(10)
        box.addWidget(text_label(title, "question"))
        self.column.addWidget(card)
        return box

    def _render_dashboard(self) -> None:
        lang = self.lang
        self.column.addWidget(text_label(t("ui.staff_title", lang), "title"))
        problem = self.win.services.secrets_problem
        if problem:  # why the resident's home says "not working": the detail, for staff only
            self.column.addWidget(text_label(t("ui.home_out_of_service_staff", lang, reason=problem), "error"))
        if self.message:
            self.column.addWidget(text_label(self.message_text(), "hint"))
        if self.sync_status.get("last_error"):
            self.column.addWidget(text_label(t("ui.staff_failed_item", lang, number=str(
                self.sync_status.get("state", "")), reason=str(self.sync_status["last_error"])), "error"))
        snap = self.snapshot
        queue = self._section(t("ui.staff_queue", lang))
        if snap is None:
            queue.addWidget(text_label(t("ui.staff_loading", lang), "hint"))
        else:
            if not snap.store_available:
                queue.addWidget(text_label(t("ui.staff_store_offline", lang), "error"))
            counts = dict(snap.counts)
            counts.setdefault("draft", len(snap.drafts))
            for state in ("draft", "queued", "sealed", "sent", "held", "acknowledged",
                          "rejected"):
                if state == "sealed":
                    continue
                n = counts.get(state, 0) + (counts.get("sealed", 0) if state == "queued" else 0)
                label = t(f"ui.staff_state_{state}", lang)
                queue.addWidget(text_label(t("ui.staff_count", lang, state=label, count=n)))
        sync = button(t("ui.staff_sync_now", lang), t("ui.staff_sync_now_desc", lang), "primary", name="sync-now")
        sync.clicked.connect(self.sync_now)
        refresh = button(t("ui.staff_refresh", lang), t("ui.staff_refresh_desc", lang), name="staff-refresh")
        refresh.clicked.connect(self.refresh)
        _button_row(queue, [sync, refresh])
        self.controls += [sync, refresh]

        if snap is not None and snap.odk is not None:
            self._render_odk(snap.odk, lang)

        from ui.views.staff_held import render_held
        from ui.views.staff_location import render_location

        render_held(self, lang)

        render_location(self, lang)

        failed = self._section(t("ui.staff_failed", lang))
        items = snap.failed if snap is not None else []
        if not items:
            failed.addWidget(text_label(t("ui.staff_failed_none", lang), "hint"))
        from kiosk.receipt import receipt_number

        for number, reason in items:  # the number on the resident's receipt
            failed.addWidget(text_label(t("ui.staff_failed_item", lang, number=receipt_number(number),
                                          reason=reason)))

        drafts = self._section(t("ui.staff_drafts", lang))
        self.drafts_list = None
        if snap is None or not snap.drafts:
            drafts.addWidget(text_label(t("ui.staff_drafts_none", lang), "hint"))
        else:
            self.drafts_list = QListWidget()
            a11y.label(self.drafts_list, t("ui.staff_drafts", lang))
            for d in snap.drafts:
                title = d["form_id"]
                try:
                    title = pick(self.win.services.form(d["form_id"]).title, lang)
                except Exception:  # noqa: BLE001 - a form gone from the catalog keeps its id
                    pass
                item = QListWidgetItem(t("ui.staff_draft_item", lang, title=title, when=d["when"][:16]))
                item.setData(Qt.ItemDataRole.UserRole, d)
                self.drafts_list.addItem(item)
            self.drafts_list.setCurrentRow(0)
            self.drafts_list.setMinimumHeight(min(4, len(snap.drafts)) * 64 + 16)
            drafts.addWidget(self.drafts_list)
            resume = button(t("ui.staff_resume", lang), t("ui.staff_resume_desc", lang), name="draft-resume")
            discard = button(t("ui.staff_discard", lang), t("ui.staff_discard_desc", lang), name="draft-discard")
            resume.clicked.connect(self.resume_selected)
            discard.clicked.connect(self.discard_selected)
            _button_row(drafts, [resume, discard])
            self.controls += [self.drafts_list, resume, discard]

        tools = self._section(t("ui.staff_diagnostics", lang))
        reprint = button(t("ui.staff_reprint", lang), t("ui.staff_reprint_desc", lang), name="reprint")
        reprint.clicked.connect(self.reprint)
        diag = button(t("ui.staff_diagnostics", lang), t("ui.staff_diagnostics_desc", lang), name="diagnostics")
        diag.clicked.connect(self.run_diagnostics)
        _button_row(tools, [reprint, diag])
        self.controls += [reprint, diag]
        problems = getattr(self.win.services.catalog, "problems", []) or []
        if problems:
            tools.addWidget(text_label(t("ui.staff_problems", lang, items="; ".join(
                str(getattr(p, "file", p)) for p in problems)), "error"))
        if self.checks and self.checks_lang != lang:
            # The checks speak the language they were run in: run them again in this one.
            self.run_diagnostics()
        elif self.checks:
            tools.addWidget(text_label(summary_line(self.checks, lang), "hint"))
            for check in self.checks:
                tools.addWidget(check_row(check, lang))
        leave = button(t("ui.staff_exit", lang), t("ui.staff_exit_desc", lang), name="staff-exit")
        leave.clicked.connect(self.leave)
        # The only way out of the locked-down kiosk: behind the PIN, for maintenance.
        quit_btn = button(t("ui.staff_quit", lang), t("ui.staff_quit_desc", lang), name="staff-quit")
        quit_btn.clicked.connect(self._ask_quit)
        _button_row(self.column, [leave, quit_btn])
        self.controls += [leave, quit_btn]
        if self.quit_asked:
            self._render_quit_question(lang)

    def _ask_quit(self) -> None:
        """Closing the program leaves the kiosk dark until someone starts it: ask first."""
        self.quit_asked = True
        self.present()
        if self.no_quit is not None:
            self.no_quit.setFocus()
            self.reveal(self.no_quit)

    def _render_quit_question(self, lang: str) -> None:
        self.column.addWidget(text_label(t("flow.staff_quit_confirm", lang), "question"))
        yes = button(t("flow.staff_quit_yes", lang), t("flow.staff_quit_yes", lang), name="staff-quit-yes")
        yes.clicked.connect(self.win.quit_kiosk)
        self.no_quit = button(t("flow.staff_quit_no", lang), t("flow.staff_quit_no", lang), "primary",
                              name="staff-quit-no")
        self.no_quit.clicked.connect(self._keep_running)
        _button_row(self.column, [self.no_quit, yes])
        self.controls += [self.no_quit, yes]

    def _keep_running(self) -> None:
        self.quit_asked = False
        self.present()

    def _render_odk(self, odk: dict[str, Any], lang: str) -> None:
        """The ODK server this kiosk delivers to (token masked) and where its items are."""
        box = self._section(t("odk.staff_title", lang))
        box.addWidget(text_label(t("odk.staff_server", lang, url=odk.get("url", ""))))
        counts = odk.get("counts") or {}
        waiting = sum(counts.get(s, 0) for s in ("sealed", "queued", "sent"))
        box.addWidget(text_label(t("odk.staff_counts", lang, waiting=waiting,
                                   delivered=counts.get("acknowledged", 0),
                                   refused=counts.get("rejected", 0))))

    def _selected_draft(self) -> dict[str, str] | None:
        if self.drafts_list is None or self.drafts_list.currentItem() is None:
            return None
        return self.drafts_list.currentItem().data(Qt.ItemDataRole.UserRole)

    def resume_selected(self) -> None:
        d = self._selected_draft()
        if d is None:
            return

        def done(result: tuple[str, dict[str, Any], Any, dict[str, Any]]) -> None:
            form_id, answers, position, kept = result
            self.unlocked = False
            self.win.open_form(form_id, answers, d["id"], position if isinstance(position, str) else None,
                               kept=kept)

        def failed(exc: BaseException) -> None:
            self.message = _text("ui.error_generic", message=failure_words(exc, self.win.prefs.lang))
            self.present()

        self.win.bridge.run_db(Operation(lambda: self.win.services.resume_draft(d["id"]), done, failed,
                                         "resume draft"))

    def discard_selected(self) -> None:
        d = self._selected_draft()
        if d is None:
            return
        self.win.bridge.run_db(Operation(lambda: self.win.services.discard_draft(d["id"]),
                                         lambda _r: self.refresh(), label="discard draft"))

    def reprint(self) -> None:
        """Print the newest submission's receipt again (read from the store)."""
        from ui.views.receipt import ReceiptInfo

        def done(fields: dict[str, Any] | None) -> None:
            if fields is None:
                self.message = _text("ui.staff_reprint_none")
                self.present()
                return
            try:
                title = dict(self.win.services.form(fields["form_id"]).title)
            except Exception:  # noqa: BLE001 - a form gone from the catalog: print its id
                title = {"mn": fields["form_id"], "en": fields["form_id"]}
            info = ReceiptInfo(fields["submission_id"], fields["qr_text"], fields["finalized_at"], title,
                               fields["demo"])
            previous = self.win.receipt
            self.win.receipt = info
            self.win.print_receipt("80mm")
            self.win.receipt = previous
            self.message = self.win.print_message
            self.present()

        self.win.bridge.run_db(Operation(self.win.services.latest_receipt, done, label="reprint"))


def _text(key: str, **params: Any) -> tuple[str, dict[str, Any]]:
    """A status line to word at render time, in whatever language is current then."""
    return key, params


def _button_row(column: Any, buttons: list[QWidget]) -> None:
    """Buttons side by side at the left of a staff section (the rest of the row is empty)."""
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b)
    row.addStretch(1)
    column.addLayout(row)
