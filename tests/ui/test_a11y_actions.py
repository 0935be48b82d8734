"""What assistive technology does to a control must count as the resident's answer:
text set through the accessibility interface (a screen reader, voice control) and a
dropdown item chosen by selection, without keys or taps. The AT-SPI test drives the
real program; these pin the two fixes in-process, where no AT-SPI desktop is needed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QAccessible

from ui.widgets import Context, make_widget


def _question(kind: str, name: str = "q") -> SimpleNamespace:
    return SimpleNamespace(name=name, type=kind, appearance=None, label={"mn": "Асуулт", "en": "Question"},
                           hint=None, required=True, choices=None, parameters={})


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("text", "Батбаяр", "Батбаяр"),
    ("integer", "42", 42),
    ("phone", "99112233", "99112233"),
    ("registry_number", "ЖЭ78030519", "ЖЭ78030519"),
])
def test_text_set_through_accessibility_is_the_answer(qtbot, kind, text, value):
    widget = make_widget(_question(kind), Context(lang="en", label="Question"))
    qtbot.addWidget(widget)
    edit = widget.focus_widgets()[0]
    iface = QAccessible.queryAccessibleInterface(edit)
    with qtbot.waitSignal(widget.changed, timeout=2000):
        iface.setText(QAccessible.Text.Value, text)  # what AT-SPI SetTextContents does
    assert widget.value() == value


def test_a_dropdown_item_selected_by_assistive_technology_is_chosen(qtbot):
    widget = make_widget(_question("aimag_soum"), Context(lang="en", label="Place"))
    qtbot.addWidget(widget)
    view = widget.aimag.view()
    row = 3
    with qtbot.waitSignal(widget.changed, timeout=2000):
        # AT-SPI Selection.SelectChild on the closed dropdown's list.
        view.selectionModel().select(view.model().index(row, 0),
                                     QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert widget.aimag.currentIndex() == row
    assert widget.value() == {"aimag": widget.aimag.itemData(row)}
