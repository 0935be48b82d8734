"""The window's chrome: the top bar (home, title, keyboard, staff, accessibility, language)
and the DEMO banner. Kept apart from the screens so that the first paint needs nothing else."""

from __future__ import annotations

from kiosk.i18n import t
from ui import a11y
from ui.qt import QFrame, QHBoxLayout, QLabel, Qt, QWidget
from ui.widgets.common import button, text_label


class TopBar(QFrame):
    """Home, the app title and the four chrome buttons, in that order on screen."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("topBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 8, 24, 8)
        row.setSpacing(12)
        self.home_btn = button("", "", name="home")
        self.title = QLabel()
        self.title.setProperty("role", "apptitle")
        self.title.setWordWrap(True)
        self.keyboard_btn = button("", "", name="keyboard")
        self.staff_btn = button("", "", name="staff")
        self.a11y_btn = button("", "", name="accessibility")
        self.lang_btn = button("", "", "primary", name="language")
        row.addWidget(self.home_btn)
        row.addWidget(self.title, 1)
        for b in self.buttons():
            b.setProperty("chrome", "true")
        # A tap on "Keyboard" must leave the focus in the field being filled.
        self.keyboard_btn.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for b in (self.keyboard_btn, self.staff_btn, self.a11y_btn, self.lang_btn):
            row.addWidget(b)

    def buttons(self) -> list[QWidget]:
        """Every chrome button in focus order (visible or not)."""
        return [self.home_btn, self.keyboard_btn, self.staff_btn, self.a11y_btn, self.lang_btn]

    def retranslate(self, lang: str) -> None:
        self.title.setText(t("ui.app_title", lang))
        for b, key in ((self.lang_btn, "lang_button"), (self.a11y_btn, "a11y_button"),
                       (self.staff_btn, "staff_button"), (self.keyboard_btn, "keyboard_show"),
                       (self.home_btn, "home_button")):
            b.setText(t(f"ui.{key}", lang))
            a11y.label(b, b.text(), t(f"ui.{key}_desc", lang))


def demo_banner() -> QLabel:
    """The DEMO banner under the top bar (shown until the kiosk is enrolled)."""
    banner = text_label("")
    banner.setObjectName("demoBanner")
    return banner
