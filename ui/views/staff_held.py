"""The staff screen's "Held" section: submissions a server cannot take now for a reason
an operator can fix (form closed or deleted, kiosk not assigned …), counted by reason in
plain words (mn/en), and "Send again" once the server side is fixed (issue 20). Nothing
personal is shown: reasons and counts only."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kiosk.destination import held_words
from kiosk.i18n import t
from ui.bridge import Operation, failure_words
from ui.widgets.common import button, text_label


def render_held(view: Any, lang: str) -> None:
    """Add the section to the staff dashboard ``view`` (ui.views.staff.StaffView) when
    any submission is held."""
    snap = view.snapshot
    held = list(snap.held) if snap is not None else []
    if not held:
        return
    box = view._section(t("ui.staff_held", lang))
    for reason, n in sorted(Counter(h.reason for h in held).items()):
        box.addWidget(text_label(t("store.status_held_reason", lang,
                                   reason=held_words(reason, lang), count=n)))
    again = button(t("ui.staff_send_again", lang), t("ui.staff_send_again_desc", lang),
                   "primary", name="send-again")

    def done(count: int) -> None:  # the screen may have been rebuilt meanwhile: say it anew
        view.message = ("ui.staff_sent_again", {"count": count})
        loop = getattr(view.win, "sync_loop", None)
        if loop is not None:
            loop.wake()
        view.refresh()

    def failed(exc: BaseException) -> None:
        view.message = ("ui.error_generic", {"message": failure_words(exc, view.win.prefs.lang)})
        view.refresh()

    again.clicked.connect(lambda: view.win.bridge.run_db(
        Operation(view.win.services.send_again, done, failed, "send again")))
    box.addWidget(again)
    view.controls.append(again)
