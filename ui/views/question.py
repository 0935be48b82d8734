"""One question on a form screen: its label, hint, input and error line.

Apart from the screen that lays questions out (ui/views/form.py) because a question's
own parts — the label in the form's language, "Optional" in the kiosk's, the error shown
once and passed on to the input's look and description — change for reasons of their
own, not with how a screen moves (Next, Back, repeats, read-aloud).
"""

from __future__ import annotations

from typing import Any

from kiosk.forms.model import QuestionType
from kiosk.i18n import t
from ui.flow import Entry
from ui.qt import QVBoxLayout, QWidget
from ui.widgets import QuestionWidget
from ui.widgets.common import restyle, text_label


class ChoiceText:
    """A session ChoiceView as the choice widgets read it (label already in the language)."""

    def __init__(self, view: Any) -> None:
        self.value = view.value
        self.label = view.label

    def text(self, _lang: str) -> str:
        return str(self.label)


class QuestionBlock(QWidget):
    """Label, hint, input and the error line of one question."""

    def __init__(self, entry: Entry, widget: QuestionWidget | None, lang: str, required: bool,
                 ui_lang: str | None = None) -> None:
        super().__init__()
        question = entry.question
        self.entry = entry
        self.question = question
        self.widget = widget
        box = self.box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(10)
        label = question.label(lang, entry.item)
        if entry.item:
            label += " (" + ".".join(str(i + 1) for i in entry.item) + ")"
        self.title = text_label(label, "question")
        self.title.setObjectName(f"label-{entry.key}")
        box.addWidget(self.title)
        from ui.widgets.odk import label_image  # an XForm label's image (media::image)

        self.image = label_image(question, lang, entry.key)
        if self.image is not None:
            box.addWidget(self.image)
        hint = question.hint(lang, entry.item)
        self.hint = text_label(hint, "hint") if hint else None
        if self.hint is not None:
            box.addWidget(self.hint)
        if widget is not None and not required:
            box.addWidget(text_label(t("ui.form_optional", ui_lang or lang), "hint"))
        if widget is not None:
            box.addWidget(widget)
        self.error = text_label("", "error")
        self.error.setObjectName(f"error-{entry.key}")
        self.error.hide()
        box.addWidget(self.error)
        self.local_error = ""
        self.engine_error = ""
        self._shown = ""

    def show_error(self, message: str) -> None:
        if message == self._shown and self.error.isVisible() == bool(message):
            return
        self._shown = message
        self.error.setText(message)
        self.error.setVisible(bool(message))
        if self.widget is not None:
            self.widget.error_shown(bool(message))
            for w in self.widget.focus_widgets():
                restyle(w, "invalid", "true" if message else "false")
                base = w.accessibleDescription().split(" — ")[0]
                w.setAccessibleDescription(f"{base} — {message}" if message else base)

    def current_error(self) -> str:
        return self.local_error or self.engine_error

    def blocking(self) -> bool:
        """Does this question's problem hold the resident on the screen?"""
        local = self.local_error and (self.widget is None or self.widget.local_blocks)
        return bool(self.engine_error or local)


# Questions typed into: Enter in their field goes to the next screen.
TYPED_IN = (QuestionType.TEXT, QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.PHONE,
             QuestionType.POSTAL_CODE, QuestionType.REGISTRY_NUMBER)
