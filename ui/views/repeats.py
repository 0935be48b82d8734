"""A repeat's items as residents expect them: a summary of each, Edit, and Remove with a question.

"Item 1 / Item 2" with a Remove button said nothing about what was entered and
offered no way back to it. Each row now shows its first answers ("Бат,
2019.04.02"), an Edit button that goes to the item's first screen, and a
Remove button that first asks (in the row itself, "No, keep" focused) before
anything is thrown away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.forms.model import QuestionType
from kiosk.i18n import t
from ui import a11y
from ui.flow import Entry, Flow
from ui.qt import QFrame, QHBoxLayout, QPushButton, Qt, QVBoxLayout, QWidget
from ui.widgets.common import button, text_label

SUMMARY_ANSWERS = 2  # how many of an item's first answers its row shows
SUMMARY_CHARS = 80


def item_summary(flow: Flow, rep: Entry, index: int, lang: str) -> str:
    """The item's first few answers in the resident's words, "" when nothing is entered yet."""
    from kiosk.forms.display import display_value

    item = (*rep.item, index)
    parts: list[str] = []
    for child in _children(rep):
        if child.is_repeat or child.type in (QuestionType.NOTE, QuestionType.SIGNATURE):
            continue
        value = flow.s.value(child.name, item)
        if value is None or value == "" or value == []:
            continue
        try:
            shown = display_value(child, value, lang)
        except (KeyError, TypeError, ValueError):  # an answer the display cannot show: skip it
            continue
        if shown:
            parts.append(shown)
        if len(parts) >= SUMMARY_ANSWERS:
            break
    text = ", ".join(parts)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def item_screen(flow: Flow, rep: Entry, index: int) -> str | None:
    """Key of the first screen that shows a question of this item (where Edit goes)."""
    prefix = (*rep.item, index)
    for screen in flow.s.screens():
        for _qv, item in screen.questions:
            if tuple(item[: len(prefix)]) == prefix and len(item) >= len(prefix):
                return str(screen.key)
    return None


def can_add(flow: Flow, rep: Entry) -> bool:
    """False when a fixed max_count is reached (Add is then shown disabled, not refused
    after a tap); a computed limit is left to the session, which refuses quietly."""
    limit = fixed_max(rep)
    return limit is None or flow.item_count(rep) < limit


def fixed_max(rep: Entry) -> int | None:
    definition = getattr(rep.question, "definition", rep.question)
    limit = getattr(definition, "max_count", None)
    return limit if isinstance(limit, int) and not isinstance(limit, bool) else None


def _children(rep: Entry) -> list[Any]:
    definition = getattr(rep.question, "definition", rep.question)
    return list(getattr(definition, "children", []) or [])


class RepeatRow(QFrame):
    """One item: its number and summary, Edit and Remove (which asks first)."""

    def __init__(self, index: int, summary: str, lang: str, on_edit: Callable[[], None] | None,
                 on_remove: Callable[[], None], read_only: bool = False) -> None:
        super().__init__()
        self.setProperty("role", "card")
        self.lang = lang
        self.index = index
        self.on_remove = on_remove
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 12, 16, 12)
        box.setSpacing(8)
        number = index + 1
        title = t("widgets.repeat_row", lang, index=number)
        self.title = text_label(title, "question")
        self.summary = text_label(summary or t("widgets.repeat_row_empty", lang), "" if summary else "hint")
        self.summary.setObjectName(f"repeat-summary-{number}")
        # Number and summary on the left, Edit and Remove beside them: a row stays one
        # row high even at 200 %, so several items and their buttons fit one screen.
        top = QHBoxLayout()
        top.setSpacing(16)
        texts = QVBoxLayout()
        texts.setSpacing(4)
        texts.addWidget(self.title)
        texts.addWidget(self.summary)
        top.addLayout(texts, 1)
        box.addLayout(top)
        self.buttons_host = QWidget()
        row = QHBoxLayout(self.buttons_host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        # Names and buttons say "Entry 2", not the answers: what a resident typed is theirs
        # to read on the row (the summary), not part of the kiosk's own words.
        about = title
        self.edit = button(t("widgets.repeat_edit", lang), t("widgets.repeat_edit_desc", lang, item=about),
                           name=f"repeat-edit-{number}")
        self.remove = button(t("ui.repeat_remove", lang), t("widgets.repeat_remove_desc", lang, item=about),
                             name=f"repeat-remove-{number}")
        if on_edit is not None:
            self.edit.clicked.connect(on_edit)
        else:
            self.edit.setEnabled(False)
        self.remove.setEnabled(not read_only)
        self.remove.clicked.connect(self.ask)
        row.addWidget(self.edit)
        row.addWidget(self.remove)
        top.addWidget(self.buttons_host, 0, Qt.AlignmentFlag.AlignVCenter)
        # The question "remove it?", hidden until Remove is pressed.
        self.confirm_host = QWidget()
        confirm = QVBoxLayout(self.confirm_host)
        confirm.setContentsMargins(0, 0, 0, 0)
        confirm.setSpacing(8)
        self.question = text_label(t("widgets.repeat_remove_confirm", lang, item=about), "error")
        self.question.setObjectName(f"repeat-confirm-{number}")
        confirm.addWidget(self.question)
        answers = QHBoxLayout()
        answers.setSpacing(16)
        self.yes = button(t("widgets.repeat_remove_yes", lang), t("widgets.repeat_remove_yes_desc", lang, item=about),
                          name=f"repeat-remove-yes-{number}")
        self.no = button(t("widgets.repeat_remove_no", lang), t("widgets.repeat_remove_no_desc", lang),
                         "primary", name=f"repeat-remove-no-{number}")
        self.yes.clicked.connect(self.on_remove)
        self.no.clicked.connect(self.keep)
        answers.addWidget(self.no)
        answers.addWidget(self.yes)
        answers.addStretch(1)
        confirm.addLayout(answers)
        box.addWidget(self.confirm_host)
        self.confirm_host.hide()

    def ask(self) -> None:
        self.buttons_host.hide()
        self.confirm_host.show()
        for w in (self.question, self.no, self.yes):
            w.show()
        self.no.setFocus(Qt.FocusReason.OtherFocusReason)  # the safe answer under the finger/Enter
        a11y.announce(self.question, self.question.text(), assertive=True)

    def keep(self) -> None:
        self.confirm_host.hide()
        self.buttons_host.show()
        self.remove.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_widgets(self) -> list[QPushButton]:
        if self.confirm_host.isHidden():
            return [self.edit, self.remove]
        return [self.no, self.yes]

    def all_buttons(self) -> list[QPushButton]:
        return [self.edit, self.remove, self.no, self.yes]
