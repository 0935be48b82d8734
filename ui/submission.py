"""Submitting a finished form: last checks, sealing on the DB worker, the receipt, printing it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kiosk.errors import KioskError
from kiosk.i18n import t
from ui import a11y
from ui.bridge import Operation, failure_words
from ui.views.receipt import ReceiptInfo

if TYPE_CHECKING:
    from ui.shell import Shell

log = logging.getLogger("kiosk.ui")


class Submission:
    def __init__(self, window: Shell) -> None:
        self.win = window

    def submit(self) -> None:
        win = self.win
        flow = win.flow
        if flow is None:
            return
        lang = win.prefs.lang
        errors = flow.all_errors()
        if errors:
            win.review.present(flow, lang, errors)
            a11y.announce(win.review, t("ui.review_incomplete", lang), assertive=True)
            if win.prefs.read_aloud:
                win.reader.say(t("ui.review_incomplete", lang), lang)
            return
        win.form.cancel_pending_save()
        win.review.submit_btn.setEnabled(False)
        win.review.show_status(t("ui.review_submitting", lang))
        save = win.draft_job(flow)
        session = flow.s
        draft_id = flow.draft_id
        title = dict(flow.form.title)
        services = win.services

        def work() -> dict[str, Any]:
            save()  # answers and attachments first, then seal: one worker, in order
            return services.finalize(draft_id, session)

        def done(fields: dict[str, Any]) -> None:
            if win.flow is not flow:
                return
            info = ReceiptInfo(fields["submission_id"], fields["qr_text"], fields["finalized_at"], title,
                               bool(fields["demo"]), kept=bool(fields.get("kept")))
            win.receipt = info
            services.last_receipt = info
            flow.draft_id = None
            self.show_receipt(info)

        def failed(exc: BaseException) -> None:
            message = failure_words(exc, lang)
            win.stored_attachments.clear()
            win.review.submit_btn.setEnabled(True)
            text = t("ui.review_failed", win.prefs.lang, message=message)
            win.review.show_status(text, "error")
            a11y.announce(win.review, text, assertive=True)

        win.bridge.run_db(Operation(work, done, failed, "finalize"))

    def show_receipt(self, info: ReceiptInfo) -> None:
        win = self.win
        win.show_page(win.receipt_view)
        win.receipt_view.present(info, win.prefs.lang, win.prefs.scale)
        text = t("ui.submitted_announce", win.prefs.lang, number=info.number)
        a11y.announce(win.receipt_view, text, assertive=True)
        if win.prefs.read_aloud:
            win.reader.say(text, win.prefs.lang)
        win.submitted.emit(info)

    def print_receipt(self, paper: str, pdf: Any = None) -> bool:
        from ui.printing import print_receipt

        win = self.win
        info = win.receipt or win.services.last_receipt
        if info is None:
            return False
        lang = win.prefs.lang
        try:
            print_receipt(info, lang, paper, pdf)
        except KioskError as exc:
            ok, win.print_message = False, t("ui.receipt_print_failed", lang,
                                             message=failure_words(exc, lang))
        else:
            ok, win.print_message = True, t("ui.receipt_printed", lang)
        if win.showing("receipt_view"):
            win.receipt_view.show_status(win.print_message, "ok" if ok else "error")
        win.announce(win.print_message)
        return ok
