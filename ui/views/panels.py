"""Small full-screen panels: accessibility settings, "cancel?" and "are you still there?"."""

from __future__ import annotations

from kiosk.i18n import t
from ui import a11y
from ui.qt import QHBoxLayout, QPushButton, Qt, QWidget, Signal
from ui.speech import Reader
from ui.state import Prefs
from ui.theme import SCALES
from ui.widgets.common import Page, WrapButton, button, text_label


class AccessibilityView(Page):
    """Text size 100/150/200 %, high contrast, read-aloud; every choice applies at once."""

    done = Signal()

    def __init__(self, prefs: Prefs, reader: Reader) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.prefs = prefs
        self.reader = reader
        self.controls: list[QWidget] = []

    def present(self) -> None:
        lang = self.prefs.lang
        self.clear()
        self.controls = []
        col = self.column
        col.addWidget(text_label(t("ui.a11y_title", lang), "title"))
        col.addWidget(text_label(t("ui.a11y_text_size", lang), "question"))
        row_host = QWidget()
        row = QHBoxLayout(row_host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        for pct in SCALES:
            b = WrapButton(t("ui.a11y_size_pct", lang, pct=pct), t("ui.a11y_size_desc", lang, pct=pct),
                           "choice", checkable=True)
            b.setObjectName(f"scale-{pct}")
            b.setChecked(self.prefs.scale == pct)
            b.clicked.connect(lambda _=False, p=pct: self.prefs.set_scale(p))
            row.addWidget(b)
            self.controls.append(b)
        col.addWidget(row_host)
        contrast = WrapButton(
            f"{t('ui.a11y_contrast', lang)}: {t('ui.on' if self.prefs.theme == 'high-contrast' else 'ui.off', lang)}",
            t("ui.a11y_contrast_desc", lang), "choice", checkable=True)
        contrast.setObjectName("contrast")
        contrast.setChecked(self.prefs.theme == "high-contrast")
        contrast.clicked.connect(
            lambda on: self.prefs.set_theme("high-contrast" if on else "default"))
        col.addWidget(contrast)
        self.controls.append(contrast)
        speak = WrapButton(
            f"{t('ui.a11y_read_aloud', lang)}: {t('ui.on' if self.prefs.read_aloud else 'ui.off', lang)}",
            t("ui.a11y_read_aloud_desc", lang), "choice", checkable=True)
        speak.setObjectName("read-aloud")
        speak.setChecked(self.prefs.read_aloud)
        speak.clicked.connect(lambda on: self.prefs.set_read_aloud(bool(on)))
        col.addWidget(speak)
        self.controls.append(speak)
        if not self.reader.available:
            speak.setEnabled(False)
            note = text_label(t("ui.a11y_read_aloud_unavailable", lang), "error")
            note.setObjectName("readAloudUnavailable")
            col.addWidget(note)
        elif not self.reader.has_voice(lang):
            # The engine works but has no voice for this language (espeak-ng: no Mongolian).
            note = text_label(t(f"ui.a11y_read_aloud_no_voice_{lang}", lang), "error")
            note.setObjectName("readAloudNoVoice")
            col.addWidget(note)
        close = button(t("ui.a11y_close", lang), t("ui.a11y_close_desc", lang), "primary", name="a11y-close")
        close.clicked.connect(self.done.emit)
        col.addWidget(close, 0, Qt.AlignmentFlag.AlignLeft)
        self.controls.append(close)
        col.addStretch(1)
        self.show_all()
        a11y.chain_focus(self.controls)
        focus = next((c for c in self.controls if c.isEnabled() and isinstance(c, QPushButton) and c.isChecked()),
                     close)
        focus.setFocus()


class ConfirmView(Page):
    """A plain question with two big answers (cancel the form?)."""

    answered = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.yes: QPushButton | None = None
        self.no: QPushButton | None = None

    def present(self, lang: str, message_key: str,
               yes_key: str, no_key: str) -> None:
        self.clear()
        self.column.addWidget(text_label(t(message_key, lang), "title"))
        row_host = QWidget()
        row = QHBoxLayout(row_host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(24)
        self.no = button(t(no_key, lang), t(no_key, lang), "primary", name="confirm-no")
        self.yes = button(t(yes_key, lang), t(yes_key, lang), name="confirm-yes")
        self.no.clicked.connect(lambda: self.answered.emit(False))
        self.yes.clicked.connect(lambda: self.answered.emit(True))
        row.addWidget(self.no)
        row.addWidget(self.yes)
        row.addStretch(1)
        self.column.addWidget(row_host)
        self.column.addStretch(1)
        self.show_all()
        a11y.chain_focus([self.no, self.yes])
        self.no.setFocus()


class IdleView(Page):
    """The idle warning with a live countdown; any touch or "Continue" keeps the session."""

    keep = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.body_label = text_label("", "question")
        self.cont: QPushButton | None = None
        self.lang = "mn"

    def present(self, lang: str, seconds: int) -> None:
        self.lang = lang
        self.clear()
        self.column.addWidget(text_label(t("ui.idle_title", lang), "title"))
        self.body_label = text_label(t("ui.idle_body", lang, seconds=seconds), "question")
        self.body_label.setObjectName("idleCountdown")
        self.column.addWidget(self.body_label)
        self.cont = button(t("ui.idle_continue", lang), t("ui.idle_continue_desc", lang), "primary",
                           name="idle-continue")
        self.cont.clicked.connect(self.keep.emit)
        self.column.addWidget(self.cont, 0, Qt.AlignmentFlag.AlignLeft)
        self.column.addStretch(1)
        self.show_all()
        self.cont.setFocus()

    def tick(self, seconds: int) -> None:
        self.body_label.setText(t("ui.idle_body", self.lang, seconds=seconds))
