"""Saving the resident's draft on the DB worker while a form is being filled.

Answers are copied on the GUI thread; only the copy travels to the worker, so a
resident typing on never races a save. Attachments are stored once (by SHA-256).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.errors import KioskError
from kiosk.i18n import t
from ui.bridge import Operation
from ui.flow import Flow
from ui.qt import is_valid

if TYPE_CHECKING:
    from ui.shell import Shell

log = logging.getLogger("kiosk.ui")


class Drafts:
    def __init__(self, window: Shell) -> None:
        self.win = window

    def job(self, flow: Flow) -> Callable[[], tuple[str, set[str]]]:
        """A function for the DB worker that saves this flow's draft as it is *now*.

        Answers are copied on the GUI thread; the draft ID is fixed when the form
        opens, so saves queued one after the other always update the same row.
        """
        win = self.win
        answers = flow.s.answers()
        kept = flow.s.kept()  # once() results and the like: a resumed form keeps them
        position = flow.screen_key
        new: dict[str, tuple[bytes, str, str]] = {}
        for sha, source in flow.attachments.items():
            if sha in win.stored_attachments:
                continue
            meta = attachment_meta(answers, sha)
            if meta is not None:
                data = source if isinstance(source, bytes) else source.read_bytes()
                new[sha] = (data, meta[0], meta[1])
        win.stored_attachments |= set(new)
        form = flow.form
        demo = not win.services.enrolled
        draft_id = flow.draft_id
        services = win.services

        def work() -> tuple[str, set[str]]:
            return services.save_draft(draft_id, form, answers, position, new, demo, kept=kept)

        return work

    def save(self, flow: Flow) -> None:
        win = self.win
        if flow is not win.flow:
            return
        work = self.job(flow)

        def done(result: tuple[str, set[str]]) -> None:
            # The draft is saved either way; a window Qt already deleted hears nothing.
            if win.flow is flow and is_valid(win):
                win.draft_saved.emit(result[0])

        def failed(exc: BaseException) -> None:
            message = exc.message if isinstance(exc, KioskError) else type(exc).__name__
            log.error("draft save failed: %s", type(exc).__name__)
            win.stored_attachments.clear()  # try them again with the next save
            if win.showing("form"):
                win.form.page_title.setText(t("ui.form_saving_failed", win.prefs.lang, message=message))
                win.form.page_title.show()

        win.bridge.run_db(Operation(work, done, failed, "save draft"))


def attachment_meta(answers: Any, sha: str) -> tuple[str, str] | None:
    """(name, media type) of the attachment answer with this SHA-256, anywhere in the answers."""
    if isinstance(answers, dict):
        if answers.get("sha256") == sha and "media_type" in answers:
            return str(answers.get("name", "file")), str(answers["media_type"])
        for value in answers.values():
            found = attachment_meta(value, sha)
            if found:
                return found
    elif isinstance(answers, list):
        for value in answers:
            found = attachment_meta(value, sha)
            if found:
                return found
    return None
