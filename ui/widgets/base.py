"""The contract between the form screen and a per-type question widget.

A widget shows one question's input, reports edits through ``changed`` (the
form screen then sets the answer in the FormSession and saves the draft), and
can be given a value back (language switch, "change" from review, resumed
draft). It never talks to the store itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ui.qt import QLineEdit, QVBoxLayout, QWidget, Signal


@dataclass
class Context:
    """What a widget may need besides its question."""

    lang: str = "mn"
    scale: int = 100
    max_attachment_kb: int = 4096
    scans_folder: str = ""  # the config's scans folder, offered by the file picker
    choices: list[Any] = field(default_factory=list)  # filtered choices (choice_filter applied)
    derived: dict[str, Any] = field(default_factory=dict)
    read_only: bool = False
    required: bool = True  # an optional single choice offers "Clear answer"
    shown: str = ""  # a read-only value as the review shows it (ui.widgets.value)
    label: str = ""  # the question's label, for accessible names
    location: str = ""  # the kiosk's own location (config ``location``), for geopoint


class QuestionWidget(QWidget):
    changed = Signal()
    # Raised by widgets that know before the engine does that an entry is wrong
    # (an impossible date, a file over the size limit); "" clears it.
    local_error = Signal(str)
    # Whether a local error holds the resident on the screen. An impossible date does;
    # a refused file does not: nothing of it was kept, so the answer is what it was
    # (empty or the earlier file) and only the form's own rules (required) can stop Next.
    local_blocks = True

    def __init__(self, question: Any, ctx: Context) -> None:
        super().__init__()
        self.question = question
        self.ctx = ctx
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(12)
        self._loading = False

    @property
    def lang(self) -> str:
        return self.ctx.lang

    def value(self) -> Any:
        return None

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def _show(self, value: Any) -> None:
        pass

    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit()

    def focus_widgets(self) -> list[QWidget]:
        """Interactive children in reading order (for tab order and tests)."""
        return []

    def error_shown(self, on: bool) -> None:
        """The question's error line (the one place for its problem) appeared or went:
        a widget hides its own verdict (a tick, a red word) meanwhile."""

    def speakable(self) -> str:
        """Extra words read aloud after the label and hint (e.g. the choices)."""
        return ""

    def text_inputs(self) -> list[QLineEdit]:
        return [w for w in self.focus_widgets() if isinstance(w, QLineEdit)]
