"""Return and keypad Enter do what Space does; the signature pad can be signed with keys,
as it says; printing errors are in the resident's language."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.ui.driver import tab_to

KEYPAD_ENTER = (Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)


def _first_screen_of_type(kiosk, kind: str):  # noqa: ANN001
    from ui.examples import open_example
    from ui.screenshots import type_examples

    form_id, key = type_examples(kiosk)[kind]
    flow = open_example(kiosk.window, form_id)
    kiosk.window.form.go_to(key)
    return flow, key


def test_return_opens_a_tile(qtbot, kiosk):
    window = kiosk.window
    tile = window.home.tiles["livestock-census"]
    tab_to(qtbot, tile)
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.form
    assert window.flow is not None and window.flow.form_id == "livestock-census"
    window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


def test_keypad_enter_chooses_and_return_goes_on_from_a_choice_screen(qtbot, kiosk):
    window = kiosk.window
    flow, key = _first_screen_of_type(kiosk, "select_one")
    block = next(b for b in window.form.blocks.values() if b.widget is not None)
    buttons = list(block.widget.buttons.values())
    target = next(b for b in buttons if not b.isChecked())
    tab_to(qtbot, target)
    qtbot.keyClick(target, *KEYPAD_ENTER)
    assert target.isChecked()
    assert [b for b in buttons if b.isChecked()] == [target]  # still one of many
    tab_to(qtbot, window.form.next)
    qtbot.keyClick(window.form.next, Qt.Key.Key_Return)
    assert window.form.flow is None or window.stack.currentWidget() is window.review or \
        window.form.flow.screen_key != key
    window.form.flush()
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)
    window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


def test_enter_on_yes_no_and_consent(qtbot):
    from ui.widgets import Context
    from ui.widgets.choices import ConsentWidget, YesNoWidget

    class Q:
        name, type = "q", "yes_no"

    yn = YesNoWidget(Q(), Context(lang="en"))
    qtbot.addWidget(yn)
    yn.show()
    with qtbot.waitSignal(yn.changed):
        qtbot.keyClick(yn.buttons[False], Qt.Key.Key_Return)
    assert yn.value() is False
    consent = ConsentWidget(Q(), Context(lang="en"))
    qtbot.addWidget(consent)
    consent.show()
    qtbot.keyClick(consent.agree, *KEYPAD_ENTER)
    assert consent.value() is True


def test_signature_pad_says_how_to_sign_by_keyboard_and_draws_what_the_keys_draw(qtbot):
    from ui.widgets import Context
    from ui.widgets.media import SignatureWidget

    class Q:
        name, type = "sig", "signature"

    w = SignatureWidget(Q(), Context(lang="en", label="Your signature"))
    qtbot.addWidget(w)
    w.show()
    keys = w.findChild(QLabel, "signatureKeys")
    assert keys.isVisible() and "arrow keys" in keys.text() and "Space" in keys.text()
    assert "arrow keys" in w.pad.accessibleDescription()
    w.pad.setFocus()
    qtbot.keyClick(w.pad, Qt.Key.Key_Space)  # pen down
    for _ in range(5):
        qtbot.keyClick(w.pad, Qt.Key.Key_Right)
    qtbot.keyClick(w.pad, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(w.pad, *KEYPAD_ENTER)  # pen up
    strokes = w.value()["strokes"]
    assert len(strokes) == 1
    xs = [round(p[0], 2) for p in strokes[0]]
    ys = [round(p[1], 2) for p in strokes[0]]
    assert xs == [0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.2]  # exactly the pen's path, no fixed mark
    assert ys == [0.6] * 6 + [0.52]
    qtbot.keyClick(w.pad, Qt.Key.Key_Right)  # pen up: moving draws nothing
    assert len(w.value()["strokes"][0]) == 7
    w.clear_btn.click()
    assert w.value() is None


def test_printing_errors_are_in_the_residents_language(qtbot, kiosk, monkeypatch):
    from PySide6.QtPrintSupport import QPrinterInfo

    from kiosk.store.ids import uuid7
    from ui.views.receipt import ReceiptInfo

    monkeypatch.setattr(QPrinterInfo, "defaultPrinter", staticmethod(lambda: QPrinterInfo()))  # none
    window = kiosk.window
    info = ReceiptInfo(uuid7(), "receipt-text", "2026-11-26T09:30:00Z", {"mn": "Мал тооллого", "en": "Census"}, True)
    window.receipt = info
    window.show_receipt(info)
    assert window.print_receipt("80mm") is False
    message = window.print_message
    assert message.startswith("Хэвлэж чадсангүй") and not re.search(r"[A-Za-z]", message), message
    status = window.receipt_view.status
    assert status.isVisible() and status.text() == message
    kiosk.prefs.set_lang("en")
    assert window.print_receipt("a4") is False
    assert window.print_message.startswith("Could not print: no printer") and not re.search(
        r"[А-Яа-яӨөҮү]", window.print_message)
