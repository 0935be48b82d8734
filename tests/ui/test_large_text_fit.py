"""At 200 % text on a 1024x768 screen the staff PIN's Enter and Leave and the receipt's QR
are on the first screen, without scrolling (issue 19, second round); the PIN keys grow."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from tests.ui.driver import in_view, settle

SMALL = (1024, 768)


def test_the_staff_pin_fits_at_200_percent(qtbot, kiosk) -> None:  # noqa: ANN001
    window = kiosk.window
    window.resize(*SMALL)
    kiosk.prefs.set_scale(200)
    qtbot.mouseClick(window.staff_btn, Qt.MouseButton.LeftButton)
    staff = window.staff
    qtbot.waitUntil(lambda: staff.findChild(QPushButton, "pin-enter") is not None)
    settle()
    for name in ("pin-enter", "staff-exit", "pin-0", "pin-back"):
        assert in_view(staff, staff.findChild(QPushButton, name)), f"{name} is below the fold"
    small_key = 50
    assert staff.findChild(QPushButton, "pin-5").height() > small_key * 1.4, "the PIN keys stayed at 100 %"


@pytest.mark.parametrize("size", [SMALL, (1280, 800)])
def test_the_receipt_qr_is_on_the_first_screen_at_200_percent(qtbot, kiosk, size) -> None:  # noqa: ANN001
    from kiosk.store.ids import uuid7
    from ui.views.receipt import ReceiptInfo

    window = kiosk.window
    window.resize(*size)
    kiosk.prefs.set_scale(200)
    info = ReceiptInfo(uuid7(), "DEMO sample", "2026-11-26T09:30:00Z", {"mn": "Гэрлэлт", "en": "Marriage"}, True)
    window.receipt = info
    window.show_receipt(info)
    settle()
    view = window.receipt_view
    assert in_view(view.page, view.number_label)
    assert in_view(view.page, view.qr), "the QR is below the fold"


def test_the_chrome_and_the_keyboard_grow_with_the_text(qtbot, kiosk) -> None:  # noqa: ANN001
    """The top bar, Back/Cancel/Next and the on-screen keys grow too (to 150 %: at 200 % the
    question keeps most of the screen), not only the content."""
    from ui.examples import open_example

    window = kiosk.window
    window.resize(*SMALL)
    open_example(window, "governor-petition")
    window.keyboard.show()
    heights = {}
    for pct in (100, 200):
        kiosk.prefs.set_scale(pct)
        settle()
        key = window.keyboard.findChild(QPushButton, "key-Ө")
        heights[pct] = (window.form.next.height(), window.lang_btn.height(), key.height(),
                        key.font().pixelSize() if key.font().pixelSize() > 0 else key.fontInfo().pixelSize())
    grown = [b / a for a, b in zip(heights[100], heights[200], strict=True)]
    assert min(grown) >= 1.25, f"Next, the top bar, a key (height, font) at 100 % / 200 %: {heights}"
    assert window.keyboard.height() < window.height() / 2, "the keyboard took over the screen"
