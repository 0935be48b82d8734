"""Layouts that never hide what matters: the field being typed into stays above the
on-screen keyboard at every text size, the number pad leaves room for the hint, a repeat's
Add is never under the bottom bar, and the receipt's number, DEMO notice and QR are reachable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from tests.ui.driver import finish_and_wipe, in_view, osk_type, screen_of, settle, tap

WINDOW = (1280, 800)


def _open_screen(kiosk, kind: str, scale: int):  # noqa: ANN001
    from ui.examples import open_example
    from ui.screenshots import type_examples

    window = kiosk.window
    window.resize(*WINDOW)
    kiosk.prefs.set_scale(scale)
    form_id, key = type_examples(kiosk)[kind]
    open_example(window, form_id)
    window.form.go_to(key)
    settle()
    return window


@pytest.mark.parametrize("scale", [100, 150, 200])
def test_the_field_and_its_text_stay_above_the_keyboard(qtbot, kiosk, scale):
    window = _open_screen(kiosk, "text", scale)
    edit = next(w for w in window.form.input_widgets() if isinstance(w, QLineEdit))
    tap(qtbot, edit)
    edit.clear()
    osk_type(qtbot, window, "Бат Өлзий")  # opens the keyboard and types on it
    assert window.keyboard.isVisible() and edit.text() == "Бат Өлзий"
    page = window.form.page
    qtbot.waitUntil(lambda: in_view(page, edit), timeout=3000)
    # The page ends where the keyboard begins: nothing of the field is under the keys.
    bottom = page.viewport().mapTo(window, QPoint(0, page.viewport().height())).y()
    assert bottom <= window.keyboard.mapTo(window, QPoint(0, 0)).y()
    assert window.centralWidget().minimumSizeHint().height() <= WINDOW[1]
    finish_and_wipe(qtbot, kiosk)


@pytest.mark.parametrize("scale", [100, 200])
def test_the_number_pad_leaves_the_hint_and_the_field_in_view(qtbot, kiosk, scale):
    window = _open_screen(kiosk, "phone", scale)
    block = next(b for b in window.form.blocks.values() if b.widget is not None)
    edit = block.widget.edit
    hint = block.widget.box.itemAt(0).widget()  # the phone format hint above the field
    assert "99112233" in hint.text()
    tap(qtbot, edit)  # the tap itself opens the keyboard (issue 19), the number pad for a phone
    qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
    assert window.keyboard.layout_name == "digits"
    page = window.form.page
    qtbot.waitUntil(lambda: in_view(page, edit) and in_view(page, hint), timeout=3000)
    # Four rows like the letters: opening the pad never makes the window taller than the screen.
    assert window.centralWidget().minimumSizeHint().height() <= WINDOW[1]
    assert window.height() <= WINDOW[1]
    finish_and_wipe(qtbot, kiosk)


@pytest.mark.parametrize("scale", [100, 150, 200])
def test_repeat_add_is_never_under_the_bottom_bar(qtbot, kiosk, scale):
    window = _open_screen(kiosk, "repeat", scale)
    add = window.form.add
    assert add.isVisible() and add.text() == "Нэмэх"
    page = window.form.page
    bar_top = add.parentWidget().mapTo(window, QPoint(0, 0)).y()
    page_bottom = page.mapTo(window, QPoint(0, page.height())).y()
    assert page_bottom <= bar_top  # in the bar itself, beside Next: on screen at any scroll
    assert add.mapTo(window, QPoint(0, add.height())).y() <= window.height()
    flow = window.form.flow
    rep = flow.repeats()[0]
    assert flow.item_count(rep) == 2 and not add.isEnabled()  # witnesses: exactly two, no more
    full = window.form.findChild(QWidget, "repeat-full-witnesses")
    assert full is not None and full.isVisible() and "2" in full.text()  # and it says why
    window.wipe(discard=True)
    from ui.examples import open_example

    flow = open_example(window, "child-money")
    window.form.go_to(next(s.key for s in flow.s.screens() if s.kind == "repeat"))
    rep = flow.repeats()[0]
    assert window.form.add.isEnabled()
    tap(qtbot, window.form.add)
    assert flow.item_count(rep) == 3
    finish_and_wipe(qtbot, kiosk)


def test_receipt_number_demo_notice_and_qr_are_reachable_at_200(qtbot, kiosk):
    from kiosk.store.ids import uuid7
    from ui.views.receipt import ReceiptInfo

    window = kiosk.window
    window.resize(*WINDOW)
    kiosk.prefs.set_scale(200)
    info = ReceiptInfo(uuid7(), "DEMO sample", "2026-11-26T09:30:00Z", {"mn": "Гэрлэлт", "en": "Marriage"}, True)
    window.receipt = info
    window.show_receipt(info)
    settle()
    view = window.receipt_view
    page = view.page
    assert in_view(page, view.number_label)  # the number first, without scrolling
    # DEMO is said on the first screen too: the window's banner stays above the page, and the
    # receipt's own notice follows the number (in view in English; one Tab away in Mongolian).
    assert window.banner.isVisible()
    for target in (view.demo, view.qr):
        assert target is not None and target.focusPolicy() != Qt.FocusPolicy.NoFocus
    # Tab from Finish goes round to the number, the DEMO notice, the QR: each scrolled into view.
    qtbot.keyClick(view.finish_btn, Qt.Key.Key_Tab)
    seen = []
    for _ in range(8):
        focus = QApplication.focusWidget()
        if focus in (view.number_label, view.demo, view.qr):
            qtbot.waitUntil(lambda f=focus: in_view(page, f), timeout=3000)
            seen.append(focus.objectName())
        if focus is view.qr:
            break
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    assert seen == ["receiptNumber", "demoBanner", "receiptQr"]


def test_an_error_status_keeps_its_first_letter_clear_of_the_bar(qtbot):
    from ui import theme
    from ui.widgets.common import show_status, text_label

    theme.apply(QApplication.instance(), "default", 100)
    label = text_label("", "hint")
    qtbot.addWidget(label)
    label.show()
    show_status(label, "Хэвлэж чадсангүй", "error")
    settle()
    # The red bar is 6 px wide and padded: the text starts to the right of it.
    assert label.contentsRect().left() > 6


def _label_and_field_in_view(page, block) -> bool:  # noqa: ANN001
    return all(in_view(page, w) for w in (block.title, *block.widget.focus_widgets()))


@pytest.mark.parametrize("scale", [100, 200])
def test_a_petitions_multi_line_body_fits_above_the_keyboard_with_its_label(qtbot, kiosk, scale):
    """Issue 19: the body of a petition (a multi-line field, taller than the room the keys
    leave) gives up its extra height: its label, hint and whole field stay above the keys."""
    from ui.examples import open_example

    window = kiosk.window
    window.resize(*WINDOW)
    kiosk.prefs.set_scale(scale)
    open_example(window, "governor-petition")
    window.form.go_to(screen_of(kiosk, "governor-petition", "body"))
    settle()
    block = window.form.blocks["body"]
    tap(qtbot, block.widget.edit)
    qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: _label_and_field_in_view(window.form.page, block), timeout=3000)
    finish_and_wipe(qtbot, kiosk)


def test_next_with_the_keys_open_shows_the_focused_field_above_them(qtbot, kiosk):
    """Issue 19: Next onto a page whose first field sits under an aimag/soum question, with
    the keyboard still open from the screen before: the field the keys type into is in view."""
    from ui.examples import open_example

    window = kiosk.window
    window.resize(*WINDOW)
    open_example(window, "residence-change")
    window.form.go_to(screen_of(kiosk, "residence-change", "applicant_phone"))
    settle()
    tap(qtbot, window.form.input_widgets()[0])
    qtbot.waitUntil(window.keyboard.isVisible, timeout=3000)
    window.form.go_to(screen_of(kiosk, "residence-change", "to_bag"))  # as Next does: render()
    block = window.form.blocks["to_bag"]
    assert QApplication.focusWidget() is block.widget.edit and window.keyboard.isVisible()
    qtbot.waitUntil(lambda: _label_and_field_in_view(window.form.page, block), timeout=3000)
    finish_and_wipe(qtbot, kiosk)
