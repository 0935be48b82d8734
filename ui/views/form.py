"""The form: one question per screen (or a group page), progress, Back and Next.

Every edit goes straight into the FormSession (so a language switch, which
re-renders the screen, loses nothing) and schedules a draft save on the DB
worker. Validation appears next to the field in plain words once the
resident presses Next (and then live, as they fix it); skip logic is the
session's, re-evaluated on every answer. One question's own parts (label, hint,
input, error line) are ui/views/question.py's; this module lays a screen of them out
and moves between screens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.i18n import t
from ui import a11y
from ui.flow import Entry, Flow
from ui.qt import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.speech import Reader
from ui.state import Prefs
from ui.views.question import TYPED_IN, ChoiceText, QuestionBlock
from ui.widgets import Context, make_widget
from ui.widgets.common import Page, button, button_bar, restyle, text_label


class FormView(QWidget):
    """Drives a :class:`Flow`; tells the window when to review or go home."""

    to_review = Signal()
    cancelled = Signal()
    answer_changed = Signal(str)
    rendered = Signal()  # a screen was drawn (the window puts the keyboard away if nothing is typed here)

    def __init__(self, prefs: Prefs, reader: Reader, save_draft: Callable[[Flow], None]) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.prefs = prefs
        self.reader = reader
        self.save_draft = save_draft
        self.flow: Flow | None = None
        self.blocks: dict[str, QuestionBlock] = {}
        self.checked = False  # errors are shown live once Next was pressed on this screen
        self.from_review = False  # "Change" on the review: Next goes back there once all is well
        self.max_attachment_kb = 4096
        self.repeat_controls: list[QWidget] = []
        self.repeat_rows: dict[str, list[Any]] = {}  # repeat entry key -> its RepeatRow widgets
        self.scans_folder = ""  # config scans_folder, for the attachment picker
        self.location = ""  # config location, for geopoint questions

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.head = head = QFrame()
        head_box = QVBoxLayout(head)
        head_box.setContentsMargins(32, 10, 32, 0)
        head_box.setSpacing(4)
        self.form_title = text_label("", "formtitle")
        self.page_title = text_label("", "error")
        top = QHBoxLayout()
        top.addWidget(self.form_title, 1)
        self.progress = QLabel()
        self.progress.setProperty("role", "progress")
        top.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignTop)
        head_box.addLayout(top)
        # the form's own languages (a form in Kazakh, French …): its texts only, the
        # kiosk's buttons stay in the kiosk's language
        self.lang_row = QHBoxLayout()
        self.lang_buttons: dict[str, Any] = {}
        head_box.addLayout(self.lang_row)
        head_box.addWidget(self.page_title)
        self.page_title.hide()  # shown only for a draft-save problem
        outer.addWidget(head)
        self.page = Page()
        outer.addWidget(self.page, 1)
        self.back = button("", "", name="back")
        self.cancel = button("", "", name="cancel")
        self.read = button("", "", name="read")
        self.next = button("", "", "primary", name="next")
        # A repeat screen's "Add": in the bar, so it never scrolls away or under the bar.
        self.add = button("", "", name="repeat-add")
        self.add.hide()
        self._add_for: Entry | None = None
        self.add.clicked.connect(lambda: self._add_item(self._add_for) if self._add_for else None)
        self.back.clicked.connect(self.go_back)
        self.next.clicked.connect(self.go_next)
        self.cancel.clicked.connect(self.cancelled.emit)
        self.read.clicked.connect(lambda: self.read_aloud(force=True))
        button_bar(outer, [self.back, self.cancel], [self.read, self.add, self.next])
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(400)
        self._save_timer.timeout.connect(self._save_now)

    def make_room(self, keyboard_open: bool) -> None:
        """With the on-screen keyboard open at large text, the form's title and progress line
        gives its height to the question (at 200 % that keeps the hint and the field above
        the keys); it comes back when the keyboard is put away."""
        self.head.setVisible(not keyboard_open or self.prefs.scale <= 100)  # room enough at 100 %
        self.page.set_typing(keyboard_open)
        if keyboard_open:
            QTimer.singleShot(0, self, self.page.reveal_focus)  # after the keys took their room

    # -- lifecycle --------------------------------------------------------------------
    def start(self, flow: Flow) -> None:
        self.flow = flow
        self.checked = False
        self.from_review = False
        self._language_buttons(flow)
        self.present()

    def _language_buttons(self, flow: Flow) -> None:
        """One button per language of the form when it has a choice to offer (Flow.languages)."""
        while self.lang_row.count():  # the last form's buttons and stretch
            item = self.lang_row.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.deleteLater()
        self.lang_buttons = {}
        for code, name in flow.languages().items():
            b = button(name, t("ui.form_language_desc", self.prefs.lang), name=f"form-lang-{code}")
            b.clicked.connect(lambda _=False, c=code: self.set_form_language(c))
            self.lang_row.addWidget(b)
            b.show()
            self.lang_buttons[code] = b
        if self.lang_buttons:
            self.lang_row.addStretch(1)

    def set_form_language(self, code: str) -> None:
        """Show the form's texts in ``code`` (one of its languages); nothing typed is lost."""
        if self.flow is None:
            return
        self.flow.form_lang = code
        self.flow.changed()
        self.present(focus=False)

    def stop(self) -> None:
        self._save_timer.stop()
        self.flow = None
        self.blocks = {}
        self.page.clear()

    def cancel_pending_save(self) -> None:
        """Drop the draft save queued by the last answer (the caller saves itself)."""
        self._save_timer.stop()

    def flush(self) -> None:
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._save_now()

    def _save_now(self) -> None:
        if self.flow is not None:
            self.save_draft(self.flow)

    # -- rendering --------------------------------------------------------------------
    def present(self, focus: bool = True) -> None:
        flow = self.flow
        if flow is None:
            return
        lang = self.prefs.lang
        tl = flow.text_lang(lang)  # the form's own texts (its language may not be the kiosk's)
        self._render_bar(flow, lang, tl)
        flow.set_lang(tl)
        title, section = flow.title(tl), flow.page_title()
        self.form_title.setText(f"{title} — {section}" if section and section != title else title)
        self.page_title.hide()
        local = {key: b.local_error for key, b in self.blocks.items() if b.local_error}
        self.page.clear(keep_scroll=not focus)
        self.blocks = {}
        self.repeat_controls = []
        self.repeat_rows = {}
        for entry in flow.entries():
            block = self.blocks[entry.key] = self._block(flow, entry, lang, tl)
            block.local_error = local.get(entry.key, "")
            self.page.column.addWidget(block)
            block.show()  # now, not on the next event loop pass: keys typed at once reach it
        self._render_repeats(flow, lang)
        self.page.column.addStretch(1)
        if self.checked:
            self._show_errors()
        a11y.chain_focus([*self.input_widgets(), self.back, self.cancel, self.read, self.add, self.next])
        if focus:
            self._focus_first()
        self.read_aloud()
        self.rendered.emit()

    def _render_bar(self, flow: Flow, lang: str, tl: str) -> None:
        """Progress, the buttons in the kiosk's language, Read aloud (or why it is silent)
        for the form's language ``tl``, and which of the form's languages is shown."""
        self.progress.setText(t("ui.form_progress", lang, index=flow.index + 1, count=flow.count))
        a11y.label(self.progress, self.progress.text(),
                   t("ui.form_progress_desc", lang, index=flow.index + 1, count=flow.count))
        for b, key in ((self.back, "form_back"), (self.cancel, "form_cancel"), (self.read, "form_read"),
                       (self.next, "form_next")):
            b.setText(t(f"ui.{key}", lang))
            a11y.label(b, b.text(), t(f"ui.{key}_desc", lang))
        self.back.setEnabled(flow.index > 0)
        self.read.setVisible(self.prefs.read_aloud)
        if self.prefs.read_aloud and not self.reader.has_voice(tl):  # say why nothing is heard
            self.read.setText(t("ui.form_read_no_voice", lang))
            why = f"ui.a11y_read_aloud_no_voice_{tl}" if tl in ("mn", "en") else "ui.a11y_read_aloud_no_voice_form"
            a11y.label(self.read, self.read.text(), t(why, lang))
        self.read.setEnabled(not self.prefs.read_aloud or self.reader.has_voice(tl))
        for code, b in self.lang_buttons.items():
            restyle(b, "role", "primary" if code == tl else "")

    def _block(self, flow: Flow, entry: Entry, lang: str, tl: str) -> QuestionBlock:
        """One question's block, its input showing the answer and wired to the session."""
        q = entry.question
        ctx = Context(lang=lang, scale=self.prefs.scale, max_attachment_kb=self.max_attachment_kb,
                      scans_folder=self.scans_folder, location=self.location,
                      choices=[ChoiceText(c) for c in flow.choices(entry)], derived=flow.derived(entry),
                      read_only=flow.read_only(entry), required=flow.required(entry), label=q.label(tl))
        as_value = flow.shows_value(entry)
        if as_value:
            from ui.widgets.value import ValueWidget

            ctx.shown = flow.shown(entry, tl)
        widget = ValueWidget(q, ctx) if as_value else make_widget(q, ctx)
        block = QuestionBlock(entry, widget, tl, ctx.required or as_value, ui_lang=lang)
        if widget is None:
            return block
        offered = flow.offered_date(entry)
        if offered is not None:  # from the registry number, editable
            flow.set_answer(entry, offered)
            self._save_timer.start()
            block.box.insertWidget(block.box.indexOf(widget), text_label(t("flow.date_from_rd", lang), "hint"))
        widget.set_value(flow.answer(entry))
        widget.changed.connect(lambda k=entry.key: self._edited(k))
        widget.local_error.connect(lambda msg, k=entry.key: self._local_error(k, msg))
        if q.type in TYPED_IN:
            for edit in widget.text_inputs():
                edit.returnPressed.connect(self.go_next)
        return block

    def _render_repeats(self, flow: Flow, lang: str) -> None:
        """The screen's repeats; one alone has its Add in the bottom bar, several each their own."""
        repeats = flow.repeats()
        self._add_for = repeats[0] if len(repeats) == 1 else None
        self.add.setVisible(self._add_for is not None)
        if self._add_for is not None:
            from ui.views.repeats import can_add

            self.add.setText(t("ui.repeat_add", lang))
            a11y.label(self.add, self.add.text(), t("ui.repeat_add_desc", lang))
            self.add.setEnabled(can_add(flow, self._add_for) and not flow.read_only(self._add_for))
        for rep in repeats:
            self._render_repeat(rep, lang, inline_add=self._add_for is None)

    def _focus_first(self) -> None:
        """A new screen starts at its top, the focus in its first text field (keys typed at
        once reach it), else its first input, else Next."""
        self.page.verticalScrollBar().setValue(0)
        first = self.input_widgets()
        edits = [w for w in first if isinstance(w, QLineEdit | QPlainTextEdit)]
        target = edits[0] if edits else (first[0] if first else self.next)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _render_repeat(self, rep: Entry, lang: str, inline_add: bool = True) -> None:
        """Each item as a row with its first answers, Edit, and Remove (asked first); then Add."""
        from ui.views.repeats import RepeatRow, can_add, item_screen, item_summary

        flow = self.flow
        assert flow is not None
        block = QuestionBlock(rep, None, lang, True)
        count = flow.item_count(rep)
        rows: list[RepeatRow] = []
        for i in range(count):
            screen = item_screen(flow, rep, i)
            row = RepeatRow(i, item_summary(flow, rep, i, lang), lang,
                            self._edit_action(screen) if screen else None,
                            self._remove_action(rep, i), read_only=flow.read_only(rep))
            block.box.insertWidget(block.box.count() - 1, row)
            self.repeat_controls += row.all_buttons()
            rows.append(row)
        self.repeat_rows[rep.key] = rows
        if not can_add(flow, rep):  # say why Add is greyed out
            full = text_label(t("widgets.repeat_full", lang, count=count), "hint")
            full.setObjectName(f"repeat-full-{rep.key}")
            block.box.insertWidget(block.box.count() - 1, full)
        if inline_add:  # several repeats on one page: each its own Add, under its rows
            add = button(t("ui.repeat_add", lang), t("ui.repeat_add_desc", lang), name="repeat-add")
            add.clicked.connect(lambda _=False, e=rep: self._add_item(e))
            add.setEnabled(can_add(flow, rep) and not flow.read_only(rep))
            block.box.insertWidget(block.box.count() - 1, add, 0, Qt.AlignmentFlag.AlignLeft)
            self.repeat_controls.append(add)
        self.blocks[rep.key] = block
        self.page.column.addWidget(block)
        block.show()

    def _add_item(self, rep: Entry | None) -> None:
        if rep is None:
            return
        if self.flow is not None and self.flow.add_item(rep):
            from ui.views.repeats import item_screen

            self._save_timer.start()
            # Open the new item itself, wherever its screens sit in the flow (the screen
            # after this one may be another question of the same page)
            screen = item_screen(self.flow, rep, self.flow.item_count(rep) - 1)
            if screen is None or not self.flow.go_to(screen):
                self.flow.next()
            self.checked = False
            self.present()

    def _edit_action(self, screen_key: str) -> Callable[..., None]:
        return lambda _=False: self._edit_item(screen_key)  # clicked(checked) passes a bool

    def _remove_action(self, rep: Entry, index: int) -> Callable[..., None]:
        return lambda _=False: self._remove_item(rep, index)

    def _edit_item(self, screen_key: str) -> None:
        if self.flow is not None:
            self.flush()
            self.go_to(screen_key, from_review=self.from_review)

    def _remove_item(self, rep: Entry, index: int) -> None:
        if self.flow is not None and self.flow.remove_item(rep, index):
            self._save_timer.start()
            self.present(focus=False)
            rows = self.repeat_rows.get(rep.key, [])
            target = rows[min(index, len(rows) - 1)].remove if rows else (
                self.add if self.add.isVisible() else self.next)
            target.setFocus(Qt.FocusReason.OtherFocusReason)
            a11y.announce(target, t("widgets.repeat_removed", self.prefs.lang, index=index + 1))

    def input_widgets(self) -> list[QWidget]:
        out: list[QWidget] = []
        for block in self.blocks.values():
            if block.widget is not None:
                out += block.widget.focus_widgets()
        return out + list(getattr(self, "repeat_controls", []))

    def retranslate(self) -> None:
        self.present(focus=False)

    # -- editing ----------------------------------------------------------------------
    def _edited(self, name: str) -> None:
        flow = self.flow
        block = self.blocks.get(name)
        if flow is None or block is None or block.widget is None:
            return
        before = [e.key for e in flow.entries()]
        flow.set_answer(block.entry, block.widget.value())
        self.answer_changed.emit(name)
        self._save_timer.start()
        after = [e.key for e in flow.entries()]
        if before != after:
            # Skip logic changed what this group page shows: re-render, keep focus near.
            self.present(focus=False)
            target = self.blocks.get(name)
            if target is not None and target.widget is not None and target.widget.focus_widgets():
                target.widget.focus_widgets()[0].setFocus()
            return
        self.progress.setText(t("ui.form_progress", self.prefs.lang, index=flow.index + 1, count=flow.count))
        self._refresh_values()
        if self.checked:
            self._show_errors(only=name)

    def _refresh_values(self) -> None:
        """Calculated values on this page follow the answers they are worked out from."""
        from ui.widgets.value import ValueWidget

        assert self.flow is not None
        for block in self.blocks.values():
            if isinstance(block.widget, ValueWidget):
                block.widget.refresh(self.flow.shown(block.entry, self.flow.text_lang(self.prefs.lang)))

    def _local_error(self, name: str, message: str) -> None:
        block = self.blocks.get(name)
        if block is None:
            return
        block.local_error = message
        block.show_error(block.current_error() if (self.checked or message) else "")
        if message:
            self._say(message)
            a11y.announce(block.error, message, assertive=True)

    def _show_errors(self, only: str | None = None) -> list[str]:
        flow = self.flow
        if flow is None:
            return []
        errors = flow.screen_errors()
        bad: list[str] = []
        for name, block in self.blocks.items():
            if only is not None and name != only:
                continue
            block.engine_error = errors.get(name, "")
            block.show_error(block.current_error())
            if block.blocking():
                bad.append(name)
        return bad

    def _reveal(self, widget: QWidget) -> None:
        try:
            if widget.isVisible():
                self.page.ensureWidgetVisible(widget, 0, 16)
        except RuntimeError:  # the screen was re-rendered and the label deleted
            pass

    # -- moving -----------------------------------------------------------------------
    def go_next(self) -> None:
        flow = self.flow
        if flow is None:
            return
        self.checked = True
        bad = self._show_errors()
        if bad:
            first = self.blocks[bad[0]]
            message = first.current_error()
            a11y.announce(first.error, message, assertive=True)
            self._say(message)
            if first.widget is not None and first.widget.focus_widgets():
                first.widget.focus_widgets()[0].setFocus(Qt.FocusReason.OtherFocusReason)
            self.page.ensureWidgetVisible(first)
            # The message sits under the field; with large text it can fall below the fold.
            # It has only just appeared, so its final place is known once Qt has laid the
            # screen out again: reveal it then (unless the screen was replaced meanwhile).
            QTimer.singleShot(0, self, lambda: self._reveal(first.error))
            return
        self.flush()
        if flow.is_last or (self.from_review and not flow.all_errors()):
            self.from_review = False
            self.to_review.emit()
            return
        flow.next()
        self.checked = False
        self.present()

    def go_back(self) -> None:
        flow = self.flow
        if flow is None or flow.index == 0:
            return
        flow.prev()
        self.checked = False
        self.present()

    def go_to(self, screen_key: str, entry: str = "", from_review: bool = False) -> None:
        self.from_review = from_review
        if self.flow is not None:
            self.flow.go_to(screen_key)
            self.checked = False
            self.present()
            block = self.blocks.get(entry)
            if block is not None and block.widget is not None and block.widget.focus_widgets():
                block.widget.focus_widgets()[0].setFocus()

    # -- read-aloud -------------------------------------------------------------------
    def read_aloud(self, force: bool = False) -> None:
        if not (self.prefs.read_aloud or force):
            return
        parts: list[str] = []
        recording = self._recording()
        for i, block in enumerate(self.blocks.values()):
            if not (i == 0 and recording is not None):  # the recording says the first label
                parts.append(block.title.text())
            if block.hint is not None:
                parts.append(block.hint.text())
            if block.widget is not None:
                parts.append(block.widget.speakable())
        # In the form's language, as its texts are (a Mongolian voice reading English helps no one)
        self.reader.say(". ".join(p for p in parts if p), self._text_lang(), recording)

    def _text_lang(self) -> str:
        return self.flow.text_lang(self.prefs.lang) if self.flow is not None else self.prefs.lang

    def _recording(self) -> Any:
        """The first question's recorded prompt (XLSForm media::audio), if the kiosk has it."""
        from kiosk.forms.media import question_media

        first = next(iter(self.blocks.values()), None)
        if first is None or self.flow is None:
            return None
        q = getattr(first.question, "definition", first.question)
        return question_media(self.flow.form, q, "audio", self._text_lang()) if q.media else None

    def _say(self, text: str) -> None:
        if self.prefs.read_aloud:
            self.reader.say(text, self.prefs.lang)
