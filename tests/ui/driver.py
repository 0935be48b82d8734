"""Filling a form through the real widgets: keyboard only, or touch (clicks) only.

The answers come from the catalog's example file, read into a second
FormSession that only serves as the reference of what to enter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget

from ui.widgets.choices import AimagSoumWidget, ChoiceWidget, ConsentWidget, YesNoWidget
from ui.widgets.inputs import DateWidget, NumberWidget, RegistryWidget, TextWidget
from ui.widgets.media import SignatureWidget


def settle() -> None:
    """Let posted events run and replaced screens go (deferred deletes), then lay out."""
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


def in_view(page, widget: QWidget) -> bool:  # noqa: ANN001
    """``widget`` is shown whole in the scroll page's viewport: top to bottom and side to
    side (a field cut under the keys, or a QR cut at a side, is not in view)."""
    viewport = page.viewport()
    corner = widget.mapTo(viewport, QPoint(0, 0))
    inside_x = corner.x() >= 0 and corner.x() + widget.width() <= viewport.width()
    inside_y = corner.y() >= 0 and corner.y() + widget.height() <= viewport.height()
    return widget.isVisible() and inside_x and inside_y


@contextmanager
def running_kiosk(qtbot, home: Path) -> Iterator[Any]:  # noqa: ANN001
    """The kiosk built on the data folder ``home`` (Mongolian), its window shown and idle;
    its background work drained and shut down afterwards."""
    from kiosk.paths import Home
    from ui.app import build

    k = build(Home(home), "mn")
    qtbot.addWidget(k.window)
    k.window.show()
    qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
    try:
        yield k
    finally:
        qtbot.waitUntil(k.bridge.is_idle, timeout=10_000)
        k.bridge.shutdown()
        k.services.close()


def finish_and_wipe(qtbot, kiosk) -> None:  # noqa: ANN001
    """Save what the form holds, then wipe the visit (discarding the draft), both drained."""
    kiosk.window.form.flush()
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)
    kiosk.window.wipe(discard=True)
    qtbot.waitUntil(kiosk.bridge.is_idle, timeout=10_000)


def screen_of(kiosk, form_id: str, question: str) -> str:  # noqa: ANN001
    """The key of the screen of ``form_id`` that asks ``question``."""
    session = kiosk.services.new_session(form_id, kiosk.prefs.lang)
    return next(s.key for s in session.screens() if any(qv.name == question for qv, _ in s.questions))


def reference(kiosk, form_id: str):  # noqa: ANN001
    from kiosk.forms import answers_from_file
    from ui.examples import example_path

    session = kiosk.services.new_session(form_id, "mn")
    session.restore(answers_from_file(session.form, example_path(kiosk.window, form_id)))
    return session


def _text_of(value: Any) -> str:
    return "" if value is None else str(value)


# -- keyboard ------------------------------------------------------------------------
def tab_to(qtbot, target: QWidget, limit: int = 80) -> None:  # noqa: ANN001
    """Press Tab until ``target`` has the focus (it must be reachable by keyboard)."""
    seen: list[str] = []
    for _ in range(limit):
        if QApplication.focusWidget() is target:
            return
        focus = QApplication.focusWidget()
        assert focus is not None, "nothing has the keyboard focus"
        seen.append(focus.objectName() or focus.accessibleName() or type(focus).__name__)
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    raise AssertionError(
        f"{target.objectName() or target.accessibleName()!r} is not reachable with Tab "
        f"(enabled={target.isEnabled()}, visible={target.isVisible()}); focus went {seen[:25]}"
    )


def press(qtbot, key: Qt.Key) -> None:  # noqa: ANN001
    qtbot.keyClick(QApplication.focusWidget(), key)


def type_keys(widget: QWidget, text: str) -> None:
    """Key events as a hardware keyboard with a Mongolian layout sends them (QTest's
    keyClicks only knows ASCII)."""
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        for kind in (QKeyEvent.Type.KeyPress, QKeyEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def keyboard_enter(qtbot, widget: Any, value: Any) -> None:  # noqa: ANN001
    if value is None:
        return
    if isinstance(widget, TextWidget | NumberWidget | RegistryWidget):
        tab_to(qtbot, widget.edit)
        type_keys(widget.edit, _text_of(value))
    elif isinstance(widget, DateWidget):
        y, m, d = str(value).split("-")
        for part, text in (("year", y), ("month", m), ("day", d)):
            edit = widget.fields[part]
            tab_to(qtbot, edit)
            edit.selectAll()
            type_keys(edit, text)
    elif isinstance(widget, ChoiceWidget):
        wanted = value if isinstance(value, list) else [value]
        for v in wanted:
            button = widget.buttons[v]
            tab_to(qtbot, button)
            if not button.isChecked():
                press(qtbot, Qt.Key.Key_Space)
    elif isinstance(widget, YesNoWidget):
        button = widget.buttons[bool(value)]
        tab_to(qtbot, button)
        if not button.isChecked():
            press(qtbot, Qt.Key.Key_Space)
    elif isinstance(widget, ConsentWidget):
        tab_to(qtbot, widget.agree)
        if not widget.agree.isChecked():
            press(qtbot, Qt.Key.Key_Space)
    elif isinstance(widget, AimagSoumWidget):
        for combo, code in ((widget.aimag, value["aimag"]), (widget.soum, value["soum"])):
            tab_to(qtbot, combo)
            _keyboard_combo(qtbot, combo, code)
    elif isinstance(widget, SignatureWidget):
        # As the hint under the pad says: Space puts the pen down, arrows draw, Space lifts it.
        tab_to(qtbot, widget.pad)
        press(qtbot, Qt.Key.Key_Space)
        for key in [Qt.Key.Key_Right] * 6 + [Qt.Key.Key_Up] * 3 + [Qt.Key.Key_Right] * 4:
            press(qtbot, key)
        press(qtbot, Qt.Key.Key_Space)
    else:
        raise AssertionError(f"no keyboard path for {type(widget).__name__}")


def _keyboard_combo(qtbot, combo: QComboBox, code: str) -> None:  # noqa: ANN001
    target = combo.findData(code)
    assert target >= 0, code
    for _ in range(combo.count() + 1):
        if combo.currentIndex() == target:
            return
        key = Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(combo, key)
    raise AssertionError(f"could not choose {code} with the arrow keys")


# -- touch ---------------------------------------------------------------------------
def tap(qtbot, widget: QWidget) -> None:  # noqa: ANN001
    assert widget.isVisible() and widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def osk_type(qtbot, window, text: str) -> None:  # noqa: ANN001
    """Type ``text`` by tapping keys of the on-screen keyboard."""
    kb = window.keyboard
    if not kb.isVisible():
        tap(qtbot, window.keyboard_btn)
    for ch in text:
        if ch == " ":
            tap(qtbot, kb.findChild(QWidget, "key-space"))
            continue
        if ch.isdigit() or ch in "-.":
            layout = "digits"
        elif "a" <= ch.lower() <= "z":
            layout = "latin"
        else:
            layout = "cyrillic"
        if kb.layout_name != layout:
            tap(qtbot, kb.findChild(QWidget, f"layout-{layout}"))
        if layout != "digits" and kb.shift != ch.isupper():
            tap(qtbot, kb.findChild(QWidget, "key-shift"))
        key = kb.findChild(QWidget, f"key-{ch}")
        assert key is not None, f"no on-screen key for {ch!r}"
        tap(qtbot, key)


def touch_enter(qtbot, window, widget: Any, value: Any) -> None:  # noqa: ANN001
    if value is None:
        return
    if isinstance(widget, TextWidget | NumberWidget | RegistryWidget):
        tap(qtbot, widget.edit)
        osk_type(qtbot, window, _text_of(value))
    elif isinstance(widget, DateWidget):
        y, m, d = str(value).split("-")
        for part, text in (("year", y), ("month", m), ("day", d)):
            edit: QLineEdit = widget.fields[part]
            tap(qtbot, edit)
            edit.clear()
            osk_type(qtbot, window, text)
    elif isinstance(widget, ChoiceWidget):
        for v in value if isinstance(value, list) else [value]:
            if not widget.buttons[v].isChecked():
                tap(qtbot, widget.buttons[v])
    elif isinstance(widget, YesNoWidget):
        if not widget.buttons[bool(value)].isChecked():
            tap(qtbot, widget.buttons[bool(value)])
    elif isinstance(widget, ConsentWidget):
        if not widget.agree.isChecked():
            tap(qtbot, widget.agree)
    elif isinstance(widget, AimagSoumWidget):
        # A touch on the list picks an entry: the model of that tap is setCurrentIndex.
        for combo, code in ((widget.aimag, value["aimag"]), (widget.soum, value["soum"])):
            tap(qtbot, combo)
            combo.hidePopup()
            combo.setCurrentIndex(combo.findData(code))
    elif isinstance(widget, SignatureWidget):
        pad = widget.pad
        w, h = pad.width(), pad.height()
        from PySide6.QtCore import QPoint

        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(int(w * 0.1), int(h * 0.6)))
        for i in range(1, 8):
            qtbot.mouseMove(pad, QPoint(int(w * (0.1 + i * 0.1)), int(h * (0.6 - 0.3 * (i % 2)))))
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(int(w * 0.8), int(h * 0.5)))
    else:
        raise AssertionError(f"no touch path for {type(widget).__name__}")


def fill_screens(qtbot, kiosk, form_id: str, mode: str) -> None:  # noqa: ANN001
    """Walk every screen entering the reference answers, until the review screen."""
    window = kiosk.window
    ref = reference(kiosk, form_id)
    for _ in range(200):
        if window.stack.currentWidget() is window.review:
            return
        view = window.form
        assert window.stack.currentWidget() is view
        before = view.flow.screen_key
        for block in list(view.blocks.values()):
            if block.widget is None:
                continue
            entry = block.entry
            value = ref.answer(entry.name, entry.item)
            if mode == "keyboard":
                keyboard_enter(qtbot, block.widget, value)
            else:
                touch_enter(qtbot, window, block.widget, value)
        if mode == "keyboard":
            tab_to(qtbot, view.next)
            press(qtbot, Qt.Key.Key_Space)
        else:
            tap(qtbot, view.next)
        errors = {k: b.current_error() for k, b in view.blocks.items() if b.current_error()}
        assert not errors, f"{before}: {errors}"
        assert window.stack.currentWidget() is window.review or view.flow.screen_key != before
    raise AssertionError("the form never reached the review screen")
