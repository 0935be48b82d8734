"""Filling imported (XLSForm/XForm) forms through the real widgets, keyboard or touch,
including the XForm widgets (ui/widgets/odk.py). The answers come from a reference
FormSession; everything else is tests/ui/driver.py."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.ui.driver import keyboard_enter, osk_type, press, tab_to, tap, touch_enter, type_keys
from ui.widgets.odk import (
    AcknowledgeWidget,
    DateTimeWidget,
    GeopointWidget,
    RangeWidget,
    RankWidget,
    TimeWidget,
)


def _activate(qtbot, window, target, mode: str) -> None:  # noqa: ANN001
    if mode == "keyboard":
        tab_to(qtbot, target)
        press(qtbot, Qt.Key.Key_Space)
    else:
        tap(qtbot, target)


def _time(qtbot, window, widget: TimeWidget, value: str, mode: str) -> None:  # noqa: ANN001
    h, m = value.split(":")[:2]
    for part, text in (("hour", h), ("minute", m)):
        edit = widget.fields[part]
        if mode == "keyboard":
            tab_to(qtbot, edit)
            edit.selectAll()
            type_keys(edit, text)
        else:
            tap(qtbot, edit)
            edit.clear()
            osk_type(qtbot, window, text)


def enter(qtbot, window, widget: Any, value: Any, mode: str) -> None:  # noqa: ANN001
    if value is None:
        return
    if isinstance(widget, TimeWidget):
        _time(qtbot, window, widget, str(value), mode)
    elif isinstance(widget, DateTimeWidget):
        text = str(value)
        if mode == "keyboard":
            keyboard_enter(qtbot, widget.date, text[:10])
        else:
            touch_enter(qtbot, window, widget.date, text[:10])
        _time(qtbot, window, widget.time, text[11:], mode)
    elif isinstance(widget, GeopointWidget):
        assert widget.use is not None, "the kiosk's location is not set"
        if not widget.use.isChecked():
            _activate(qtbot, window, widget.use, mode)
    elif isinstance(widget, RangeWidget):
        for _ in range(200):
            if widget.value() == value:
                return
            target = widget.plus if widget.value() is None or widget.value() < value else widget.minus
            _activate(qtbot, window, target, mode)
        raise AssertionError(f"range never reached {value}")
    elif isinstance(widget, RankWidget):
        for position, wanted in enumerate(value):
            while widget.order.index(wanted) > position:
                _activate(qtbot, window, _rank_button(widget, wanted, "up"), mode)
        if not widget.touched:  # already in order: confirm it by moving one down and back
            first = widget.order[0]
            _activate(qtbot, window, _rank_button(widget, first, "down"), mode)
            _activate(qtbot, window, _rank_button(widget, first, "up"), mode)
    elif isinstance(widget, AcknowledgeWidget):
        if not widget.ok.isChecked():
            _activate(qtbot, window, widget.ok, mode)
    elif mode == "keyboard":
        keyboard_enter(qtbot, widget, value)
    else:
        touch_enter(qtbot, window, widget, value)


def _rank_button(widget: RankWidget, value: str, direction: str):  # noqa: ANN202
    """The up/down button of the place ``value`` is in now."""
    from PySide6.QtWidgets import QPushButton

    button = widget.findChild(QPushButton, f"rank-{direction}-{widget.position(value)}")
    assert button is not None, (direction, value)
    return button


def fill_with(qtbot, kiosk, ref, mode: str) -> None:  # noqa: ANN001
    """Walk every screen entering ``ref``'s answers (a FormSession), until the review; on a
    repeat's screen, add items (one at a time: each opens its questions) to ref's count."""
    from PySide6.QtWidgets import QPushButton

    window = kiosk.window
    for _ in range(200):
        if window.stack.currentWidget() is window.review:
            return
        view = window.form
        assert window.stack.currentWidget() is view
        before = view.flow.screen_key
        added = False
        for block in list(view.blocks.values()):
            entry = block.entry
            if block.widget is not None:
                enter(qtbot, window, block.widget, ref.answer(entry.name, entry.item), mode)
            elif entry.question.is_repeat and (
                    view.flow.s.item_count(entry.name, entry.item) < ref.item_count(entry.name, entry.item)):
                add = next(b for b in [*block.findChildren(QPushButton, "repeat-add"), view.add]
                           if b.isVisible())  # one repeat on the screen: its Add is in the bottom bar
                _activate(qtbot, window, add, mode)
                n = view.flow.s.item_count(entry.name, entry.item)
                if not window.form.flow.screen_key.endswith(f"#{n}"):
                    # "Add" does not always open the new item (it may stay on, or pass, the
                    # repeat's screen): come back to the list and press the item's Edit.
                    window.form.go_to(before)
                    edits = [b for b in window.form.findChildren(QPushButton, f"repeat-edit-{n}")
                             if b.isVisible()]
                    assert len(edits) == 1, f"no Edit for item {n}"
                    _activate(qtbot, window, edits[0], mode)
                added = True
                break
        if added:
            continue
        _activate(qtbot, window, view.next, mode)
        errors = {k: b.current_error() for k, b in view.blocks.items() if b.current_error()}
        assert not errors, f"{before}: {errors}"
        assert window.stack.currentWidget() is window.review or view.flow.screen_key != before
    raise AssertionError("the form never reached the review screen")
