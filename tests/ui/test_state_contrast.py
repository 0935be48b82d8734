"""Every state of a choice, tile and key stays readable (issue 19, second round).

A touch screen leaves the pointer where the last tap lifted, so a chosen choice is seen
hovered, and a held finger shows it pressed. The button's text is a child label that QSS
colours by the button's *checked* state only, so every hover/pressed background must suit
that label. Measured on rendered pixels: the background is the most common colour inside
the button, the text the colour that stands out most from it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from ui import theme
from ui.qt import QApplication, QColor, QImage, Qt
from ui.widgets.common import WrapButton

STATES = ("rest", "hover", "pressed")


def text_contrast(image: QImage, inset: int = 12) -> float:
    counts = Counter(image.pixel(i, j) for i in range(inset, image.width() - inset)
                     for j in range(inset, image.height() - inset))
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    inks = [QColor.fromRgb(c) for c, n in counts.items() if n >= 15]
    return max(theme.contrast_ratio(background, ink) for ink in inks)


def _render(qtbot, role: str, checked: bool, state: str) -> QImage:
    b = WrapButton("Өргөдөл хүсэлт", "d", role, checkable=role == "choice")
    qtbot.addWidget(b)
    b.resize(420, 110)
    b.show()
    b.setChecked(checked)
    if state == "hover":
        b.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)
    if state == "pressed":
        b.setDown(True)
    b.repaint()
    return b.grab().toImage()


@pytest.mark.parametrize("theme_name", theme.THEMES)
@pytest.mark.parametrize("scale", theme.SCALES)
def test_every_button_state_keeps_its_text_readable(qtbot, theme_name: str, scale: int) -> None:
    app = QApplication.instance()
    theme.apply(app, theme_name, scale)
    bad = []
    for role, checked in (("choice", False), ("choice", True), ("tile", False)):
        for state in STATES:
            ratio = text_contrast(_render(qtbot, role, checked, state))
            if ratio < 4.5:
                bad.append(f"{role} checked={checked} {state}: {ratio:.2f}:1")
    assert not bad, f"{theme_name} at {scale} %: unreadable text in {bad}"
