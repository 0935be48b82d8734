"""A read-only value (a calculation, a ``read_only`` question) shown as large text.

A box that looks typed-into but refuses typing, marked "optional", reads as an
empty question to a resident; ODK shows such values as text. So the value is a
large label under the question's label, never an input, and a value not worked
out yet says so in words.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import t
from ui import a11y
from ui.qt import Qt, QWidget
from ui.widgets.base import Context, QuestionWidget
from ui.widgets.common import text_label


class ValueWidget(QuestionWidget):
    """Shows ``ctx.shown`` (the value as the review shows it); nothing to edit."""

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__(question, ctx)
        self.shown = text_label("", "hint")
        self.shown.setObjectName(f"value-{question.name}")
        self.shown.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.box.addWidget(self.shown)
        self.refresh(ctx.shown)

    def refresh(self, shown: str) -> None:
        """Show ``shown`` (another answer on the same page changed it)."""
        from ui.widgets.common import restyle

        self.shown.setText(shown or t("flow.value_not_yet", self.lang))
        restyle(self.shown, "role", "big-number" if shown else "hint")
        a11y.label(self.shown, f"{self.ctx.label}: {self.shown.text()}", t("flow.value_desc", self.lang))

    def value(self) -> Any:
        return None  # never set: the form engine works it out

    def focus_widgets(self) -> list[QWidget]:
        return []

    def speakable(self) -> str:
        return self.shown.text()
