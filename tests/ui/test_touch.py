"""The touch rules (ui/touch.py), the full-screen chooser and the РД keys, in-process
(offscreen): the quick proof beside the finger harness on the real window (test_finger.py)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from ui import touch
from ui.widgets.chooser import Chooser, TouchCombo, sort_key
from ui.widgets.common import Page
from ui.widgets.keyboard import OnScreenKeyboard


def _host(qtbot):  # noqa: ANN001, ANN202
    host = QWidget()
    policy = touch.install(QApplication.instance(), host)
    page = Page()
    QVBoxLayout(host).addWidget(page)
    combo = TouchCombo("mn", 100)
    combo.addItem("— сонгоно уу —", "")  # as the aimag list: the placeholder has no code
    for code, name in (("065", "Архангай"), ("041", "Төв"), ("046", "Өвөрхангай"), ("061", "Орхон")):
        combo.addItem(name, code)
    edit = QLineEdit()
    page.column.addWidget(combo)
    page.column.addWidget(edit)
    page.column.addSpacing(3000)
    host.resize(800, 600)
    host.show()
    qtbot.addWidget(host)
    qtbot.waitExposed(host)
    return host, policy, page, combo, edit


def test_every_page_scrolls_by_dragging(qtbot):
    _host_, _policy, page, _combo, _edit = _host(qtbot)
    assert touch.grabbed(page.viewport())


def test_the_wheel_over_a_closed_dropdown_scrolls_the_page_not_the_value(qtbot):
    _host_, _policy, page, combo, _edit = _host(qtbot)
    combo.setCurrentIndex(1)
    bar = page.verticalScrollBar()
    before = bar.value()
    pos = QPointF(combo.rect().center())
    wheel = QWheelEvent(pos, QPointF(combo.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, -360),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(combo, wheel)
    assert combo.currentIndex() == 1
    assert bar.value() > before


def test_no_context_menu_reaches_a_field(qtbot):
    _host_, _policy, _page, _combo, edit = _host(qtbot)
    seen: list[int] = []

    class Watch(QLineEdit):
        def contextMenuEvent(self, event):  # noqa: N802, ANN001, ANN201
            seen.append(1)

    field = Watch()
    edit.parentWidget().layout().addWidget(field)
    field.show()
    QApplication.sendEvent(field, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5)))
    assert seen == []


def test_a_tap_in_a_text_field_is_reported_and_a_read_only_one_is_not(qtbot):
    _host_, policy, _page, _combo, edit = _host(qtbot)
    tapped: list[QWidget] = []
    policy.text_tapped.connect(tapped.append)
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    assert tapped == [edit]
    edit.setReadOnly(True)
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton)
    assert tapped == [edit]


def test_the_chooser_is_alphabetical_with_finger_rows_and_chooses_by_tap(qtbot):
    host, _policy, _page, combo, _edit = _host(qtbot)
    chooser = Chooser(host, combo, "mn", 100)
    qtbot.addWidget(chooser)
    names = [chooser.list.item(i).text() for i in range(chooser.list.count())]
    assert names == ["— сонгоно уу —", "Архангай", "Орхон", "Өвөрхангай", "Төв"]  # Ө after О
    assert all(chooser.list.item(i).sizeHint().height() >= 56 for i in range(chooser.list.count()))
    chooser._chosen(chooser.list.item(3))
    assert combo.currentText() == "Өвөрхангай"
    assert sort_key("Өвөр") > sort_key("Орхон")


def test_a_dropdown_opens_on_a_tap_and_a_drag_from_it_opens_nothing(qtbot):
    """Issue 19: a finger dragging the address page from over the aimag dropdown scrolls it;
    Qt's dropdown opened its list on the press (here the full-screen chooser)."""
    _host_, _policy, _page, combo, _edit = _host(qtbot)
    middle = combo.rect().center()
    qtbot.mousePress(combo, Qt.MouseButton.LeftButton, pos=middle)
    assert combo.chooser is None  # the finger is down: maybe a drag, nothing opens yet
    qtbot.mouseRelease(combo, Qt.MouseButton.LeftButton, pos=middle + QPoint(0, 60))
    assert combo.chooser is None  # it moved: a drag, not a tap
    qtbot.mousePress(combo, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.mouseRelease(combo, Qt.MouseButton.LeftButton, pos=middle + QPoint(3, 2))
    assert combo.chooser is not None and combo.chooser.isVisible()  # a tap (a finger is not a point)
    combo.hidePopup()


def test_the_registry_number_gets_letters_then_digits(qtbot):
    host = QWidget()
    edit = QLineEdit()
    edit.setProperty("keypad", "registry")
    keys = OnScreenKeyboard()
    box = QVBoxLayout(host)
    box.addWidget(edit)
    box.addWidget(keys)
    host.show()
    qtbot.addWidget(host)
    qtbot.waitExposed(host)
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    keys.follow_focus(edit)
    assert keys.layout_name == "cyrillic"
    keys.type_text("УБ")
    assert edit.text() == "УБ" and keys.layout_name == "digits"
    keys.backspace()
    assert keys.layout_name == "cyrillic"


def test_the_keys_type_only_into_a_text_field_never_a_focused_dropdown(qtbot):
    """Issue 19 (seen by the finger matrix): with the keys open and the aimag dropdown
    focused (after its chooser), a letter key jumped the aimag to one starting with it."""
    host, _policy, _page, combo, edit = _host(qtbot)
    keys = OnScreenKeyboard()
    host.layout().addWidget(keys)
    keys.show()
    combo.setCurrentIndex(1)  # Архангай
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    keys.type_text("Т")
    keys.type_text(" ")
    assert combo.currentText() == "Архангай"
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    keys.type_text("Т")
    assert edit.text() == "Т"


def test_a_finger_on_a_drawing_pad_draws_instead_of_scrolling_the_page(qtbot):
    _host_, _policy, page, _combo, _edit = _host(qtbot)
    pad = QWidget()
    pad.setProperty("role", "pad")  # as the signature pad (ui/widgets/media.py)
    pad.setMinimumHeight(200)
    page.column.insertWidget(0, pad)
    pad.show()
    qtbot.waitExposed(pad)
    from PySide6.QtGui import QScrollPrepareEvent

    on_pad = QScrollPrepareEvent(QPointF(pad.mapTo(page.viewport(), QPoint(20, 20))))
    QApplication.sendEvent(page.viewport(), on_pad)
    assert not on_pad.isAccepted(), "the page would take the stroke for a scroll"
    off_pad = QScrollPrepareEvent(QPointF(page.viewport().width() / 2, pad.height() + 100))
    QApplication.sendEvent(page.viewport(), off_pad)
    assert off_pad.isAccepted(), "elsewhere the page scrolls by dragging"
    # A page showing a pad keeps its drag scrolling: at large text on a small screen the pad
    # starts below the fold, and a finger must bring it up (the real window: test_finger.py).
    assert touch.grabbed(page.viewport()), "a page showing a pad must still scroll by dragging"
