"""Ending a resident's session: Finish after the receipt, Cancel (with a confirmation),
and the wipe that leaves nothing of them behind (widgets, draft, clipboard). The
accessibility choices (size, contrast, read-aloud, language) belong to the visit, not
the form: only the idle wipe, when the resident has gone, resets them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ui.bridge import Operation
from ui.qt import QApplication

if TYPE_CHECKING:
    from ui.shell import Shell


WIPED = "wiped"  # the idle wipe's reason: the resident has gone


class SessionEnd:
    def __init__(self, window: Shell) -> None:
        self.win = window

    def show_confirm(self) -> None:
        self.win.confirm.present(self.win.prefs.lang, "ui.form_cancel_confirm", "ui.form_cancel_yes",
                                "ui.form_cancel_no")

    def ask_cancel(self) -> None:
        win = self.win
        win.remember_return()
        win.show_page(win.confirm)
        self.show_confirm()

    def cancel_answered(self, yes: bool) -> None:
        win = self.win
        if yes:
            self.wipe(discard=True)
        else:
            target = win.take_return() or win.form
            win.show_page(target)
            win.refresh_current()

    def wipe(self, discard: bool = True, reason: str = "discarded") -> None:
        """Clear every widget, the draft (when unfinished), the clipboard and the choices made."""
        win = self.win
        flow = win.flow
        win.flow = None
        win.receipt = None
        for name in ("form", "review", "receipt_view"):
            page = win.built_screen(name)
            if page is None:
                continue  # never shown: nothing of anyone in it
            if name == "form":
                page.stop()  # type: ignore[attr-defined]
            else:
                page.page.clear()  # type: ignore[attr-defined]
        if flow is not None:
            flow.wipe()
            if discard and flow.draft_id:
                draft_id = flow.draft_id
                services = win.services
                win.bridge.run_db(Operation(lambda: services.discard_draft(draft_id, reason),
                                            label="discard draft"))
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.clear()
        win.stop_idle_countdown()
        win.hide_keyboard()
        win.reader.stop()
        win.take_return()  # nothing to come back to
        if reason == WIPED:  # the visit is over (idle): the next resident starts afresh
            win.prefs.reset()
        win.show_home()
        win.wiped.emit()
